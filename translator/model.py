"""The canonical rule model: what every frontend produces and every backend consumes.

Everything here is immutable (frozen dataclasses holding tuples). ``to_dict``/``from_dict``
give a stable JSON form (sorted keys are the caller's choice; field order is fixed here) so
that models can be saved, diffed with deepdiff and compared across rulec versions.

Semantics of a detection ``Expr`` on a JSON event (the reference is Panther's Python):

* A ``Field`` is resolved step by step; a missing key, a non-container, or an index out of range
  gives ``MISSING``. ``None``/JSON null is a present value (``null``), distinct from missing.
* ``Field.default`` is substituted when the value is missing (and, with ``default_on_null``,
  when it is null): ``event.get("a", "<X>")`` -> ``Field(("a",), default="<X>")``;
  ``deep_get(event, "a", "b", default="")`` -> ``default_on_null=True`` as deep_get does.
* Transforms are applied in order after the default (``lower``, ``upper``, ``strip``, ``str``,
  ``int``, ``float``, ``len``, ``json`` (parse a JSON string), ``split`` (args: sep, index[, maxsplit]), ...).
* ``case_sensitive=False`` compares lower-cased field value and lower-cased operand.
* A predicate whose operand type does not fit (``contains`` on a number, ``gt`` on a string,
  anything on missing/null but ``exists``/``truthy``/``eq``) is False. In Python such a rule raises,
  and a raising rule does not alert.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable, Iterator, Union

__all__ = [
    "MISSING", "Field", "Transform", "Predicate", "Quantifier", "First", "Tally", "Count",
    "COUNT_OPS", "All", "Any_", "AnyOf", "Not",
    "Const", "Opaque", "Expr", "TRUE", "FALSE", "OPS", "Mock", "RuleTest", "MitreRef", "Template",
    "DynamicSeverity", "Extraction", "Rule", "expr_to_dict", "expr_from_dict", "walk",
    "fields_of", "SEVERITIES", "JSON_KINDS",
]

SEVERITIES = ("Info", "Low", "Medium", "High", "Critical")


class _Missing:
    """Sentinel for an absent field (distinct from JSON null)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Missing, ())


MISSING: Any = _Missing()


# --------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class Transform:
    """A value transform applied to a field before comparison (``lower``, ``split``...)."""

    name: str
    args: tuple = ()

    def to_dict(self) -> dict:
        return ({"name": self.name, "args": [thaw(a) for a in self.args]} if self.args
                else {"name": self.name})

    @classmethod
    def from_dict(cls, d: dict) -> "Transform":
        # Frozen like the frontend freezes them, so a model read back from the cache is the
        # model extraction made (same texts, same hashes).
        return cls(d["name"], tuple(_freeze(a) for a in d.get("args", ())))


TRANSFORMS = ("lower", "upper", "strip", "lstrip", "rstrip", "str", "int", "float", "len",
              "json", "split", "index", "keys", "values", "basename", "removeprefix",
              "removesuffix", "replace", "bool", "pluck", "get", "ip_network",
              "shlex_split")
# "pluck" (args: a sub-path whose "*" steps fan out): from a list, the values at that sub-path of
# each element, flattened, missing ones left out (a simple detection's ``a[*].b`` in a title).
# "concat" (args: prefix, suffix): prefix + the text value + suffix (an f-string or "+" around one
# field, after "str" where Python formats a non-text value); not text -> TypeError like lower.
# "get" (args: key[, default[, default_on_null]]): the key of an object value, as Python's
# dict.get on a parsed JSON document (exact key); MISSING when absent or not an object, then
# the default as for Field.default (``json.loads(f).get("a", "x")``, deep_get on parsed JSON).
# "ip_network" (args: [strict]): Python's ``ipaddress.ip_network(value, strict)`` of a text or
# integer value (a failure is Python's ValueError); ip_private/ip_public/is_ipv4/is_ipv6 then
# test the network's is_private/is_global/version, and cidr that it is a subnet_of a network.
# "shlex_split": Python's ``shlex.split(text)`` (shell-like words; bad quoting is a ValueError).


