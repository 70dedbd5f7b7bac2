"""``MappingSet``: answers "where does log type L live on target T" and "what is Panther field P
called there", from the merged mapping files.

Resolution of a path on one target, in order:

1. explicit entries: the longest entry that is a prefix of the path (``EACH`` in an entry matches
   any index). Below a prefix the path continues only if the entry's column is nested:
   ``json-string`` (steps marked json) or ``object``/``array``/``json`` (native steps);
2. the target's naming style, for paths inside the log type's schema (Panther side): ``dotted``
   (Sigma), ``flat`` (Splunk ``a.b{}.c``), ``lower`` (Athena: lower-case struct path, JSON
   below ``json`` fields);
3. otherwise ``Unmapped`` with a reason and a fallback (the documented spelling a backend
   emits with a warning when not strict; see ``fallback_name``).
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..model import Field
from .entries import (
    EACH, SCALAR_TYPES, TARGETS, FieldEntry, LogTypeMapping, MappingError, Provenance, ResolvedField, Source,
    Step, TargetMapping, Unmapped, base_type, dotted,
)
from .loader import STANDARD, load_all, merge, split_target
from .conventions import load_conventions
from .naming import OPEN_TYPES, flat_name, spell

NESTED_COLUMN_TYPES = ("object", "array", "json", "any")


def _step_matches(pattern, step) -> bool:
    if pattern == EACH:
        return isinstance(step, int) or step == EACH
    return pattern == step


def _matches_prefix(pattern: tuple, path: tuple) -> bool:
    return len(pattern) <= len(path) and all(_step_matches(p, s) for p, s in zip(pattern, path))


def _norm(path: tuple, fold: bool = False) -> tuple:
    """Schema keys spell array elements as EACH: an index step matches them."""
    return tuple(EACH if isinstance(s, int) else (s.lower() if fold and s != EACH else s)
                 for s in path)


class Schema:
    """The Panther-side shape of one log type: path -> type, with open (json) subtrees."""

    def __init__(self, fields: Iterable[tuple]):
        self.types: dict = {_norm(p): t for p, t in fields}
        # a listed path implies its parents: objects, or arrays where an element step follows
        for path in list(self.types):
            for i in range(1, len(path)):
                self.types.setdefault(path[:i], "array" if path[i] == EACH else "object")
        self.folded = {_norm(p, fold=True): t for p, t in self.types.items()}
        self.spelling = {_norm(p, fold=True): p for p in self.types}
        self.parents = {p[:i] for p in self.types for i in range(1, len(p))}

    def __bool__(self) -> bool:
        return bool(self.types)

    def _lookup(self, path: tuple, ignore_case: bool = False) -> str | None:
        typ = self.types.get(_norm(path))
        if typ is None and ignore_case:
            typ = self.folded.get(_norm(path, fold=True))
        return typ

    def type_of(self, path: tuple) -> str | None:
        """The listed type at ``path`` (index steps match any element), keys case-insensitive."""
        return self._lookup(path, ignore_case=True)

    def is_open(self, path: tuple, typ: str) -> bool:
        """Whether unlisted paths below ``path`` exist: json/any always; objects and arrays
        whose members the schema does not list."""
        if typ in OPEN_TYPES:
            return True
        if base_type(typ) in ("object", "array") or typ.endswith("[]"):
            return not self._has_children(path)
        return False

    def canonical(self, path: tuple) -> tuple:
        """``path`` with each schema key in the schema's own spelling (case-insensitive match),
        index steps kept; steps below the schema's listed paths unchanged."""
        out = list(path)
        for i in range(len(path), 0, -1):
            known = self.spelling.get(_norm(path[:i], fold=True))
            if known is not None:
                for j, step in enumerate(known):
                    if step != EACH:
                        out[j] = step
                break
        return tuple(out)

    def _has_children(self, path: tuple) -> bool:
        return _norm(path) in self.parents

    def walk(self, path: tuple, ignore_case: bool = False) -> list[tuple[int, str]] | None:
        """Types along ``path``: [(length of prefix, type)], or None when the path leaves the
        schema. Past an open node the remaining steps are typed "unknown"."""
        out = []
        for i in range(1, len(path) + 1):
            typ = self._lookup(path[:i], ignore_case)
            if typ is None:
                prev_len, prev_type = out[-1] if out else (0, "")
                if out and self.is_open(path[:prev_len], prev_type):
                    return out + [(j, "unknown") for j in range(i, len(path) + 1)]
                if out and isinstance(path[i - 1], int) or (out and path[i - 1] == EACH):
                    # an element step of an array whose element type is not listed
                    if base_type(prev_type) == "array" or prev_type.endswith("[]"):
                        elem = prev_type[:-2] if prev_type.endswith("[]") else "unknown"
                        out.append((i, elem))
                        continue
                return None
            out.append((i, typ))
        return out


