"""Correlation rules in every target: the correlation layer each backend emits, executed on the
target's engine over RuleOutputs, agrees with the reference evaluator (translator/correlation.py)
on generated tests and on the Tests of rules/correlation; what a target cannot express is
reported per rule."""
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.backends import get_backend
from translator.backends.base import BuildOptions
from translator.backends.correlation_plan import plan_correlation, matches_of_test
from translator.build import with_rules
from translator.correlation import evaluate_correlation
from translator.frontends.correlation import lower_correlation
from translator.mapping import load_mappings
from translator.model import Rule
from translator.pipeline import Cache, compile_paths

REPO = Path(__file__).resolve().parents[2]
TARGETS = ["athena", "kql", "spl", "yaral", "sigma"]


def target_limits(target: str, plan) -> list:
    """What a target reports it cannot express for this plan (beyond the shared subset)."""
    if target == "yaral":
        from translator.backends.yaral_correlation import known_differences, structural_problems
        return structural_problems(plan) + known_differences(plan)
    if target == "sigma":
        from translator.backends.sigma_correlation import structural_problems
        return structural_problems(plan)
    return []


def tie_difference(target: str, plan) -> bool:
    """Sigma's temporal_ordered differs (reported) only when entries share a time."""
    if target != "sigma":
        return False
    from translator.backends.sigma_correlation import known_differences
    return bool(known_differences(plan))


def has_ties(ro) -> bool:
    times = [(item["ID"], t) for item in ro for vals in item["Matches"].values()
             for ts in vals.values() for t in ts]
    return len({t for _i, t in times}) < len(set(times))


def runner(target: str):
    module = __import__(f"translator.verify.{target}", fromlist=["run_correlation"])
    return module.run_correlation


def detection(text: str) -> dict:
    return lower_correlation(yaml.safe_load(text))


SCHEDULE = """
  Schedule:
    RateMinutes: 30
    TimeoutMinutes: 5
"""
SHAPES = {
    "group_absence_counts": detection("""
- Group:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
      MinMatchCount: 2
      MaxMatchCount: 3
    - ID: C
      RuleID: R.C
      Absence: true
  MatchCriteria:
    user:
      - GroupID: A
        Match: p_alert_context.user
      - GroupID: B
        Match: p_alert_context.actor
      - GroupID: C
        Match: p_alert_context.user
  LookbackWindowMinutes: 60
""" + SCHEDULE),
    "group_some_members_unkeyed": detection("""
- Group:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
      MinMatchCount: 2
    - ID: C
      RuleID: R.C
  MinMatchCount: 2
  LookbackWindowMinutes: 45
""" + SCHEDULE),
    "sequence_three": detection("""
- Sequence:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
    - ID: C
      RuleID: R.C
  Transitions:
    - ID: A to B
      From: A
      To: B
      WithinTimeFrameMinutes: 20
      Match:
        - On: p_alert_context.user
    - ID: B to C
      From: B
      To: C
      WithinTimeFrameMinutes: 30
      Match:
        - From: p_alert_context.user
          To: p_alert_context.actor
  LookbackWindowMinutes: 90
""" + SCHEDULE),
    "group_counts_aliased": detection("""
- Group:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
      MinMatchCount: 2
  MatchCriteria:
    user:
      - GroupID: A
        Match: p_alert_context.user
      - GroupID: B
        Match: p_alert_context.actor
  LookbackWindowMinutes: 40
""" + SCHEDULE),
    "sequence_one_frame": detection("""
- Sequence:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
    - ID: C
      RuleID: R.C
  Transitions:
    - ID: A to B
      From: A
      To: B
      WithinTimeFrameMinutes: 25
      Match:
        - On: p_alert_context.user
    - ID: B to C
      From: B
      To: C
      WithinTimeFrameMinutes: 25
      Match:
        - On: p_alert_context.user
  LookbackWindowMinutes: 60
""" + SCHEDULE),
    "sequence_unjoined": detection("""
- Sequence:
    - ID: A
      RuleID: R.A
    - ID: B
      RuleID: R.B
  Transitions:
    - ID: A to B
      From: A
      To: B
  LookbackWindowMinutes: 30
""" + SCHEDULE),
}


def rule_of(name: str) -> Rule:
    return Rule(f"Corr.{name}", "correlation_rule", correlation=SHAPES[name])


