"""Athena (Trino) SQL to other dialects: sqlglot's transpiler plus the rewrites it lacks.

sqlglot leaves Trino's array lambdas (``any_match``/``all_match``/``none_match``) as unknown
functions outside Trino, and its DuckDB ``json_extract_scalar`` (``->>``) returns an object's
JSON text where Athena returns NULL. Those are rewritten here into forms with Trino's exact
meaning, NULL cases included, before generating the target dialect. Any function left unknown
to sqlglot is reported per rule: the target may not have it, and a check that ran without it
would prove nothing.
"""
from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel

__all__ = ["DIALECTS", "transpile", "unknown_functions", "construct_text"]

DIALECTS = ("athena", "trino", "snowflake", "bigquery", "databricks", "duckdb")
_TRINO = ("athena", "trino")

# Function names sqlglot does not model but the target has with Trino's meaning.
_NATIVE = {
    # json_array_length: DuckDB gives 0 on an object where Trino gives NULL; rulec only
    # emits it behind an "is a JSON array" guard.
    "duckdb": {"json_format", "json_type", "json_array_length", "json_keys", "list_reverse"},
    # written by the rewrites below: Databricks' try_parse_json (NULL for text that is not
    # JSON), BigQuery's SAFE.PARSE_JSON
    "databricks": {"try_parse_json"},
    "bigquery": {"parse_json"},
}


def _lambda_parts(node: exp.Anonymous) -> tuple[exp.Expression, exp.Lambda] | None:
    args = node.expressions
    if len(args) == 2 and isinstance(args[1], exp.Lambda):
        return args[0], args[1]
    return None


def _count(array: exp.Expression, lam: exp.Lambda, body: exp.Expression) -> exp.Expression:
    filtered = exp.ArrayFilter(this=array.copy(),
                               expression=exp.Lambda(this=body, expressions=[e.copy() for e in lam.expressions]))
    return exp.GT(this=exp.ArraySize(this=filtered), expression=exp.Literal.number(0))


def _match_rewrite(node: exp.Expression) -> exp.Expression:
    """Trino's any/all/none_match with its NULL rules:
    any_match: TRUE if some element TRUE, else NULL if some NULL, else FALSE;
    all_match: FALSE if some FALSE, else NULL if some NULL, else TRUE;
    none_match: FALSE if some TRUE, else NULL if some NULL, else TRUE."""
    if not isinstance(node, exp.Anonymous):
        return node
    name = node.name.lower()
    if name not in ("any_match", "all_match", "none_match"):
        return node
    parts = _lambda_parts(node)
    if parts is None:
        return node
    array, lam = parts
    body = lam.this
    some_true = _count(array, lam, body.copy())
    some_false = _count(array, lam, exp.Not(this=exp.Paren(this=body.copy())))
    some_null = _count(array, lam, exp.Is(this=exp.Paren(this=body.copy()), expression=exp.Null()))
    decisive, result = {"any_match": (some_true, True), "all_match": (some_false, False),
                        "none_match": (some_true, False)}[name]
    return exp.Case(ifs=[
        exp.If(this=exp.Is(this=array.copy(), expression=exp.Null()), true=exp.Null()),
        exp.If(this=decisive, true=exp.Boolean(this=result)),
        exp.If(this=some_null, true=exp.Null()),
    ], default=exp.Boolean(this=not result))