@dataclass(frozen=True)
class Field:
    """A path into the event (or into the current array element inside a ``Quantifier``).

    ``path`` steps are str (key) or int (list index). ``root`` is "event", or "element" for
    paths relative to the element a Quantifier iterates over. ``udm`` names the data-model
    concept this path came from, if any (kept for documentation and mapping).
    """

    path: tuple = ()
    default: Any = MISSING
    default_on_null: bool = False
    transforms: tuple = ()
    root: str = "event"
    udm: str | None = None

    @property
    def dotted(self) -> str:
        out = ""
        for step in self.path:
            if isinstance(step, int):
                out += f"[{step}]"
            else:
                out += ("." if out else "") + str(step)
        return out or ("<element>" if self.root == "element" else "<event>")

    def with_transform(self, name: str, *args) -> "Field":
        return replace(self, transforms=self.transforms + (Transform(name, tuple(args)),))

    def to_dict(self) -> dict:
        d: dict = {"path": list(self.path)}
        if self.default is not MISSING:
            d["default"] = thaw(self.default)
        if self.default_on_null:
            d["default_on_null"] = True
        if self.transforms:
            d["transforms"] = [t.to_dict() for t in self.transforms]
        if self.root != "event":
            d["root"] = self.root
        if self.udm:
            d["udm"] = self.udm
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Field":
        return cls(
            path=tuple(d.get("path", ())),
            default=_freeze(d["default"]) if "default" in d else MISSING,
            default_on_null=bool(d.get("default_on_null", False)),
            transforms=tuple(Transform.from_dict(t) for t in d.get("transforms", ())),
            root=d.get("root", "event"),
            udm=d.get("udm"),
        )

    def __str__(self) -> str:
        s = self.dotted
        for t in self.transforms:
            s = f"{t.name}({s}{''.join(', ' + repr(a) for a in t.args)})"
        return s


# --------------------------------------------------------------------------- expressions
# Operators of Predicate. `value` kinds: eq/gt/ge/lt/le: scalar or Field; in: tuple;
# contains/startswith/endswith: str (or Field); regex: str pattern (flags in `flags`);
# glob: fnmatch pattern; cidr: tuple of networks; exists/truthy/null: value unused.
OPS = (
    "eq", "in", "contains", "startswith", "endswith", "regex", "glob", "exists", "truthy",
    "null", "gt", "ge", "lt", "le", "cidr", "is_ip", "is_ipv4", "is_ipv6", "ip_private",
    "ip_public", "member", "present", "is_type",
)
JSON_KINDS = ("str", "int", "float", "bool", "dict", "list", "null")
# "member": value (scalar) is an element of the field's list value (Python `"x" in list_field`).
# "contains": substring test on a string field (Python `"x" in str_field`).
# "null": value is JSON null or missing ("is_null"); "exists": not missing and not null.
# "present": the key is there, even with a null value (Python `"k" in event`).
# "is_type": value (tuple of JSON_KINDS) holds the kind of the field's value as Python sees the
# parsed JSON: "int" (bool excluded) and "float" apart, a missing value is "null" (None).
# ``isinstance(x, int)`` on an event value is ``is_type`` ("bool", "int").


@dataclass(frozen=True)
class Predicate:
    field: Field
    op: str
    value: Any = None
    case_sensitive: bool = True
    flags: tuple = ()  # regex flags, e.g. ("IGNORECASE",); regex mode ("search"/"match"/"fullmatch")

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"unknown predicate operator {self.op!r}")


@dataclass(frozen=True)
class Quantifier:
    """``kind`` ("any"|"all"|"none"|"one") element of the array at ``field`` satisfies
    ``where`` (whose Fields use root="element"). Python ``all([])`` is True; ``any([])`` False;
    a missing/non-list field is an empty array."""

    kind: str
    field: Field
    where: "Expr"


@dataclass(frozen=True)
class First:
    """The first element of the array at ``field`` (in array order; the last one with
    ``last``) that satisfies ``stop`` also satisfies ``then``; False when no element satisfies
    ``stop`` (a missing/non-list field is an empty array). ``stop`` and ``then`` read the
    element through root="element" Fields, as a Quantifier's ``where`` does.

    Python's ``for x in arr: if p(x): return True`` whose body raises on some elements (or
    returns different values, or breaks) alerts iff the first element on which the body leaves
    the loop is one where it returns truthy: ``stop`` says "the body leaves the loop here",
    ``then`` "and returns truthy". deep_walk(return_val="first"/"last") is the same."""

    field: Field
    stop: "Expr"
    then: "Expr"
    last: bool = False


