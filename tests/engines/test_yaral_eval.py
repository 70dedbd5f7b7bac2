"""The documentation-based YARA-L evaluator on the examples of Google's YARA-L pages."""
import pytest

from translator.engines.yaral_eval import YaralSyntaxError, detections, matches, parse


def rule(events: str, extra: str = "", condition: str = "$e") -> object:
    return parse(f"rule t {{\n  events:\n    {events}\n{extra}  condition:\n    {condition}\n}}")[0]


# https://cloud.google.com/chronicle/docs/yara-l/repeated-fields : event_original
EVENT = {"principal": {"ip": ["192.0.2.1", "192.0.2.2", "192.0.2.3"], "hostname": "host"}}


@pytest.mark.parametrize("events, expected", [
    ('any $e.principal.ip = "192.0.2.1"', True),
    ('net.ip_in_range_cidr(all $e.principal.ip, "192.0.2.0/8")', True),
    ('all $e.principal.ip = "192.0.2.2"', False),
    ('not all $e.principal.ip = "192.0.2.2"', True),
    ('all $e.principal.ip != "192.0.2.2"', False),
    ('$e.principal.ip = "192.0.2.2"', True),  # unmodified: unnested rows, one satisfies
])
def test_repeated_field_examples(events, expected):
    assert matches(rule(events), EVENT) is expected


def test_zero_values_and_regex_substring():
    # yara-l-best-practices: an omitted string reads as ""; re.regex: substring, RE2, nocase
    assert matches(rule('$e.target.hostname = ""'), EVENT)
    assert matches(rule('re.regex($e.principal.hostname, `os`)'), EVENT)
    assert not matches(rule('re.regex($e.principal.hostname, `^os`)'), EVENT)
    assert matches(rule('re.regex($e.principal.hostname, `HOST`) nocase'), EVENT)
    assert matches(rule('$e.principal.hostname = /^H/ nocase'), EVENT)
    assert not matches(rule('any $e.about.ip = "192.0.2.1"'), EVENT)  # empty: any is false


def test_precedence_not_and_or():
    # expressions page: "a or b and c" is "a or (b and c)"; lines are AND-ed
    r = rule('$e.principal.hostname = "x" or $e.principal.hostname = "host" and '
             '$e.target.hostname = "y"')
    assert not matches(r, EVENT)
    assert matches(rule('not $e.principal.hostname = "x"\n    $e.principal.hostname = "host"'), EVENT)


def test_threshold_groups_by_match_variables():
    r = rule('$e.metadata.product_event_type = "login"\n    $user = $e.principal.user.userid',
             extra="  match:\n    $user over 60m\n", condition="#e >= 2")
    ev = lambda u: {"metadata": {"product_event_type": "login"}, "principal": {"user": {"userid": u}}}
    assert detections(r, [ev("a"), ev("a"), ev("b")]) == [("a",)]
    assert detections(r, [ev(""), ev("")]) == []  # zero-valued match keys are dropped by default


@pytest.mark.parametrize("text", [
    "rule t { events: $e.a = = \"b\" condition: $e }",
    "rule t { events: ($e.a = \"b\" condition: $e }",
    "rule 1t { events: $e.a = \"b\" condition: $e }",
    "rule t { events: $e.a = \"b\" }",
    "rule t { condition: $e events: $e.a = \"b\" }",
])
def test_syntax_errors(text):
    with pytest.raises(YaralSyntaxError):
        parse(text)


# ---------------------------------------------------------------- multi-event rules
MULTI = """rule m {
  events:
    $a.metadata.product_event_type = "login"
    $b.metadata.product_event_type = "grant"
    $c.metadata.product_event_type = "mfa"
    $user = $a.principal.user.userid
    $user = $b.principal.user.userid
    $user = $c.principal.user.userid
    $a.metadata.event_timestamp.seconds <= $b.metadata.event_timestamp.seconds
  match:
    $user over 10m
  condition:
    $a and #b >= 2 and !$c
}
"""


def udm(kind, user, seconds):
    return {"metadata": {"product_event_type": kind, "event_timestamp": {"seconds": seconds}},
            "principal": {"user": {"userid": user}}}


def test_multi_event_counts_joins_order_absence_and_window():
    from translator.engines.yaral_eval import detect_multi
    rule = parse(MULTI)[0]
    assert rule.condition == ("and", (("exists", "$a"), ("count", "#b", ">=", 2), ("absent", "$c")))
    fire = [udm("login", "al", 0), udm("grant", "al", 60), udm("grant", "al", 120)]
    assert detect_multi(rule, fire)
    assert not detect_multi(rule, fire[:2])  # one grant
    assert not detect_multi(rule, fire + [udm("mfa", "al", 30)])  # the user passed MFA
    assert detect_multi(rule, fire + [udm("mfa", "bo", 30)])  # someone else did
    assert not detect_multi(rule, [udm("login", "al", 0), udm("grant", "bo", 60), udm("grant", "bo", 70)])
    assert not detect_multi(rule, [udm("login", "al", 0), udm("grant", "al", 601), udm("grant", "al", 700)])
    # order: a grant before the login does not pair with it
    assert not detect_multi(rule, [udm("login", "al", 100), udm("grant", "al", 60), udm("grant", "al", 50)])
