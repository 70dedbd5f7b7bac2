"""What a field mapping says, as immutable values: the answer types of ``MappingSet``.

A Panther field path (``model.Field.path``: str keys and int indexes, plus ``EACH`` for "every
element of this array", used for quantifier bodies) resolves, per target, to a ``ResolvedField``:
a *name* in the target's own spelling and the *steps* that continue below it. Steps are data,
never query text, so each backend renders them in its own language:

* Sentinel ``requestParameters.groupId`` -> name ``RequestParameters`` (column_type
  ``json-string``) + steps ``(Step("groupId", json=True),)``: KQL backends render
  ``tostring(parse_json(RequestParameters).groupId)``.
* Athena ``userIdentity.arn`` (Panther data lake) -> name ``useridentity.arn`` (a struct
  dereference path), no steps; ``requestParameters.groupId`` -> name ``requestparameters`` +
  json step ``groupId`` -> ``json_extract_scalar(requestparameters, '$.groupId')``.
* Splunk / Sigma spell the whole path as one flat field name (``items{}.cidrIp``), no steps.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

TARGETS = ("sentinel", "splunk", "chronicle", "athena", "sigma")

# Value types a mapping may state. "json-string": text holding JSON (parse before navigating);
# "object": natively nested (Kusto dynamic, Athena struct/map, a UDM message); "T[]" repeated.
SCALAR_TYPES = ("string", "number", "bool", "timestamp", "ip")
# "labels": a key/value map whose key is the dotted Panther path (UDM additional.fields,
# *.attribute.labels: ``additional.fields["eventType"]``).
TYPES = SCALAR_TYPES + ("array", "object", "json-string", "json", "labels", "any", "unknown")
CONFIDENCE = ("high", "medium", "low")

# A path step meaning "each element of the array here" (a Quantifier's element scope).
EACH = "[]"


def base_type(t: str) -> str:
    """``"ip[]"`` -> ``"ip"``; other types unchanged."""
    return t[:-2] if t.endswith("[]") else t


def valid_type(t: str) -> bool:
    return base_type(t) in TYPES


def dotted(path: tuple) -> str:
    """Panther path as text: ``("a", 0, "b")`` -> ``a[0].b``; ``EACH`` -> ``a[].b``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step == EACH:
            out += "[]"
        else:
            out += ("." if out else "") + step
    return out


_SEGMENT = re.compile(r"^([^\[\]]*)((?:\[(?:\d+|\*|)\])*)$")


def parse_dotted(text: str) -> tuple:
    """Inverse of ``dotted``: ``a[0].b`` -> ``("a", 0, "b")``, ``a[].b`` -> ``("a", EACH, "b")``.
    A key containing a dot or bracket cannot be written this way; use a YAML list path."""
    steps: list = []
    for part in text.split("."):
        m = _SEGMENT.match(part)
        if m is None or (not m.group(1) and not m.group(2)):
            raise ValueError(f"bad path segment {part!r}")
        if m.group(1):
            steps.append(m.group(1))
        for idx in re.findall(r"\[([^\]]*)\]", m.group(2)):
            steps.append(EACH if idx in ("", "*") else int(idx))
    return tuple(steps)


class MappingError(ValueError):
    """A mapping file is invalid, or a field is unmapped under strict mode.

    The message is one line whatever user text it quotes (a key may hold a newline)."""

    def __init__(self, message: str):
        super().__init__(str(message).replace("\r", "\\r").replace("\n", "\\n"))


@dataclass(frozen=True)
class Provenance:
    source: str = ""  # URL or document name that states the fact
    confidence: str = "medium"  # high: stated by the source; medium: inferred; low: guessed


@dataclass(frozen=True)
class Source:
    """Where a log type's data lives on one target.

    ``attrs`` holds the target's own keys: sentinel ``table``; splunk ``index``, ``sourcetype``
    (optional ``source``); chronicle ``log_type``; athena ``database``, ``table``; sigma
    ``product``, ``service``, ``category``.
    """

    target: str
    variant: str
    attrs: tuple  # sorted (key, value) pairs
    provenance: Provenance = Provenance()

    def get(self, key: str, default=None):
        return dict(self.attrs).get(key, default)

    def as_dict(self) -> dict:
        return dict(self.attrs)


@dataclass(frozen=True)
class Step:
    """One access below a mapped name: a key (str), an index (int) or ``EACH``. ``json`` is True
    when the container is JSON text (or a value inside it) rather than native nested data."""

    key: object
    json: bool = False


@dataclass(frozen=True)
class ResolvedField:
    """Where a Panther path lives on a target. Check ``column_type`` first: for "any_of"
    (``any_of``: a p_any_* union), "composite" (``members``: an object spread over columns)
    and "constant" (``constant``: p_log_type), ``name`` is empty."""

    log_type: str
    target: str
    variant: str
    path: tuple  # the Panther path asked for
    name: str  # target field/column in the target's spelling
    type: str  # type of the value at ``path`` ("unknown" below a json column)
    column_type: str  # type of ``name`` itself
    steps: tuple = ()  # Step..., accesses below ``name``
    origin: str = "explicit"  # explicit | naming | prefix | fallback
    provenance: Provenance = Provenance()
    note: str = ""
    # Splunk-style flat names: one entry per array step in the path (int index or EACH), in
    # order, so a backend can tell a multivalue match (EACH) from mvindex(name, i).
    array_steps: tuple = ()
    # A Panther indicator field (p_any_*) on a target that lacks it: the union of the values of
    # these fields (each a ResolvedField); ``name`` is then empty.
    any_of: tuple = ()
    # p_log_type where the source itself selects the log type: the value every row has
    # (column_type "constant", name empty); a backend folds predicates on it.
    constant: object = None
    # An object with no column of its own: (relative path, ResolvedField) per mapped member
    # (column_type "composite", name empty); a backend builds the object from them.
    members: tuple = ()

    @property
    def exact(self) -> bool:
        return not self.steps

    @property
    def is_fallback(self) -> bool:
        return self.origin == "fallback"