@dataclass(frozen=True)
class All:
    items: tuple = ()


@dataclass(frozen=True)
class AnyOf:
    items: tuple = ()


Any_ = AnyOf  # alias: `Any` clashes with typing.Any


@dataclass(frozen=True)
class Not:
    item: "Expr"


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Opaque:
    """A construct the frontend could not express (partial extraction). Never evaluable."""

    construct: str
    reason: str
    location: str = ""  # "file.py:12"


TRUE = Const(True)
FALSE = Const(False)


@dataclass(frozen=True)
class Tally:
    """The number of elements of the array at ``field`` that satisfy ``where`` (``TRUE``: every
    element), duplicates included: Python's len() of a list a comprehension or loop built from
    the array. A missing/non-list field has no elements. ``where`` reads the element through
    root="element" Fields, as a Quantifier's does.

    With ``distinct`` (an element-rooted Field, its default and transforms applied) it is the
    number of distinct non-null values that field takes on those elements, equal as Python's
    ``==`` sees them (1 == 1.0 == True): the length of the list deep_walk returns, whose
    values Python's dict keys deduplicate. Elements where it is missing or null (or where its
    transforms fail) add none."""

    field: Field
    where: "Expr" = TRUE
    distinct: Field | None = None


# The comparison operators of a Count, each with the symbol it is written with (the same in
# the pretty form, KQL, SPL eval and YARA-L; the ordering four also serve Predicate gt/ge/lt/le).
COUNT_OPS = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


@dataclass(frozen=True)
class Count:
    """``tally`` compared by ``op`` (one of COUNT_OPS) with ``value``: an int, or the number
    of another ``Tally`` (``len(a) != len(b)``). Quantifiers are the counts against 0 and 1;
    this node is for the others (``len([t for t in arr if ...]) >= 3``)."""

    tally: Tally
    op: str
    value: "int | Tally"

    def __post_init__(self):
        if self.op not in COUNT_OPS:
            raise ValueError(f"unknown count operator {self.op!r}")
        if not isinstance(self.value, Tally) and (isinstance(self.value, bool)
                                                  or not isinstance(self.value, int)):
            raise ValueError(f"a count compares with an int or a Tally, not {self.value!r}")

    @property
    def tallies(self) -> tuple:
        return (self.tally,) + ((self.value,) if isinstance(self.value, Tally) else ())


Expr = Union[Predicate, Quantifier, First, Count, All, AnyOf, Not, Const, Opaque]


class FrozenList(tuple):
    """A list value a rule wrote (``event.get("a", [])``), kept hashable inside the frozen model.

    It is a tuple so that model nodes stay hashable and ``== ()`` tests keep working, but its
    text is Python's list text and ``thaw`` gives the list back: a default must reach the
    evaluator (and str()) exactly as the rule's Python saw it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(x) for x in self) + "]"

    __str__ = __repr__


class FrozenDict(tuple):
    """A dict value a rule wrote (``deep_get(..., default={})``): its (key, value) pairs in key
    order, hashable; its text is Python's dict text and ``thaw`` gives the dict back."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self) + "}"

    __str__ = __repr__


def _freeze(v: Any) -> Any:
    if isinstance(v, (FrozenList, FrozenDict)):
        return v
    if isinstance(v, list):
        return FrozenList(_freeze(x) for x in v)
    if isinstance(v, tuple):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return FrozenDict(sorted(((k, _freeze(x)) for k, x in v.items()), key=lambda kv: repr(kv[0])))
    return v


def thaw(v: Any) -> Any:
    """The plain Python value (list, dict) of a frozen one; anything else unchanged."""
    if isinstance(v, FrozenDict):
        return {k: thaw(x) for k, x in v}
    if isinstance(v, FrozenList):
        return [thaw(x) for x in v]
    return v