class MappingSet:
    """All mappings in force: shipped files merged with user files (later wins)."""

    def __init__(self, by_log_type: dict[str, LogTypeMapping], conventions: dict | None = None):
        self._raw = dict(by_log_type)
        self._conventions = dict(conventions or {})
        standard = self._raw.get(STANDARD)
        self._eff: dict[str, LogTypeMapping] = {}
        for name, m in self._raw.items():
            if name == STANDARD:
                continue
            if standard is not None:
                present = {(t.target, t.variant) for t in m.targets}
                std_targets = tuple(t for t in standard.targets if (t.target, t.variant) in present)
                std = LogTypeMapping(name, "", standard.schema, standard.schema_provenance,
                                     standard.udm, std_targets, standard.files,
                                     schema_sources=standard.schema_sources)
                m = merge(std, m)
            self._eff[name] = m
        self._schemas = {name: Schema(m.schema) for name, m in self._eff.items()}
        self._field_sources = {name: {_norm(p): prov for p, prov in m.schema_sources}
                               for name, m in self._eff.items()}
        self._cache: dict = {}

    # ----------------------------------------------------------------- lookups
    @property
    def log_types(self) -> list[str]:
        return sorted(self._eff)

    def log_type(self, log_type: str) -> LogTypeMapping | None:
        return self._eff.get(log_type)

    def schema(self, log_type: str) -> Schema:
        return self._schemas.get(log_type) or Schema(())

    def target_mapping(self, log_type: str, target: str, variant: str = "") -> TargetMapping | None:
        target, variant = _target_variant(target, variant)
        m = self._eff.get(log_type)
        return m.target(target, variant) if m else None

    def variants(self, log_type: str, target: str) -> list[str]:
        m = self._eff.get(log_type)
        return [t.variant for t in m.targets if t.target == target] if m else []

    def source(self, log_type: str, target: str, variant: str = "") -> Source:
        """Where ``log_type`` lives on ``target``; raises MappingError when not mapped."""
        tm = self.target_mapping(log_type, target, variant)
        if tm is None:
            target, variant = _target_variant(target, variant)
            known = "" if log_type in self._eff else " (unknown log type)"
            raise MappingError(f"{log_type}{known}: no {target}{':' + variant if variant else ''} "
                               f"source in the mappings; add one with --mapping FILE")
        return tm.source

    def table_columns(self, log_type: str, target: str, variant: str = "") -> dict[str, str]:
        """The columns (or fields) of the target's table this mapping knows, with their types:
        what an engine needs to create the table or register its schema (Kusto, DuckDB).
        Built from the explicit entries and the schema spelled by the naming style; for
        nested columns the column itself (``RequestParameters``: json-string)."""
        m = self._eff.get(log_type)
        if m is None or m.target(*_target_variant(target, variant)) is None:
            return {}
        paths = {p for p, _ in m.schema}
        paths.update(e.path for e in m.target(*_target_variant(target, variant)).entries)
        out: dict[str, str] = {}
        for path in sorted(paths, key=str):
            r = self.resolve(log_type, target, path, variant)
            if not isinstance(r, ResolvedField) or not r.name:
                continue
            typ = r.column_type if r.steps or r.column_type != "unknown" else r.type
            if r.column_type == "labels":
                typ = "labels"
            out.setdefault(r.name, typ)
        return out

    def udm_path(self, log_type: str, udm_name: str) -> tuple | None:
        m = self._eff.get(log_type)
        return dict(m.udm).get(udm_name) if m else None

    # ----------------------------------------------------------------- resolution
    def resolve(self, log_type: str, target: str, path, variant: str = "") -> ResolvedField | Unmapped:
        """Resolve a Panther path (tuple of str/int/EACH, or dotted text) on one target."""
        target, variant = _target_variant(target, variant)
        if isinstance(path, str):
            from .entries import parse_dotted
            path = parse_dotted(path)
        key = (log_type, target, variant, tuple(path))
        if key not in self._cache:
            self._cache[key] = self._resolve(log_type, target, variant, tuple(path))
        return self._cache[key]

    def resolve_field(self, log_type: str, target: str, field: Field, variant: str = "",
                      element_of: tuple = ()) -> ResolvedField | Unmapped:
        """Resolve a model ``Field``. A Field with only a data-model name (``udm``) is looked up
        in the log type's data model; an element-rooted Field needs ``element_of``, the path of
        the array its Quantifier iterates over."""
        path = tuple(field.path)
        if not path and field.udm:
            found = self.udm_path(log_type, field.udm)
            if found is None:
                target, variant = _target_variant(target, variant)
                return Unmapped(log_type, target, variant, (field.udm,),
                                f"data-model name {field.udm!r} has no path for this log type")
            path = found
        if field.root == "element":
            if not element_of:
                raise ValueError("an element-rooted Field needs element_of (the array path)")
            path = tuple(element_of) + (EACH,) + path
        return self.resolve(log_type, target, path, variant)

    def resolve_strict(self, log_type: str, target: str, path, variant: str = "",
                       strict: bool = False, warnings=None) -> ResolvedField:
        """The mapping, or the fallback with a warning (appended to ``warnings``); under
        ``strict`` an unmapped field raises MappingError."""
        r = self.resolve(log_type, target, path, variant)
        if isinstance(r, ResolvedField):
            return r
        if strict or r.fallback is None:
            raise MappingError(r.message)
        if warnings is not None:
            warnings.add(r) if hasattr(warnings, "add") else warnings.append(r.message)
        return r.fallback

    def never_present(self, log_type: str, path: tuple) -> tuple | None:
        """(Provenance, note) when no event of ``log_type`` holds ``path``: its top-level key is
        listed under ``never_present`` (a field of other log types that shared helpers read) and
        the schema does not list it. Keys match case-insensitively, as PantherEvent's do."""
        m = self._eff.get(log_type)
        if m is None or not m.never_present or not path or not isinstance(path[0], str):
            return None
        if self.schema(log_type).walk(tuple(path[:1]), ignore_case=True) is not None:
            return None
        for key, prov, note in m.never_present:
            if key.lower() == path[0].lower():
                return prov, note
        return None

    def _resolve(self, log_type: str, target: str, variant: str, path: tuple):
        absent = self.never_present(log_type, path)
        tm = self._eff[log_type].target(target, variant) if log_type in self._eff else None
        if absent is not None and tm is not None:
            prov, note = absent
            return self._unmapped(log_type, target, variant, path,
                                  f"no {log_type} event holds {path[0]!r}"
                                  f"{' (' + note + ')' if note else ''}; stated by {prov.source}. "
                                  f"Its value is always missing", tm, kind="never-present")
        found = self._resolve_direct(log_type, target, variant, path)
        if isinstance(found, Unmapped) and found.kind == "not-in-schema" and log_type in self._eff:
            # PantherEvent looks keys up case-insensitively at every level (panther_analysis_tool
            # immutable.py, ImmutableCaseInsensitiveDict): ``eventtype`` reads ``eventType``
            canonical = self._schemas[log_type].canonical(path)
            if canonical != path:
                return self.resolve(log_type, target, canonical, variant)
        if isinstance(found, Unmapped) and path == ("p_log_type",) and log_type in self._eff \
                and self._eff[log_type].target(target, variant) is not None:
            return ResolvedField(log_type, target, variant, path, "", "string", "constant", (),
                                 "constant", Provenance("rulec: the source selects the log type",
                                                        "high"),
                                 f"every row of this source is a {log_type} event",
                                 constant=log_type)
        if isinstance(found, Unmapped) and len(path) == 1:
            m = self._eff.get(log_type)
            sources = dict(m.indicators).get(path[0]) if m else None
            if sources:
                return self._indicator_union(m, target, variant, path, sources) or found
        if isinstance(found, Unmapped) and log_type in self._eff:
            return self._composite(self._eff[log_type], target, variant, path) or found
        return found

    def _children(self, m: LogTypeMapping, target: str, variant: str, path: tuple) -> list:
        """Direct child paths of ``path``: from the schema and from explicit entries below."""
        n = len(path)
        out = {p[:n + 1] for p in self._schemas[m.log_type].types
               if len(p) > n and _matches_prefix(_norm(path), p) and p[n] != EACH}
        tm = m.target(target, variant)
        if tm is not None:
            out |= {e.path[:n + 1] for e in tm.entries
                    if len(e.path) > n and _matches_prefix(e.path[:n], path) and e.path[n] != EACH}
        return sorted(out, key=str)

    def _composite(self, m: LogTypeMapping, target: str, variant: str,
                   path: tuple) -> ResolvedField | None:
        """An object with no column of its own, spread over the columns of its members
        (Sentinel's userIdentity -> UserIdentityType, UserIdentityArn, ...): ``members`` holds
        (relative path, ResolvedField) pairs; ``name`` is empty."""
        typ = self._schemas[m.log_type]._lookup(path)
        if typ not in ("object", "json", None):
            return None
        children = self._children(m, target, variant, path)
        if not children:
            return None
        members: list = []
        missing: list = []
        free_form = typ == "json"
        for child in children:
            r = self.resolve(m.log_type, target, child, variant)
            if isinstance(r, ResolvedField) and r.column_type == "composite":
                members.extend((child[len(path):] + rel, x) for rel, x in r.members)
                free_form = free_form or "free-form" in r.note
            elif isinstance(r, ResolvedField):
                members.append((child[len(path):], r))
            else:
                missing.append(dotted(child))
        if not members:
            return None
        conf = "high"
        for _, r in members:
            conf = min_confidence(conf, r.provenance.confidence)
        note = f"an object spread over {len(members)} field(s) of the target"
        if free_form:
            note += "; free-form keys the target has no field for are not held"
        if missing:
            note += f"; members without a mapping left out: {', '.join(missing)}"
        return ResolvedField(m.log_type, target, variant, path, "", "object", "composite", (),
                             "composite", Provenance(members[0][1].provenance.source, conf),
                             note, members=tuple(members))

    def _indicator_union(self, m: LogTypeMapping, target: str, variant: str, path: tuple,
                         sources: tuple) -> ResolvedField | None:
        parts = [self.resolve(m.log_type, target, p, variant) for p in sources]
        mapped = tuple(r for r in parts if isinstance(r, ResolvedField))
        if not mapped:
            return None
        missing = [dotted(p) for p, r in zip(sources, parts) if not isinstance(r, ResolvedField)]
        note = (f"{path[0]} is computed by Panther; here the union of "
                f"{', '.join(dotted(r.path) for r in mapped)}. Panther also extracts indicators "
                f"from free-form JSON fields, which this union does not read")
        if missing:
            note += f"; unmapped sources left out: {', '.join(missing)}"
        typ = self.schema(m.log_type)._lookup(path) or "string[]"
        return ResolvedField(m.log_type, target, variant, path, "", typ, "any_of", (),
                             "indicator", Provenance(mapped[0].provenance.source, "low"), note,
                             any_of=mapped)

    def _resolve_direct(self, log_type: str, target: str, variant: str, path: tuple):
        m = self._eff.get(log_type)
        if m is None:
            return self._unmapped(log_type, target, variant, path, "unknown log type", None,
                                  kind="unknown-log-type")
        tm = m.target(target, variant)
        if tm is None:
            return self._unmapped(log_type, target, variant, path,
                                  f"no {target} mapping for this log type", None,
                                  kind="no-target")
        schema = self._schemas[log_type]
        explicit = self._explicit(m, tm, schema, path)
        if explicit is not None:
            return explicit
        if tm.naming not in ("", "explicit"):
            found = self._by_naming(m, tm, schema, path)
        elif schema and schema.walk(path) is None:
            found = self._unmapped(log_type, target, variant, path,
                                   f"not a field of the {m.log_type} schema", tm,
                                   kind="not-in-schema")
        else:
            found = self._unmapped(log_type, target, variant, path,
                                   f"no entry in the {target} mapping", tm, kind="no-entry")
        if isinstance(found, Unmapped) and target in self._conventions:
            return self._by_convention(m, tm, schema, path, self._conventions[target]) or found
        return found

    def _by_convention(self, m: LogTypeMapping, tm: TargetMapping, schema: Schema, path: tuple,
                       conv) -> ResolvedField | None:
        if path and isinstance(path[0], str) and path[0].startswith("p_"):
            return None
        walked = schema.walk(path)
        if not walked or len(walked) != len(path):
            return None  # not a listed field: typos and values inside free-form JSON
        value_type = walked[-1][1]
        if base_type(value_type) == "array":  # an array of scalars is a repeated field
            elem = schema._lookup(path + (EACH,))
            value_type = f"{elem}[]" if elem in SCALAR_TYPES else value_type
        if base_type(value_type) not in SCALAR_TYPES:
            return None  # objects and arrays of objects get no inferred home
        for udm_name, udm_path in m.udm:
            hit = conv.concept(udm_name)
            if hit and _norm(udm_path) == _norm(path):
                name, typ = hit
                return ResolvedField(m.log_type, tm.target, tm.variant, path, name,
                                     typ or value_type, typ or value_type, (), "concept",
                                     Provenance(conv.source, "medium"),
                                     f"Panther's data model names this field {udm_name!r}")
        rule = conv.by_name(dotted(path))
        if rule is None:
            return None
        typ = rule.type or value_type
        note = rule.note or f"{tm.target} home inferred from the field name; check the parser"
        return ResolvedField(m.log_type, tm.target, tm.variant, path, rule.name, typ, typ, (),
                             "convention", Provenance(conv.source, "low"), note)

    def _explicit(self, m: LogTypeMapping, tm: TargetMapping, schema: Schema, path: tuple):
        best: FieldEntry | None = None
        for e in tm.entries:
            if _matches_prefix(e.path, path) and (best is None or len(e.path) > len(best.path)):
                best = e
        if best is None:
            return None
        rest = path[len(best.path):]
        walked = schema.walk(path) or []
        value_type = walked[-1][1] if len(walked) == len(path) and walked else "unknown"
        column_type = best.type or schema._lookup(best.path) or "unknown"
        if column_type == "labels":
            if any(isinstance(s, int) or s == EACH for s in path):
                return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                      f"{best.name} label keys for array elements are not "
                                      f"documented", tm, kind="style")
            return ResolvedField(m.log_type, tm.target, tm.variant, path, best.name,
                                 "string" if rest else (best_value_type(value_type)), "labels",
                                 (Step(dotted(path)),), "explicit" if not rest else "prefix",
                                 best.provenance, best.note)
        if not rest:
            return ResolvedField(m.log_type, tm.target, tm.variant, path, best.name,
                                 best.type or value_type, column_type, (), "explicit",
                                 best.provenance, best.note)
        if column_type == "json-string":
            steps = tuple(Step(s, json=True) for s in rest)
        elif base_type(column_type) in NESTED_COLUMN_TYPES or column_type.endswith("[]"):
            steps = tuple(Step(s) for s in rest)
        else:
            if tm.naming not in ("", "explicit"):
                return None  # let the naming style try (e.g. an override of a parent name)
            return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                  f"{dotted(best.path)} maps to {best.name!r} of type "
                                  f"{column_type}, which has no fields below it", tm,
                                  kind="scalar-below")
        return ResolvedField(m.log_type, tm.target, tm.variant, path, best.name,
                             value_type, column_type, steps, "prefix", best.provenance, best.note)

    def _by_naming(self, m: LogTypeMapping, tm: TargetMapping, schema: Schema, path: tuple):
        text = dotted(path)
        for pattern in tm.absent:
            if fnmatchcase(text, pattern) or fnmatchcase(text.split(".")[0].split("[")[0], pattern):
                return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                      f"this {tm.target} source does not hold {pattern!r}", tm,
                                      kind="absent")
        # Athena (Glue) column and struct field names are case-insensitive
        if tm.naming == "lower":
            path = schema.canonical(path)
        walked = schema.walk(path)
        if not schema:
            return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                  "the log type has no schema in the mappings", tm,
                                  kind="no-schema")
        if walked is None:
            return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                  f"not a field of the {m.log_type} schema", tm,
                                  kind="not-in-schema")
        field_prov, note = self._schema_provenance(m, path)
        prov = Provenance(tm.provenance.source, min_confidence(tm.provenance.confidence,
                                                               field_prov.confidence))
        types = dict(walked)

        def opens_json(i: int) -> bool:
            typ = types.get(i, "unknown")
            return typ in OPEN_TYPES or (typ == "object" and schema.is_open(path[:i], typ))

        skip = 0
        if tm.record_root:
            if not path or not isinstance(path[0], str) or path[0].lower() != tm.record_root.lower():
                return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                      f"this {tm.target} source holds only what is under "
                                      f"{tm.record_root!r}", tm, kind="absent")
            if len(path) == 1:
                return self._unmapped(m.log_type, tm.target, tm.variant, path,
                                      f"{tm.record_root!r} is the whole {tm.target} record, not "
                                      "a column", tm, kind="style")
            skip = 1
        spelled = spell(tm.naming, path[skip:], {i - skip: t for i, t in types.items() if i > skip},
                        lambda i: opens_json(i + skip), tm.name_prefix)
        if isinstance(spelled, str):
            return self._unmapped(m.log_type, tm.target, tm.variant, path, spelled, tm,
                                  kind="style")
        return ResolvedField(m.log_type, tm.target, tm.variant, path, spelled.name,
                             spelled.value_type, spelled.column_type, spelled.steps, "naming",
                             prov, note, array_steps=spelled.array_steps)

    def _schema_provenance(self, m: LogTypeMapping, path: tuple) -> tuple[Provenance, str]:
        """Who states that ``path`` is a field of the log type: the listed field (or nearest
        listed parent) with its own source, else the schema's provenance."""
        sources = self._field_sources.get(m.log_type) or {}
        for i in range(len(path), 0, -1):
            prov = sources.get(_norm(path[:i]))
            if prov is not None:
                return prov, f"field {dotted(path[:i])} stated by {prov.source}"
        return m.schema_provenance, ""

    def _unmapped(self, log_type, target, variant, path, reason, tm: TargetMapping | None,
                  kind: str = "") -> Unmapped:
        name = fallback_name(target, path, tm.fallback if tm else "")
        fb = ResolvedField(log_type, target, variant, path, name, "unknown", "unknown", (),
                           "fallback", Provenance("rulec fallback policy", "low"),
                           "unmapped: " + reason)
        return Unmapped(log_type, target, variant, path, reason, fb, kind)


