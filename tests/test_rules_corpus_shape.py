"""Shape of the project's own Panther rules in rules/: well-formed YAML, tests, helpers, coverage.

The rules are the examples every frontend and backend is exercised on, so this module also
checks that, together, their Python sources use every construct the Python frontend must handle
(found by scanning the AST, not by a hand-kept list).
"""

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
HELPERS_DIR = RULES_DIR / "global_helpers"
DATA_MODELS_DIR = RULES_DIR / "data_models"

# The seed rule keeps its Tests exactly as on the seed page (one true, two false tests).
SEED_RULE_ID = "AWS.EC2.SecurityGroupModified"

REQUIRED_RULE_KEYS = {
    "AnalysisType",
    "RuleID",
    "DisplayName",
    "Enabled",
    "LogTypes",
    "Tags",
    "Reports",
    "Severity",
    "DedupPeriodMinutes",
    "Description",
    "Runbook",
    "Reference",
    "SummaryAttributes",
    "Tests",
}
SEVERITIES = {"Info", "Low", "Medium", "High", "Critical"}
DYNAMIC_SEVERITIES = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "DEFAULT"}
MITRE_ENTRY = re.compile(r"^TA\d{4}:T\d{4}(\.\d{3})?$")
REQUIRED_LOG_TYPES = {
    "AWS.CloudTrail",
    "Okta.SystemLog",
    "GCP.AuditLog",
    "GitHub.Audit",
    "Azure.MonitorActivity",
    "GSuite.ActivityEvent",
}
# Functions Panther itself calls on a rule module; any other def is a rule-local helper.
PANTHER_RULE_FUNCTIONS = {
    "rule",
    "title",
    "dedup",
    "alert_context",
    "severity",
    "description",
    "reference",
    "runbook",
    "destinations",
}


