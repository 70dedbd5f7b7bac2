"""Property test: lowering a random match expression and evaluating the model agrees with a
direct reading of the YAML on random events (written here from the documented semantics,
independently of the model), including wildcards, list comprehensions and combinators."""
import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.evaluator import evaluate
from translator.frontends.simple_detection import lower_detection

MISSING = object()
SCALARS = ["x", "X", "xy", "yx", "", "10.1.2.3", "8.8.8.8", "::1", 0, 5, 10, 7.5, True, None]
STRING_VALUES = ["x", "X", "y", "xy"]
NUMBERS = [0, 5, 10]


def _ip(v):
    """Panther's implemented IP conditions (panther-core's filter operators is_public,
    is_private, in_cidr) hand the event value to ipaddress as it is: an integer (and JSON
    true, a Python int) is an address too; anything ipaddress refuses does not match."""
    try:
        return None if v is MISSING or v is None else ipaddress.ip_address(v)
    except (ValueError, TypeError):
        return None


def _compare(v, op, operand):
    """Panther's implemented numeric conditions (panther-core's filter operators >, >=, <,
    <=) compare with Python's operators: null never matches, a value Python cannot order
    against a number (text) raises, which is no match, and JSON true/false order as 1/0."""
    if v is MISSING or v is None:
        return False
    try:
        return v > operand if op == "gt" else v <= operand
    except TypeError:
        return False


def positive(cond, v, operand):
    """The un-negated meaning of a condition on one value (MISSING: key absent)."""
    present = v is not MISSING and v is not None
    if cond == "Exists":
        return present
    if cond == "IsNull":
        return not present
    if cond == "IsNullOrEmpty":
        return not present or (isinstance(v, (str, list, dict)) and len(v) == 0)
    if cond in ("Equals", "IEquals"):
        a, b = (None if v is MISSING else v), operand
        if cond == "IEquals" and isinstance(a, str) and isinstance(b, str):
            a, b = a.lower(), b.lower()
        return a == b
    if cond == "IsIn":
        return v is not MISSING and v in operand
    if cond in ("Contains", "StartsWith", "EndsWith", "IContains"):
        if not isinstance(v, str):
            return False
        a, b = (v.lower(), operand.lower()) if cond.startswith("I") else (v, operand)
        return {"Contains": b in a, "IContains": b in a, "StartsWith": a.startswith(b),
                "EndsWith": a.endswith(b)}[cond]
    if cond in ("IsGreaterThan", "IsLessThanOrEqual"):
        return _compare(v, "gt" if cond == "IsGreaterThan" else "le", operand)
    ip = _ip(v)
    if cond == "IsIPAddress":
        return ip is not None
    if cond == "IsIPAddressPrivate":
        return ip is not None and ip.is_private
    if cond == "IsIPAddressInCIDR":
        net = ipaddress.ip_network(operand)
        return ip is not None and ip.version == net.version and ip in net
    raise AssertionError(cond)


NEGATIONS = {"DoesNotEqual": "Equals", "IDoesNotEqual": "IEquals", "IsNotIn": "IsIn",
             "DoesNotContain": "Contains", "DoesNotExist": "Exists", "IsNotNull": "IsNull",
             "IsNotNullOrEmpty": "IsNullOrEmpty", "IsIPAddressNotInCIDR": "IsIPAddressInCIDR"}


def values_at(obj, steps):
    """All values at a key path; a "*" step fans out (MISSING where the path breaks)."""
    if not steps:
        return [obj]
    step, rest = steps[0], steps[1:]
    if step == "*":
        return [v for item in obj for v in values_at(item, rest)] if isinstance(obj, list) else []
    if isinstance(step, int) and isinstance(obj, list) and step < len(obj):
        return values_at(obj[step], rest)
    if isinstance(step, str) and isinstance(obj, dict) and step in obj:
        return values_at(obj[step], rest)
    return [] if "*" in rest else [MISSING]  # no list to fan out over: no elements