def _value_to_json(v: Any) -> Any:
    if isinstance(v, Field):
        return {"$field": v.to_dict()}
    if isinstance(v, (tuple, list, frozenset, set)):
        items = [_value_to_json(x) for x in v]
        if isinstance(v, (frozenset, set)):
            items = sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
        return items
    return v


def _value_from_json(v: Any) -> Any:
    if isinstance(v, dict) and "$field" in v:
        return Field.from_dict(v["$field"])
    if isinstance(v, list):
        return tuple(_value_from_json(x) for x in v)
    return v


def expr_to_dict(e: Expr) -> dict:
    if isinstance(e, Predicate):
        d = {"op": e.op, "field": e.field.to_dict()}
        if e.op not in ("exists", "truthy", "null", "is_ip", "is_ipv4", "is_ipv6", "ip_private",
                        "ip_public", "present"):
            d["value"] = _value_to_json(e.value)
        if not e.case_sensitive:
            d["case_sensitive"] = False
        if e.flags:
            d["flags"] = list(e.flags)
        return {"pred": d}
    if isinstance(e, Quantifier):
        return {"quant": {"kind": e.kind, "field": e.field.to_dict(), "where": expr_to_dict(e.where)}}
    if isinstance(e, First):
        d = {"field": e.field.to_dict(), "stop": expr_to_dict(e.stop), "then": expr_to_dict(e.then)}
        if e.last:
            d["last"] = True
        return {"first": d}
    if isinstance(e, Count):
        value = _tally_to_dict(e.value) if isinstance(e.value, Tally) else e.value
        return {"count": {"tally": _tally_to_dict(e.tally), "op": e.op, "value": value}}
    if isinstance(e, All):
        return {"all": [expr_to_dict(x) for x in e.items]}
    if isinstance(e, AnyOf):
        return {"any": [expr_to_dict(x) for x in e.items]}
    if isinstance(e, Not):
        return {"not": expr_to_dict(e.item)}
    if isinstance(e, Const):
        return {"const": e.value}
    if isinstance(e, Opaque):
        return {"opaque": {"construct": e.construct, "reason": e.reason, "location": e.location}}
    raise TypeError(f"not an expression: {e!r}")


def expr_from_dict(d: dict) -> Expr:
    (kind, body), = d.items()
    if kind == "pred":
        return Predicate(
            field=Field.from_dict(body["field"]), op=body["op"],
            value=_value_from_json(body.get("value")),
            case_sensitive=body.get("case_sensitive", True), flags=tuple(body.get("flags", ())),
        )
    if kind == "quant":
        return Quantifier(body["kind"], Field.from_dict(body["field"]), expr_from_dict(body["where"]))
    if kind == "first":
        return First(Field.from_dict(body["field"]), expr_from_dict(body["stop"]),
                     expr_from_dict(body["then"]), bool(body.get("last", False)))
    if kind == "count":
        value = body["value"]
        return Count(_tally_from_dict(body["tally"]), body["op"],
                     _tally_from_dict(value) if isinstance(value, dict) else value)
    if kind == "all":
        return All(tuple(expr_from_dict(x) for x in body))
    if kind == "any":
        return AnyOf(tuple(expr_from_dict(x) for x in body))
    if kind == "not":
        return Not(expr_from_dict(body))
    if kind == "const":
        return Const(bool(body))
    if kind == "opaque":
        return Opaque(body["construct"], body["reason"], body.get("location", ""))
    raise ValueError(f"unknown expression kind {kind!r}")


def _tally_to_dict(t: Tally) -> dict:
    d = {"field": t.field.to_dict(), "where": expr_to_dict(t.where)}
    if t.distinct is not None:
        d["distinct"] = t.distinct.to_dict()
    return d


def _tally_from_dict(d: dict) -> Tally:
    return Tally(Field.from_dict(d["field"]), expr_from_dict(d["where"]),
                 Field.from_dict(d["distinct"]) if "distinct" in d else None)