def _duckdb_json_scalar(node: exp.Expression) -> exp.Expression:
    """Athena's json_extract_scalar is NULL on objects and arrays; DuckDB's ->> is not."""
    if not isinstance(node, exp.JSONExtractScalar) or node.meta.get("rulec_guarded"):
        return node
    node.meta["rulec_guarded"] = True
    kind = exp.Anonymous(this="json_type", expressions=[node.this.copy(), node.expression.copy()])
    return exp.Case(ifs=[exp.If(this=exp.In(this=kind, expressions=[
        exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")]), true=exp.Null())], default=node)


def _duckdb_json_size(node: exp.Expression) -> exp.Expression:
    """Trino's json_size(json, path): members of an object, elements of an array, else 0."""
    if not isinstance(node, exp.Anonymous) or node.name.lower() != "json_size" or len(node.expressions) != 2:
        return node
    j, path = node.expressions
    kind = exp.Anonymous(this="json_type", expressions=[j.copy(), path.copy()])
    keys = exp.Anonymous(this="json_keys", expressions=[j.copy(), path.copy()])
    return exp.Case(ifs=[
        exp.If(this=exp.Is(this=kind.copy(), expression=exp.Null()), true=exp.Null()),
        exp.If(this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("OBJECT")), true=exp.ArraySize(this=keys)),
        exp.If(this=exp.EQ(this=kind.copy(), expression=exp.Literal.string("ARRAY")),
               true=exp.Anonymous(this="json_array_length", expressions=[j.copy(), path.copy()])),
    ], default=exp.Literal.number(0))


def _duckdb_list_reverse(node: exp.Expression) -> exp.Expression:
    """Trino's reverse() of an array (rulec reverses only filter()'s result, for the last
    element passing a test) is DuckDB's list_reverse; DuckDB's reverse() takes text only.
    ``slice(a, 1, 1)`` needs nothing: Trino's (start, length) and DuckDB's (begin, end) agree."""
    if isinstance(node, exp.Reverse) and isinstance(node.this, exp.ArrayFilter):
        return exp.Anonymous(this="list_reverse", expressions=[node.this.copy()])
    return node


def _is_root_path(node: exp.Expression) -> bool:
    return isinstance(node, exp.JSONExtract) and isinstance(node.expression, exp.JSONPath) and all(
        isinstance(s, exp.JSONPathRoot) for s in node.expression.expressions)


def _safe_json_parse(dialect: str):
    """Trino's ``try(json_parse(x))`` (NULL for text that is not JSON) and ``json_extract(x,
    '$')`` (the JSON value of a text; sqlglot writes ``x:`` in Databricks, which it rejects) as
    the target's non-raising parse: TRY_PARSE_JSON (Snowflake, Databricks), SAFE.PARSE_JSON
    (BigQuery)."""
    def parse(text: exp.Expression) -> exp.Expression:
        if dialect == "snowflake":
            return exp.ParseJSON(this=text, safe=True)
        if dialect == "databricks":
            return exp.Anonymous(this="TRY_PARSE_JSON", expressions=[text])
        return exp.Dot(this=exp.var("SAFE"), expression=exp.Anonymous(this="PARSE_JSON", expressions=[text]))

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Try) and isinstance(node.this, exp.ParseJSON):
            return parse(node.this.this)
        if dialect == "databricks" and _is_root_path(node):
            return parse(node.this)
        return node

    return rewrite


def construct_text(name: str) -> str:
    """A reported construct as text: a function name gets its parentheses."""
    return name if " " in name else f"{name}()"


def unknown_functions(tree: exp.Expression, dialect: str) -> list[str]:
    """Functions sqlglot could not map for ``dialect`` (left as written)."""
    native = _NATIVE.get(dialect, set())
    return sorted({n.name.lower() for n in tree.find_all(exp.Anonymous)
                   if n.name.lower() not in native})


def transpile(athena_sql: str, dialect: str, pretty: bool = True) -> tuple[str, list[str]]:
    """(SQL in ``dialect``, functions with no translation there)."""
    if dialect in _TRINO:
        return athena_sql, []
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    tree = sqlglot.parse_one(athena_sql, read="athena")
    for _ in range(32):  # nested lambdas: rewrite until no Trino matcher is left
        if not any(n.name.lower() in ("any_match", "all_match", "none_match")
                   for n in tree.find_all(exp.Anonymous)):
            break
        tree = tree.transform(_match_rewrite)
    if dialect == "duckdb":
        tree = tree.transform(_duckdb_json_scalar).transform(_duckdb_json_size) \
            .transform(_duckdb_list_reverse)
    if dialect in ("snowflake", "databricks", "bigquery"):
        tree = tree.transform(_safe_json_parse(dialect))
    # sqlglot drops what the target lacks (try() becomes a plain call) with only a log line:
    # each such construct is reported like a missing function.
    generator = Dialect.get_or_raise(dialect).generator(pretty=pretty, unsupported_level=ErrorLevel.IGNORE)
    text = generator.generate(tree)
    dropped = sorted({m.split()[1].lower() if m.startswith("Unsupported ") and len(m.split()) > 1 else m
                      for m in generator.unsupported_messages})
    return text, unknown_functions(tree, dialect) + dropped