def best_value_type(t: str) -> str:
    """Label values are text: a label holding a structured value is its JSON."""
    return t if t in ("string", "unknown") else "string"


def fallback_name(target: str, path: tuple, template: str = "") -> str:
    """The documented spelling of an unmapped field (emitted with a warning, never silently):
    the file's ``fallback`` template if given (``{path}`` = dotted Panther path), else sentinel:
    the dotted path (Kusto reports the unknown column), splunk: the flat JSON name, chronicle:
    ``additional.fields["<path>"]`` (where UDM parsers keep unmapped data), athena: the
    lower-cased dotted path, sigma: the dotted path."""
    text = dotted(path)
    if template:
        return template.replace("{path}", text)
    if target == "splunk":
        return flat_name(path)[0]
    if target == "chronicle":
        return f'additional.fields["{text}"]'
    if target == "athena":
        return ".".join(s.lower() for s in path if isinstance(s, str) and s != EACH)
    return text


_RANK = {"high": 2, "medium": 1, "low": 0}


def min_confidence(a: str, b: str) -> str:
    return a if _RANK.get(a, 1) <= _RANK.get(b, 1) else b


def _target_variant(target: str, variant: str) -> tuple[str, str]:
    t, v = split_target(target)
    if t not in TARGETS:
        raise MappingError(f"unknown target {t!r} (known: {', '.join(TARGETS)})")
    return t, variant or v


@lru_cache(maxsize=8)
def _load_cached(extra: tuple) -> MappingSet:
    return MappingSet(load_all(extra), load_conventions(extra))


def load_mappings(extra_files: Iterable[Path | str] = ()) -> MappingSet:
    """Shipped mappings plus user files (``--mapping``), later files winning key by key.
    Raises MappingError naming the file and key of the first invalid entry."""
    return _load_cached(tuple(str(p) for p in extra_files))