@dataclass(frozen=True)
class Unmapped:
    """No mapping for ``path`` on this target. ``fallback`` is what a backend emits when it is
    not strict (always warned); ``reason`` says why there is no real mapping."""

    log_type: str
    target: str
    variant: str
    path: tuple
    reason: str
    fallback: ResolvedField | None = None
    # why, as a stable code: absent (the source does not hold it, e.g. p_* on Splunk),
    # not-in-schema (not a field of the log type), no-entry (explicit target without an entry),
    # style (the target cannot spell it: array index in Sigma, ...), scalar-below,
    # no-schema, no-target, unknown-log-type; never-present (no event of the log type holds the
    # field: its value is always missing, and backends fold tests on it, see absent.py)
    kind: str = ""

    def __bool__(self) -> bool:  # so `if resolved:` reads naturally
        return False

    @property
    def message(self) -> str:
        where = self.target + (f".{self.variant}" if self.variant else "")
        return f"{self.log_type}: field {dotted(self.path)!r} has no {where} mapping: {self.reason}"


@dataclass(frozen=True)
class FieldEntry:
    """One explicit mapping entry as written in a file (before resolution)."""

    path: tuple
    name: str
    type: str = ""  # "" -> from the schema
    provenance: Provenance = Provenance()
    note: str = ""
    file: str = ""


@dataclass(frozen=True)
class TargetMapping:
    """One log type on one target (variant): source, naming style, explicit entries."""

    target: str
    variant: str
    source: Source
    naming: str = "explicit"  # explicit | dotted | flat | lower
    entries: tuple = ()  # FieldEntry
    provenance: Provenance = Provenance()
    fallback: str = ""  # name template for unmapped fields, "{path}" substituted
    file: str = ""
    absent: tuple = ()  # glob patterns of dotted schema paths this target does not hold
    name_prefix: str = ""  # put before names spelled by the naming style (Splunk "data.")
    # The Panther key whose object the target stores as the record itself (Auth0's Sentinel
    # connector sends each log's ``data`` object): names are spelled from below it.
    record_root: str = ""

    def entry_map(self) -> dict:
        return {e.path: e for e in self.entries}


@dataclass(frozen=True)
class LogTypeMapping:
    log_type: str
    description: str = ""
    schema: tuple = ()  # (path, type) pairs of the Panther-side shape; path uses EACH for []
    schema_provenance: Provenance = Provenance()
    udm: tuple = ()  # (udm name, path) pairs from Panther data models
    targets: tuple = ()  # TargetMapping
    files: tuple = ()  # files that contributed, in load order
    event_time: tuple = ()  # path of the event's own timestamp
    indicators: tuple = ()  # (p_any_* name, (paths...)): fields Panther extracts it from
    schema_sources: tuple = ()  # (path, Provenance): schema fields stated by their own source
    # top-level keys no event of this log type holds (fields of other log types that shared
    # helpers read), with who states it: (key, Provenance, note)
    never_present: tuple = ()

    def schema_map(self) -> dict:
        return dict(self.schema)

    def target(self, target: str, variant: str = "") -> TargetMapping | None:
        for t in self.targets:
            if t.target == target and t.variant == variant:
                return t
        return None


@dataclass
class Warnings:
    """Collects unmapped-field warnings for a run (backends append, commands print)."""

    items: list = field(default_factory=list)

    def add(self, unmapped: Unmapped) -> None:
        if unmapped.message not in self.items:
            self.items.append(unmapped.message)


def describe(r: ResolvedField) -> str:
    """A target-neutral, one-line text of a resolution (for listings, not for queries):
    ``RequestParameters <json-string> $.groupId``, ``resources <array> [].arn``,
    ``any of: UserIdentityArn | SessionIssuerArn``."""
    if r.any_of:
        return "any of: " + " | ".join(describe(x) for x in r.any_of)
    if r.column_type == "constant":
        return f"constant {r.constant!r}"
    if r.members:
        return "object of: " + ", ".join(f"{dotted(rel)}={describe(x)}" for rel, x in r.members)
    text = f"{r.name} <{r.column_type}>"
    if r.column_type == "labels":
        return f'{r.name}["{r.steps[0].key}"]'
    if r.steps:
        native = "".join(f"[{s.key}]" if isinstance(s.key, int) else ("[]" if s.key == EACH else f".{s.key}")
                         for s in r.steps if not s.json)
        js = [s for s in r.steps if s.json]
        text += native
        if js:
            text += " $" + "".join(f"[{s.key}]" if isinstance(s.key, int) else
                                   ("[*]" if s.key == EACH else f".{s.key}") for s in js)
    if r.array_steps:
        text += f" (multivalue over {len(r.array_steps)} array step(s))"
    return text