@st.composite
def rule_outputs(draw, rule: Rule):
    """RuleOutputs over the rule's steps: few join values and minutes, so joins, counts,
    orders and windows collide often."""
    plan = plan_correlation(rule)
    out = []
    for step in plan.steps:
        paths = [p for p, _c, _f in step.keys] or ["p_alert_context.user"]
        matches: dict = {}
        for path in paths:
            entries = draw(st.dictionaries(st.sampled_from(["alice", "bob"]),
                                           st.lists(st.integers(0, 100), min_size=1, max_size=3),
                                           max_size=2))
            if entries:
                matches[path] = entries
        if matches and (not step.absence or draw(st.booleans())):
            out.append({"ID": step.id, "Matches": matches})
    return out


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(SHAPES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_engine_agrees_with_reference_evaluator(target, name, data):
    rule = rule_of(name)
    plan = plan_correlation(rule)
    assert not plan.unsupported
    if target_limits(target, plan):
        return  # reported per rule instead (test_target_limits_are_reported)
    ro = data.draw(rule_outputs(rule))
    if tie_difference(target, plan) and has_ties(ro):
        return  # the reported difference (test_target_limits_are_reported)
    assert runner(target)(plan, matches_of_test(plan, ro)) == evaluate_correlation(rule.correlation, ro)


@pytest.fixture(scope="module")
def own_rules():
    compiled = compile_paths([str(REPO / "rules" / "simple"), str(REPO / "rules" / "correlation")],
                             jobs=1, cache=Cache(None))
    return compiled.rules


@pytest.mark.parametrize("target", TARGETS)
def test_own_correlation_rules_verified(target, own_rules):
    """Every Test of rules/correlation runs on the target's engine and agrees: through
    `rulec verify`'s check where the target expresses the whole rule, and on the correlation
    layer alone in every target (a sub-rule the target cannot express stops only the former,
    and is then named in the findings)."""
    from translator.build import translate_one

    check = __import__(f"translator.verify.{target}", fromlist=["check"]).check
    mappings = load_mappings()
    options = with_rules(BuildOptions(), own_rules)
    correlations = [r for r in own_rules if r.correlation is not None]
    assert len(correlations) >= 2
    for rule in correlations:
        plan = plan_correlation(rule)
        for test in rule.tests:
            matches = matches_of_test(plan, test.log["RuleOutputs"])
            # a reported difference (YARA-L's hop windows and Absence) may still agree here
            assert runner(target)(plan, matches) == test.expected_result or \
                target_limits(target, plan) or tie_difference(target, plan), (rule.id, test.name)
        t = translate_one(get_backend(target), rule, mappings, options)
        if not t.outputs:
            blocking = [f for f in t.findings if f.severity == "unsupported"]
            assert blocking and all(f.construct.startswith("step ") or f.reason in
                                    target_limits(target, plan) for f in blocking), t.findings
            continue
        report = check(rule, t, mappings, options=options)
        assert report.syntax_ok is not False, report.syntax_errors
        assert report.executed and len(report.tests) == len(rule.tests), report.notes
        assert all(x.agrees for x in report.tests), [x for x in report.tests if not x.agrees]


@pytest.mark.parametrize("target", TARGETS)
def test_unknown_subrule_is_reported(target):
    rule = rule_of("sequence_three")
    t = get_backend(target).translate(rule, load_mappings(), BuildOptions())
    assert t.verdict == "unsupported"
    assert any("R.A is not among the loaded rules" in f.reason for f in t.findings)


def test_target_limits_are_reported():
    """YARA-L joins event variables only through match placeholders and bounds a detection
    by one window: the shapes it cannot say are named, per rule."""
    problems = {name: target_limits("yaral", plan_correlation(rule_of(name))) for name in SHAPES}
    assert "without MatchCriteria" in problems["group_some_members_unkeyed"][0]
    assert "without a join" in problems["sequence_unjoined"][0]
    assert any("several transitions" in p for p in problems["sequence_three"])
    assert any("several transitions" in p for p in problems["sequence_one_frame"])
    assert "Absence" in problems["group_absence_counts"][0]  # emitted, reported partial
    from translator.backends.sigma_correlation import known_differences, structural_problems
    assert "same time" in known_differences(plan_correlation(rule_of("sequence_unjoined")))[0]
    assert "Absence" in structural_problems(plan_correlation(rule_of("group_absence_counts")))[0]