def interpret(node, obj):
    for name in ("All", "Any", "OnlyOne", "None"):
        if name in node:
            hits = [interpret(n, obj) for n in node[name]]
            return {"All": all(hits), "Any": any(hits), "OnlyOne": sum(hits) == 1,
                    "None": not any(hits)}[name]
    cond = node["Condition"]
    steps = [int(t[1:-1]) if t[1:-1].isdigit() else "*" if t == "[*]" else t
             for t in re.findall(r"[^.\[\]]+|\[\*\]|\[\d+\]", node["KeyPath"])]
    if cond in ("AnyElement", "AllElements", "NoElement", "OnlyOneElement"):
        (arr,) = values_at(obj, steps)
        arr = arr if isinstance(arr, list) else []
        hits = [all(interpret(e, item) for e in node["Expressions"]) for item in arr]
        return {"AnyElement": any(hits), "AllElements": all(hits), "NoElement": not any(hits),
                "OnlyOneElement": sum(hits) == 1}[cond]
    operand = node.get("Value", node.get("Values"))
    base = NEGATIONS.get(cond, cond)
    wild = "*" in steps
    vals = values_at(obj, steps)
    hit = any(positive(base, v, operand) for v in vals) if wild else positive(base, vals[0], operand)
    return not hit if cond in NEGATIONS else hit


LEAF_CONDITIONS = {
    "Equals": st.sampled_from(STRING_VALUES + NUMBERS), "IEquals": st.sampled_from(STRING_VALUES),
    "DoesNotEqual": st.sampled_from(STRING_VALUES), "IDoesNotEqual": st.sampled_from(STRING_VALUES),
    "Contains": st.sampled_from(STRING_VALUES), "IContains": st.sampled_from(STRING_VALUES),
    "DoesNotContain": st.sampled_from(STRING_VALUES),
    "StartsWith": st.sampled_from(STRING_VALUES), "EndsWith": st.sampled_from(STRING_VALUES),
    "IsGreaterThan": st.sampled_from(NUMBERS), "IsLessThanOrEqual": st.sampled_from(NUMBERS),
    "IsIPAddressInCIDR": st.just("10.0.0.0/8"), "IsIPAddressNotInCIDR": st.just("10.0.0.0/8"),
}
NO_VALUE = ["Exists", "DoesNotExist", "IsNull", "IsNotNull", "IsNullOrEmpty", "IsNotNullOrEmpty",
            "IsIPAddress", "IsIPAddressPrivate"]


def leaf(keys):
    def build(draw):
        key = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(["value", "none", "values"]))
        if kind == "none":
            return {"KeyPath": key, "Condition": draw(st.sampled_from(NO_VALUE))}
        if kind == "values":
            return {"KeyPath": key, "Condition": draw(st.sampled_from(["IsIn", "IsNotIn"])),
                    "Values": draw(st.lists(st.sampled_from(STRING_VALUES + NUMBERS),
                                            max_size=3))}
        cond = draw(st.sampled_from(sorted(LEAF_CONDITIONS)))
        return {"KeyPath": key, "Condition": cond, "Value": draw(LEAF_CONDITIONS[cond])}
    return st.composite(lambda draw: build(draw))()


ELEMENT_KEYS = ["n", "s"]
EVENT_KEYS = ["a", "b", "c.d", "items[*].s", "items[0].n"]


def expressions(keys, depth):
    base = leaf(keys)
    if depth == 0:
        return base
    inner = expressions(keys, depth - 1)
    combos = st.builds(lambda name, items: {name: items},
                       st.sampled_from(["All", "Any", "OnlyOne", "None"]),
                       st.lists(inner, max_size=3))
    options = [base, combos]
    if keys is EVENT_KEYS:
        options.append(st.builds(
            lambda cond, exprs: {"KeyPath": "items", "Condition": cond, "Expressions": exprs},
            st.sampled_from(["AnyElement", "AllElements", "NoElement", "OnlyOneElement"]),
            st.lists(expressions(ELEMENT_KEYS, 1), min_size=1, max_size=2)))
    return st.one_of(*options)


scalars = st.sampled_from(SCALARS)
elements = st.fixed_dictionaries({}, optional={"n": scalars, "s": scalars})
events = st.fixed_dictionaries({}, optional={
    "a": scalars, "b": scalars | st.lists(scalars, max_size=2),
    "c": st.fixed_dictionaries({}, optional={"d": scalars}) | scalars,
    "items": st.lists(elements, max_size=3) | scalars,
})


@settings(max_examples=150, deadline=None)
@given(st.lists(expressions(EVENT_KEYS, 2), min_size=1, max_size=3), events)
def test_lowered_detection_means_what_the_yaml_says(detection, event):
    expected = all(interpret(node, event) for node in detection)
    assert evaluate(lower_detection(detection), event) is expected