def _load_yaml(path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _analysis_files(kind):
    found = []
    for path in sorted(RULES_DIR.rglob("*.yml")):
        spec = _load_yaml(path)
        if spec.get("AnalysisType") == kind:
            found.append((path, spec))
    return found


RULES = _analysis_files("rule")
PYTHON_RULES = [(path, spec) for path, spec in RULES if "Filename" in spec]


def _rule_id(item):
    return item[1]["RuleID"]


def _source_path(path, spec):
    return path.parent / spec["Filename"]


def _module_ast(path, spec):
    return ast.parse(_source_path(path, spec).read_text(encoding="utf-8"))


def test_every_yaml_file_parses_to_a_known_analysis_type():
    yaml_files = sorted(RULES_DIR.rglob("*.yml"))
    assert yaml_files
    for path in yaml_files:
        spec = _load_yaml(path)
        assert isinstance(spec, dict), f"{path}: not a YAML mapping"
        assert spec.get("AnalysisType") in {"rule", "correlation_rule", "global", "datamodel"}, path


def test_rule_count_and_log_types():
    assert len(RULES) >= 23
    log_types = Counter(log_type for _, spec in RULES for log_type in spec["LogTypes"])
    assert REQUIRED_LOG_TYPES <= set(log_types), REQUIRED_LOG_TYPES - set(log_types)
    assert len(log_types) >= 7


def test_rule_ids_are_unique():
    ids = Counter(spec["RuleID"] for _, spec in RULES)
    assert [rule_id for rule_id, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("path,spec", RULES, ids=[_rule_id(item) for item in RULES])
def test_rule_metadata(path, spec):
    missing = REQUIRED_RULE_KEYS - set(spec)
    assert not missing, f"{path}: missing {sorted(missing)}"
    assert spec["Severity"] in SEVERITIES
    assert isinstance(spec["Enabled"], bool)
    assert isinstance(spec["DedupPeriodMinutes"], int) and spec["DedupPeriodMinutes"] > 0
    assert spec["LogTypes"] and all(isinstance(t, str) for t in spec["LogTypes"])
    mitre = spec["Reports"].get("MITRE ATT&CK")
    assert mitre, f"{path}: no MITRE ATT&CK report"
    assert all(MITRE_ENTRY.match(entry) for entry in mitre), mitre
    if "Threshold" in spec:
        assert isinstance(spec["Threshold"], int) and spec["Threshold"] > 1
    # A rule is either Python (Filename next to the YAML) or a simple detection, never both.
    assert ("Filename" in spec) != ("Detection" in spec), path
    if "Filename" in spec:
        assert _source_path(path, spec).is_file(), f"{path}: {spec['Filename']} does not exist"
        assert spec["Filename"] == path.with_suffix(".py").name


@pytest.mark.parametrize("path,spec", RULES, ids=[_rule_id(item) for item in RULES])
def test_rule_has_positive_and_negative_tests(path, spec):
    tests = spec["Tests"]
    names = [test["Name"] for test in tests]
    assert len(names) == len(set(names)), f"{path}: duplicate test names"
    for test in tests:
        assert isinstance(test["ExpectedResult"], bool), test["Name"]
        assert isinstance(test["Log"], dict) and test["Log"], test["Name"]
    expected = Counter(test["ExpectedResult"] for test in tests)
    minimum = 1 if spec["RuleID"] == SEED_RULE_ID else 2
    assert expected[True] >= minimum and expected[False] >= minimum, dict(expected)


@pytest.mark.parametrize("path,spec", PYTHON_RULES, ids=[_rule_id(i) for i in PYTHON_RULES])
def test_python_rule_defines_rule_and_only_returns_known_severities(path, spec):
    tree = _module_ast(path, spec)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "rule" in functions, f"{path}: no rule(event)"
    assert [arg.arg for arg in functions["rule"].args.args] == ["event"]
    if "severity" in functions:
        returned = {
            node.value.value
            for node in ast.walk(functions["severity"])
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
        }
        assert returned and returned <= DYNAMIC_SEVERITIES, returned


def _helper_modules():
    modules = {}
    for path, spec in _analysis_files("global"):
        assert spec["GlobalID"] == Path(spec["Filename"]).stem, path
        source = path.parent / spec["Filename"]
        assert source.is_file(), f"{path}: {spec['Filename']} does not exist"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        modules[spec["GlobalID"]] = {
            node.name for node in tree.body if isinstance(node, ast.FunctionDef)
        } | {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
    return modules


def test_helper_imports_resolve_to_our_global_helpers():
    helpers = _helper_modules()
    assert {"panther_base_helpers", "panther_aws_helpers"} <= set(helpers)
    assert {"deep_get", "deep_walk"} <= helpers["panther_base_helpers"]
    assert {"aws_cloudtrail_success", "aws_rule_context"} <= helpers["panther_aws_helpers"]
    sources = [_source_path(p, s) for p, s in PYTHON_RULES]
    sources += sorted(HELPERS_DIR.glob("*.py")) + sorted(DATA_MODELS_DIR.glob("*.py"))
    standard_library = {"re", "fnmatch", "ipaddress", "collections.abc", "json"}
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.module in standard_library:
                    continue
                assert node.module in helpers, f"{source}: imports unknown module {node.module}"
                for alias in node.names:
                    assert alias.name in helpers[node.module], f"{source}: {alias.name}"
            elif isinstance(node, ast.Import):
                assert all(a.name in standard_library for a in node.names), source


def _data_models():
    models = {}
    for path, spec in _analysis_files("datamodel"):
        functions = set()
        if "Filename" in spec:
            source = path.parent / spec["Filename"]
            assert source.is_file(), f"{path}: {spec['Filename']} does not exist"
            tree = ast.parse(source.read_text(encoding="utf-8"))
            functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for mapping in spec["Mappings"]:
            assert ("Path" in mapping) != ("Method" in mapping), f"{path}: {mapping}"
            if "Method" in mapping:
                assert mapping["Method"] in functions, f"{path}: no {mapping['Method']}()"
        for log_type in spec["LogTypes"]:
            assert log_type not in models, f"{path}: second data model for {log_type}"
            models[log_type] = {mapping["Name"]: mapping for mapping in spec["Mappings"]}
    return models


def _udm_names(tree):
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "udm"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_udm_fields_are_mapped_for_every_log_type_of_the_rule():
    models = _data_models()
    kinds = {"Path": 0, "Method": 0}
    for mappings in models.values():
        for mapping in mappings.values():
            kinds["Path" if "Path" in mapping else "Method"] += 1
    assert kinds["Path"] and kinds["Method"], kinds
    multi_log_type_udm_rules = []
    for path, spec in PYTHON_RULES:
        names = _udm_names(_module_ast(path, spec))
        if not names:
            continue
        for log_type in spec["LogTypes"]:
            assert log_type in models, f"{path}: no data model for {log_type}"
            assert names <= set(models[log_type]), f"{path}: {names - set(models[log_type])}"
        for test in spec["Tests"]:
            assert test["Log"].get("p_log_type") in spec["LogTypes"], f"{path}: {test['Name']}"
        if len(spec["LogTypes"]) >= 2:
            multi_log_type_udm_rules.append(spec["RuleID"])
    assert multi_log_type_udm_rules


# ---------------------------------------------------------------------------------------------
# Construct coverage: each construct the Python frontend must translate appears in some rule.
# ---------------------------------------------------------------------------------------------


def _assignments(nodes):
    """NAME = value assignments among `nodes` (first wins), to see through named sets, tuples."""
    assigned = {}
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            assigned.setdefault(node.targets[0].id, node.value)
    return assigned


def _module_constants(tree):
    return _assignments(tree.body)


def _local_assignments(tree):
    return _assignments(ast.walk(tree))


def _resolve(node, names):
    seen = set()
    while isinstance(node, ast.Name) and node.id in names and node.id not in seen:
        seen.add(node.id)
        node = names[node.id]
    return node


def _calls(tree, name):
    """Calls of `name` either as a bare function or as a method/module attribute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                isinstance(func, ast.Attribute) and func.attr == name
            ):
                yield node


def _compares(tree, op_type):
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, op_type) for op in node.ops):
            yield node


def _in_literal_of(tree, literal_type):
    names = _module_constants(tree)
    for node in _compares(tree, (ast.In, ast.NotIn)):
        if any(isinstance(_resolve(c, names), literal_type) for c in node.comparators):
            return True
    return False


def _default_is_empty_list(call):
    values = [kw.value for kw in call.keywords if kw.arg == "default"] + call.args[1:2]
    return any(isinstance(value, ast.List) and not value.elts for value in values)


def _string_in(tree, kind):
    """`"text" in x`: substring when x is a string expression, membership when x is a list field."""
    names = _local_assignments(tree)
    for node in _compares(tree, ast.In):
        if not (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            continue
        container = _resolve(node.comparators[0], names)
        is_string = (
            isinstance(container, ast.Call)
            and isinstance(container.func, ast.Attribute)
            and container.func.attr in {"lower", "upper"}
        ) or (
            isinstance(container, ast.BoolOp)
            and any(isinstance(v, ast.Constant) and v.value == "" for v in container.values)
        )
        is_list_field = isinstance(container, ast.Call) and _default_is_empty_list(container)
        if (kind == "substring" and is_string) or (kind == "list_field" and is_list_field):
            return True
    return False


def _affix_with_tuple(tree, method):
    names = _module_constants(tree)
    return any(
        call.args and isinstance(_resolve(call.args[0], names), ast.Tuple)
        for call in _calls(tree, method)
    )


def _regex_call(tree, function):
    names = _module_constants(tree)
    for call in _calls(tree, function):
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        owner = _resolve(owner, names)
        if isinstance(owner, ast.Name) and owner.id == "re":
            return True
        # A compiled pattern: PATTERN = re.compile(...); PATTERN.match(...)
        if isinstance(owner, ast.Call) and any(True for _ in _calls(owner, "compile")):
            return True
    return False


def _regex_flags(tree):
    return any(
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "re"
        and node.attr in {"I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE"}
        for node in ast.walk(tree)
    )


def _ip_in_network(tree):
    names = _module_constants(tree)
    for node in _compares(tree, (ast.In, ast.NotIn)):
        left_is_ip = any(True for _ in _calls(node.left, "ip_address"))
        network = _resolve(node.comparators[0], names)
        if left_is_ip and any(True for _ in _calls(network, "ip_network")):
            return True
    return False


def _attribute(tree, name):
    return any(isinstance(n, ast.Attribute) and n.attr == name for n in ast.walk(tree))


def _loop_returning_true(tree):
    for loop in ast.walk(tree):
        if isinstance(loop, ast.For):
            for node in ast.walk(loop):
                if isinstance(node, ast.If) and any(
                    isinstance(s, ast.Return)
                    and isinstance(s.value, ast.Constant)
                    and s.value.value is True
                    for s in node.body
                ):
                    return True
    return False


def _quantifier_over_generator(tree, name):
    return any(
        call.args and isinstance(call.args[0], ast.GeneratorExp)
        for call in _calls(tree, name)
        if isinstance(call.func, ast.Name)
    )


def _imports_global_helper(tree):
    helpers = {p.stem for p in HELPERS_DIR.glob("*.py")}
    return any(isinstance(n, ast.ImportFrom) and n.module in helpers for n in ast.walk(tree))


def _local_helper_called_by_rule(tree):
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    local = set(functions) - PANTHER_RULE_FUNCTIONS
    rule = functions.get("rule")
    return rule is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in local
        for n in ast.walk(rule)
    )


def _get_default_compared_not_equal(tree):
    for node in _compares(tree, ast.NotEq):
        left = node.left
        if (
            isinstance(left, ast.Call)
            and isinstance(left.func, ast.Attribute)
            and left.func.attr == "get"
            and len(left.args) == 2
        ):
            return True
    return False


def _early_return_chain(tree):
    for function in tree.body:
        if isinstance(function, ast.FunctionDef) and function.name == "rule":
            guards = [
                s
                for s in function.body
                if isinstance(s, ast.If) and any(isinstance(b, ast.Return) for b in s.body)
            ]
            return len(guards) >= 2
    return False


def _split_then_index(tree):
    names = _local_assignments(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            value = _resolve(node.value, names)
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "split"
            ):
                return True
    return False


def _compared_with_none(tree):
    return any(
        isinstance(op, (ast.Is, ast.IsNot))
        and isinstance(right, ast.Constant)
        and right.value is None
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        for op, right in zip(node.ops, node.comparators)
    )


def _defines(tree, name):
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def _title_with_fstring_default(tree):
    for function in tree.body:
        if isinstance(function, ast.FunctionDef) and function.name == "title":
            has_fstring = any(isinstance(n, ast.JoinedStr) for n in ast.walk(function))
            has_default = any(
                len(call.args) == 2 or any(kw.arg == "default" for kw in call.keywords)
                for call in list(_calls(function, "get")) + list(_calls(function, "deep_get"))
            )
            return has_fstring and has_default
    return False


CONSTRUCTS = {
    "equality": lambda t: any(True for _ in _compares(t, (ast.Eq, ast.NotEq))),
    "in set": lambda t: _in_literal_of(t, ast.Set),
    "in list": lambda t: _in_literal_of(t, ast.List),
    "in tuple": lambda t: _in_literal_of(t, ast.Tuple),
    "substring in string": lambda t: _string_in(t, "substring"),
    "membership in list field": lambda t: _string_in(t, "list_field"),
    "startswith tuple": lambda t: _affix_with_tuple(t, "startswith"),
    "endswith tuple": lambda t: _affix_with_tuple(t, "endswith"),
    "startswith": lambda t: any(True for _ in _calls(t, "startswith")),
    "endswith": lambda t: any(True for _ in _calls(t, "endswith")),
    "lower()": lambda t: any(True for _ in _calls(t, "lower")),
    "upper()": lambda t: any(True for _ in _calls(t, "upper")),
    "re.search": lambda t: _regex_call(t, "search"),
    "re.match": lambda t: _regex_call(t, "match"),
    "re.fullmatch": lambda t: _regex_call(t, "fullmatch"),
    "regex flags": _regex_flags,
    "fnmatch": lambda t: any(True for _ in _calls(t, "fnmatch")),
    "numeric comparison": lambda t: any(
        True for _ in _compares(t, (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
    ),
    "int() of a field": lambda t: any(True for _ in _calls(t, "int")),
    "json.loads of a string field": lambda t: any(
        isinstance(c.func, ast.Attribute)
        and isinstance(c.func.value, ast.Name)
        and c.func.value.id == "json"
        for c in _calls(t, "loads")
    ),
    "len()": lambda t: any(isinstance(c.func, ast.Name) for c in _calls(t, "len")),
    "split() then index": _split_then_index,
    "strip()": lambda t: any(True for _ in _calls(t, "strip")),
    "event[...] subscript": lambda t: any(
        isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == "event"
        for n in ast.walk(t)
    ),
    "is None / is not None": _compared_with_none,
    "ip_address in ip_network": _ip_in_network,
    "is_private": lambda t: _attribute(t, "is_private"),
    "deep_get with default": lambda t: any(
        any(kw.arg == "default" for kw in c.keywords) for c in _calls(t, "deep_get")
    ),
    "deep_walk": lambda t: any(True for _ in _calls(t, "deep_walk")),
    "for loop returning True": _loop_returning_true,
    "any() over generator": lambda t: _quantifier_over_generator(t, "any"),
    "all() over generator": lambda t: _quantifier_over_generator(t, "all"),
    "global helper import": _imports_global_helper,
    "local helper function": _local_helper_called_by_rule,
    "udm()": lambda t: bool(_udm_names(t)),
    "get() default compared !=": _get_default_compared_not_equal,
    "if/return chain": _early_return_chain,
    "not": lambda t: any(
        isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not) for n in ast.walk(t)
    ),
    "dedup()": lambda t: _defines(t, "dedup"),
    "title() f-string with default": _title_with_fstring_default,
    "alert_context()": lambda t: _defines(t, "alert_context"),
    "severity()": lambda t: _defines(t, "severity"),
}


def construct_coverage():
    """Construct name -> RuleIDs of the Python rules whose source uses it."""
    coverage = {name: [] for name in CONSTRUCTS}
    for path, spec in PYTHON_RULES:
        tree = _module_ast(path, spec)
        for name, detect in CONSTRUCTS.items():
            if detect(tree):
                coverage[name].append(spec["RuleID"])
    return coverage


def test_every_construct_is_used_by_some_rule():
    coverage = construct_coverage()
    assert [name for name, rule_ids in coverage.items() if not rule_ids] == []


def test_yaml_level_constructs_are_present():
    assert any("Threshold" in spec for _, spec in RULES)
    # rules/simple/ is the simple-detection frontend's own suite; count the others only.
    simple = [spec["RuleID"] for path, spec in RULES
              if "Detection" in spec and RULES_DIR / "simple" not in path.parents]
    assert 1 <= len(simple) <= 2, simple


def test_construct_detectors_see_what_they_claim():
    """Guard the scanner itself: each detector fires on a minimal sample and not on its absence."""
    positive = {
        "in set": "def rule(event):\n    return event.get('a') in {'x', 'y'}",
        "substring in string": "def rule(event):\n    return 'adm' in event.get('a').lower()",
        "membership in list field": (
            "def rule(event):\n    return 'x' in event.deep_get('a', default=[])"
        ),
        "startswith tuple": "P = ('a', 'b')\ndef rule(event):\n    return event.get('a').startswith(P)",
        "re.fullmatch": "import re\ndef rule(event):\n    return re.fullmatch('a', event.get('a'))",
        "ip_address in ip_network": (
            "from ipaddress import ip_address, ip_network\nN = ip_network('10.0.0.0/8')\n"
            "def rule(event):\n    return ip_address(event.get('a')) in N"
        ),
        "for loop returning True": (
            "def rule(event):\n    for x in event.get('a'):\n        if x:\n            return True\n"
            "    return False"
        ),
        "get() default compared !=": "def rule(event):\n    return event.get('a', '<X>') != 'foo'",
        "split() then index": (
            "def rule(event):\n    parts = event.get('a').split('/')\n    return parts[4] == 'x'"
        ),
        "is None / is not None": "def rule(event):\n    return event.get('a') is not None",
    }
    plain = ast.parse("def rule(event):\n    return event.get('a') == 'x'")
    for name, source in positive.items():
        assert CONSTRUCTS[name](ast.parse(source)), name
        assert not CONSTRUCTS[name](plain), name