def walk(e: Expr) -> Iterator[Expr]:
    """Pre-order walk of an expression tree (quantifier bodies included)."""
    yield e
    if isinstance(e, (All, AnyOf)):
        for x in e.items:
            yield from walk(x)
    elif isinstance(e, Not):
        yield from walk(e.item)
    elif isinstance(e, Quantifier):
        yield from walk(e.where)
    elif isinstance(e, First):
        yield from walk(e.stop)
        yield from walk(e.then)
    elif isinstance(e, Count):
        for t in e.tallies:
            yield from walk(t.where)


def node_fields(node: Any) -> list[Field]:
    """The Fields one node reads itself, not through its children: a Predicate's field and
    Field operand, the array of a Quantifier or First, the arrays a Count counts."""
    if isinstance(node, Predicate):
        return [x for x in (node.field, node.value) if isinstance(x, Field)]
    if isinstance(node, (Quantifier, First)):
        return [node.field]
    if isinstance(node, Count):
        return [t.field for t in node.tallies]
    return []


def fields_of(e: Expr) -> list[Field]:
    """Every event-rooted Field the expression reads (quantified arrays as their array field)."""
    out: list[Field] = []
    for node in walk(e):
        for f in node_fields(node):
            if f.root == "event" and f not in out:
                out.append(f)
    return out


# --------------------------------------------------------------------------- rule metadata
@dataclass(frozen=True)
class Mock:
    """A test mock: ``objectName`` replaced by a function returning ``return_value``."""

    name: str
    return_value: Any

    def to_dict(self) -> dict:
        return {"objectName": self.name, "returnValue": self.return_value}

    @classmethod
    def from_dict(cls, d: dict) -> "Mock":
        return cls(d["objectName"], d.get("returnValue"))


@dataclass(frozen=True)
class RuleTest:
    """One unit test. ``log_json`` holds the event as canonical JSON text so the object stays
    immutable; ``log`` returns a fresh parsed copy."""

    name: str
    expected_result: bool
    log_json: str
    mocks: tuple = ()

    @classmethod
    def make(cls, name: str, expected_result: bool, log: Any, mocks: Iterable[Mock] = ()) -> "RuleTest":
        return cls(name, bool(expected_result), json.dumps(log, sort_keys=True, default=str),
                   tuple(mocks))

    @property
    def log(self) -> Any:
        return json.loads(self.log_json)

    def to_dict(self) -> dict:
        d = {"name": self.name, "expected_result": self.expected_result, "log": self.log}
        if self.mocks:
            d["mocks"] = [m.to_dict() for m in self.mocks]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RuleTest":
        return cls.make(d["name"], d["expected_result"], d.get("log"),
                        [Mock.from_dict(m) for m in d.get("mocks", ())])


@dataclass(frozen=True)
class MitreRef:
    tactic: str  # "TA0005"
    technique: str = ""  # "T1562" or "T1562.001"

    def __str__(self) -> str:
        return f"{self.tactic}:{self.technique}" if self.technique else self.tactic


@dataclass(frozen=True)
class Template:
    """A text template: parts are str (literal) or Field (substituted). ``Field.default`` is
    the text Python would show for a missing field."""

    parts: tuple = ()

    def to_dict(self) -> list:
        return [p if isinstance(p, str) else {"$field": p.to_dict()} for p in self.parts]

    @classmethod
    def from_dict(cls, d: list) -> "Template":
        return cls(tuple(p if isinstance(p, str) else Field.from_dict(p["$field"]) for p in d))


@dataclass(frozen=True)
class DynamicSeverity:
    severity: str
    when: Expr


@dataclass(frozen=True)
class Extraction:
    """How the detection was obtained. verdict: exact | partial | unsupported | mismatch |
    simple (YAML Detection) | none (no logic found)."""

    verdict: str
    frontend: str = ""
    reasons: tuple = ()  # human-readable strings, "file.py:12: construct: why"
    paths: int = 0

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "frontend": self.frontend, "reasons": list(self.reasons),
                "paths": self.paths}

    @classmethod
    def from_dict(cls, d: dict) -> "Extraction":
        return cls(d["verdict"], d.get("frontend", ""), tuple(d.get("reasons", ())), d.get("paths", 0))


_EXPR_FIELDS = {"detection", "inline_filters"}


@dataclass(frozen=True)
class Rule:
    id: str
    analysis_type: str = "rule"  # rule | scheduled_rule | correlation_rule
    display_name: str = ""
    enabled: bool = True
    log_types: tuple = ()
    scheduled_queries: tuple = ()
    severity: str = "Info"
    description: str = ""
    runbook: str = ""
    reference: str = ""
    tags: tuple = ()
    mitre: tuple = ()  # MitreRef
    reports: tuple = ()  # (framework, (ids...)) pairs other than MITRE ATT&CK
    dedup_period_minutes: int = 60
    threshold: int = 1
    summary_attributes: tuple = ()
    output_ids: tuple = ()
    create_alert: bool = True
    tests: tuple = ()  # RuleTest
    detection: Expr | None = None
    inline_filters: Expr | None = None
    dedup_key: tuple = ()  # Field
    group_by: tuple = ()  # Field (simple detections' GroupBy)
    title: Template | None = None
    output_fields: tuple = ()  # Field, from alert_context and SummaryAttributes
    alert_context: tuple = ()  # (name, Field) pairs: the keys correlation rules match on
    dynamic_severities: tuple = ()  # DynamicSeverity
    correlation: Any = None  # JSON-like tuple form of a correlation Detection, see frontends
    extraction: Extraction | None = None
    source_file: str = ""  # the .yml
    python_file: str = ""  # the .py (Filename), resolved
    source_hash: str = ""  # sha256 over yml + py content

    def __post_init__(self):
        # Keep the object hashable/immutable even when a frontend hands in JSON-like data.
        if isinstance(self.correlation, (dict, list)):
            object.__setattr__(self, "correlation", _freeze_json(self.correlation))

    def to_dict(self) -> dict:
        out: dict = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in _EXPR_FIELDS:
                v = expr_to_dict(v) if v is not None else None
            elif f.name == "tests":
                v = [t.to_dict() for t in v]
            elif f.name == "mitre":
                v = [str(m) for m in v]
            elif f.name in ("dedup_key", "group_by", "output_fields"):
                v = [x.to_dict() for x in v]
            elif f.name == "title":
                v = v.to_dict() if v is not None else None
            elif f.name == "alert_context":
                v = [[name, fld.to_dict()] for name, fld in v]
            elif f.name == "dynamic_severities":
                v = [{"severity": d.severity, "when": expr_to_dict(d.when)} for d in v]
            elif f.name == "extraction":
                v = v.to_dict() if v is not None else None
            elif f.name == "reports":
                v = {k: list(ids) for k, ids in v}
            elif f.name == "correlation":
                v = _thaw(v)
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Rule":
        kw: dict = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            if f.name in _EXPR_FIELDS:
                v = expr_from_dict(v) if v is not None else None
            elif f.name == "tests":
                v = tuple(RuleTest.from_dict(t) for t in v)
            elif f.name == "mitre":
                v = tuple(MitreRef(*(s.split(":", 1) if ":" in s else (s, ""))) for s in v)
            elif f.name in ("dedup_key", "group_by", "output_fields"):
                v = tuple(Field.from_dict(x) for x in v)
            elif f.name == "title":
                v = Template.from_dict(v) if v is not None else None
            elif f.name == "alert_context":
                v = tuple((name, Field.from_dict(fld)) for name, fld in v)
            elif f.name == "dynamic_severities":
                v = tuple(DynamicSeverity(x["severity"], expr_from_dict(x["when"])) for x in v)
            elif f.name == "extraction":
                v = Extraction.from_dict(v) if v is not None else None
            elif f.name == "reports":
                v = tuple((k, tuple(ids)) for k, ids in v.items())
            elif f.name == "correlation":
                v = _freeze_json(v)
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)


def _freeze_json(v: Any) -> Any:
    """JSON-like -> hashable: dicts become tuples of (key, value) pairs tagged by a leading
    "__dict__" marker so the round trip is exact."""
    if isinstance(v, dict):
        return ("__dict__",) + tuple((k, _freeze_json(x)) for k, x in v.items())
    if isinstance(v, list):
        return tuple(_freeze_json(x) for x in v)
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple):
        if v and v[0] == "__dict__":
            return {k: _thaw(x) for k, x in v[1:]}
        return [_thaw(x) for x in v]
    return v
