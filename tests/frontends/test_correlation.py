"""Correlation rules: Detection normalisation, errors, and the reference evaluator on Panther's
RuleOutputs test format (including every Test of the rules under rules/correlation)."""
from pathlib import Path

import pytest
import yaml

from translator.correlation import CorrelationTestError, evaluate_correlation
from translator.frontends.correlation import CorrelationError, lower_correlation
from translator.frontends.panther_yaml import load_tree
from translator.model import Rule

REPO = Path(__file__).resolve().parents[2]

GROUP = yaml.safe_load("""
- Group:
    - ID: Fail
      RuleID: Login.Failed
      MinMatchCount: 3
    - ID: Success
      RuleID: Login.Success
    - ID: Reset
      RuleID: Password.Reset
      Absence: true
  MatchCriteria:
    user:
      - GroupID: Fail
        Match: p_alert_context.user
      - GroupID: Success
        Match: p_alert_context.user
      - GroupID: Reset
        Match: p_alert_context.email
  LookbackWindowMinutes: 60
  Schedule:
    RateMinutes: 30
    TimeoutMinutes: 5
""")

SEQUENCE = yaml.safe_load("""
- Sequence:
    - ID: Created
      RuleID: User.Created
    - ID: Deleted
      RuleID: User.Deleted
  Transitions:
    - ID: Created FOLLOWED BY Deleted
      From: Created
      To: Deleted
      WithinTimeFrameMinutes: 30
      Match:
        - On: p_alert_context.target
  LookbackWindowMinutes: 120
  Schedule:
    CronExpression: "0 * * * *"
    TimeoutMinutes: 2
""")


def outputs(**steps):
    """outputs(Fail={"a": [0, 1]}) -> RuleOutputs keyed on the step's usual field."""
    fields = {"Fail": "p_alert_context.user", "Success": "p_alert_context.user",
              "Reset": "p_alert_context.email", "Created": "p_alert_context.target",
              "Deleted": "p_alert_context.target"}
    return [{"ID": k, "Matches": {fields[k]: v}} for k, v in steps.items()]


def test_group_is_normalised():
    d = lower_correlation(GROUP)
    assert d["kind"] == "group" and d["lookback_window_minutes"] == 60
    assert d["steps"][0] == {"id": "Fail", "rule_id": "Login.Failed", "min_match_count": 3,
                             "max_match_count": None, "absence": False}
    assert d["steps"][2]["absence"] is True
    assert d["match_criteria"] == [{"name": "user", "fields": {
        "Fail": "p_alert_context.user", "Success": "p_alert_context.user",
        "Reset": "p_alert_context.email"}}]
    assert d["schedule"] == {"rate_minutes": 30, "cron": None, "timeout_minutes": 5}


def test_sequence_is_normalised_and_yaml_on_key_is_accepted():
    # PyYAML (YAML 1.1) reads the bare key `On` as True: the frontend accepts it.
    assert True in SEQUENCE[0]["Transitions"][0]["Match"][0]
    d = lower_correlation(SEQUENCE)
    assert d["kind"] == "sequence"
    assert d["transitions"] == [{"id": "Created FOLLOWED BY Deleted", "from": "Created",
                                 "to": "Deleted", "within_minutes": 30,
                                 "match": {"from": "p_alert_context.target",
                                           "to": "p_alert_context.target"}}]
    assert d["schedule"]["cron"] == "0 * * * *"


@pytest.mark.parametrize("fail, success, reset, expected", [
    ({"ann": [0, 5, 10]}, {"ann": [12]}, None, True),
    ({"ann": [0, 5]}, {"ann": [12]}, None, False),  # MinMatchCount 3 not reached
    ({"ann": [0, 5, 10]}, {"bob": [12]}, None, False),  # join value differs
    ({"ann": [0, 5], "bob": [1]}, {"ann": [12], "bob": [13]}, None, False),
    ({"ann": [0, 5, 10]}, {"ann": [12]}, {"ann": [3]}, False),  # absence violated
    ({"ann": [0, 5, 10]}, {"ann": [12]}, {"bob": [3]}, True),
    ({"ann": [0, 5, 10]}, {"ann": [100]}, None, False),  # outside the lookback window
    ({"ann": [50, 55, 60]}, {"ann": [0]}, None, True),  # a Group has no order
])
def test_group_semantics(fail, success, reset, expected):
    steps = {"Fail": fail, "Success": success}
    if reset:
        steps["Reset"] = reset
    assert evaluate_correlation(lower_correlation(GROUP), outputs(**steps)) is expected


@pytest.mark.parametrize("created, deleted, expected", [
    ({"u1": [0]}, {"u1": [20]}, True),
    ({"u1": [0]}, {"u1": [40]}, False),  # past WithinTimeFrameMinutes
    ({"u1": [20]}, {"u1": [0]}, False),  # wrong order
    ({"u1": [0]}, {"u2": [10]}, False),  # join value differs
    ({"u1": [0, 15]}, {"u1": [40]}, True),  # the later creation is within the time frame
    ({"u1": ["2024-01-01T10:00:00Z"]}, {"u1": ["2024-01-01T10:29:00+00:00"]}, True),
    ({"u1": [0]}, None, False),
])
def test_sequence_semantics(created, deleted, expected):
    steps = {"Created": created}
    if deleted:
        steps["Deleted"] = deleted
    assert evaluate_correlation(lower_correlation(SEQUENCE), outputs(**steps)) is expected


def test_sequence_absence_means_not_followed_within_the_time_frame():
    det = yaml.safe_load("""
    - Sequence:
        - ID: Change
          RuleID: GHAS.Change
        - ID: Archived
          RuleID: Repo.Archived
          Absence: true
      Transitions:
        - From: Change
          To: Archived
          WithinTimeFrameMinutes: 60
          Match:
            - From: p_alert_context.repo
              To: p_alert_context.repository
      LookbackWindowMinutes: 180
      Schedule: {RateMinutes: 60, TimeoutMinutes: 5}
    """)
    d = lower_correlation(det)

    def run(archived):
        out = [{"ID": "Change", "Matches": {"p_alert_context.repo": {"r": [0]}}}]
        if archived:
            out.append({"ID": "Archived", "Matches": {"p_alert_context.repository": archived}})
        return evaluate_correlation(d, out)

    assert run(None) and run({"other": [10]}) and run({"r": [90]})
    assert not run({"r": [10]})


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d[0].pop("Schedule"), "Detection[0]: missing Schedule"),
    (lambda d: d[0].pop("LookbackWindowMinutes"), "Detection[0]: missing LookbackWindowMinutes"),
    (lambda d: d[0]["Group"][1].pop("RuleID"), "Detection[0].Group[1]: missing RuleID"),
    (lambda d: d[0]["Group"][1].update(ID="Fail"), "Detection[0].Group[1].ID: ID 'Fail' used twice"),
    (lambda d: d[0]["MatchCriteria"]["user"][0].update(GroupID="Nope"),
     "Detection[0].MatchCriteria.user[0].GroupID: GroupID 'Nope' is not the ID of a Group entry"),
    (lambda d: d[0]["Group"][0].update(MinMatchCount=0),
     "Detection[0].Group[0].MinMatchCount: MinMatchCount must be a positive integer, got 0"),
    (lambda d: d[0]["Group"][0].update(MaxMatchCount=2),
     "Detection[0].Group[0].MaxMatchCount: MaxMatchCount 2 is below MinMatchCount 3"),
    (lambda d: d[0]["Schedule"].update(CronExpression="* * * * *"),
     "Detection[0].Schedule: give exactly one of RateMinutes and CronExpression"),
    (lambda d: d[0].update(Sequence=[]), "Detection[0]: give exactly one of Group and Sequence"),
    (lambda d: d[0].update(Extra=1), "Detection[0]: unexpected key Extra"),
    (lambda d: d[0].update(EventEvaluationOrder="Random"),
     "Detection[0].EventEvaluationOrder: EventEvaluationOrder 'Random' is not one of"),
    (lambda d: [s.update(Absence=True) for s in d[0]["Group"] if "MinMatchCount" not in s]
     and d[0]["Group"][0].pop("MinMatchCount") and d[0]["Group"][0].update(Absence=True),
     "Detection[0].Group: every step is an Absence"),
])
def test_group_errors(mutate, message):
    assert_error(GROUP, mutate, message)


def assert_error(detection, mutate, message):
    det = yaml.safe_load(yaml.safe_dump(detection))
    mutate(det)
    with pytest.raises(CorrelationError) as err:
        lower_correlation(det)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d[0]["Transitions"][0].update(To="Gone"),
     "Detection[0].Transitions[0].To: To 'Gone' is not the ID of a Sequence entry"),
    (lambda d: d[0]["Transitions"][0].update(From="Deleted", To="Created"),
     "Detection[0].Transitions[0]: transition 'Deleted' -> 'Created' goes against the order"),
    (lambda d: d[0]["Transitions"][0].update(Match=[]),
     "Detection[0].Transitions[0].Match: Match must be a list of one"),
    (lambda d: d[0]["Transitions"][0].update(WithinTimeFrameMinutes=500),
     "Detection[0].Transitions: transition 'Created FOLLOWED BY Deleted': "
     "WithinTimeFrameMinutes 500 exceeds LookbackWindowMinutes 120"),
    (lambda d: d[0].pop("Transitions"), "Detection[0].Transitions: expected a non-empty list"),
    (lambda d: d[0]["Sequence"].pop(), "Detection[0].Sequence: a Sequence needs at least two"),
])
def test_sequence_errors(mutate, message):
    assert_error(SEQUENCE, mutate, message)


def test_simple_detection_in_a_correlation_rule_is_pointed_out():
    with pytest.raises(CorrelationError, match="is AnalysisType right"):
        lower_correlation([{"KeyPath": "a", "Condition": "Exists"}])


def test_bad_rule_outputs_are_reported():
    d = lower_correlation(GROUP)
    with pytest.raises(CorrelationTestError, match="unknown IDs: Nope"):
        evaluate_correlation(d, [{"ID": "Nope", "Matches": {}}])
    with pytest.raises(CorrelationTestError, match="not an ISO-8601 timestamp"):
        evaluate_correlation(d, outputs(Fail={"ann": ["yesterday"]}))


def test_every_correlation_rule_test_agrees_with_the_evaluator():
    res = load_tree([REPO / "rules" / "correlation"])
    assert [str(d) for d in res.diagnostics if d.level != "info"] == []
    kinds = {r.to_dict()["correlation"]["kind"] for r in res.rules}
    assert kinds == {"group", "sequence"}
    outcomes = [(r.id, t.name, t.expected_result,
                 evaluate_correlation(r.correlation, t.log["RuleOutputs"]))
                for r in res.rules for t in r.tests]
    assert {o[2] for o in outcomes} == {True, False}
    assert [o for o in outcomes if o[2] != o[3]] == []
    for rule in res.rules:
        assert rule.extraction.verdict == "simple"
        assert Rule.from_dict(rule.to_dict()) == rule


def test_correlated_rule_ids_exist_among_our_simple_rules():
    ids = {r.id for r in load_tree([REPO / "rules" / "simple"]).rules}
    for rule in load_tree([REPO / "rules" / "correlation"]).rules:
        steps = rule.to_dict()["correlation"]["steps"]
        assert {s["rule_id"] for s in steps} <= ids, rule.id


def test_rulec_test_runs_simple_and_correlation_rules(tmp_path):
    from click.testing import CliRunner

    from translator.cli import main

    res = CliRunner().invoke(main, ["test", str(REPO / "rules" / "simple"),
                                    str(REPO / "rules" / "correlation")])
    assert res.exit_code == 0, res.output
    assert "Simple.Okta.UnverifiedRiskySession.WITH.AdminGrants" in res.output
    # a wrong ExpectedResult in a correlation test makes the rule fail
    src = (REPO / "rules" / "correlation" / "aws_root_login_then_ssh_opened.yml").read_text()
    (tmp_path / "c.yml").write_text(src.replace("ExpectedResult: false", "ExpectedResult: true", 1))
    res = CliRunner().invoke(main, ["test", str(tmp_path)])
    assert res.exit_code == 1
    assert "model   'SSH opened before the root login': expected True, matched False" in res.output


def test_join_on_an_alert_context_key_the_sub_rule_lacks_is_a_warning(tmp_path):
    for name in ("okta_risky_session_start.yml", "okta_admin_privilege_granted.yml",
                 "okta_mfa_verified.yml"):
        (tmp_path / name).write_text((REPO / "rules" / "simple" / name).read_text())
    src = (REPO / "rules" / "correlation" / "okta_unverified_session_admin_grants.yml").read_text()
    (tmp_path / "corr.yml").write_text(src)
    assert [d for d in load_tree([tmp_path]).diagnostics if d.level != "info"] == []
    (tmp_path / "corr.yml").write_text(src.replace(
        "- GroupID: AdminGrant\n          Match: p_alert_context.actor",
        "- GroupID: AdminGrant\n          Match: p_alert_context.user"))
    (warning,) = [d for d in load_tree([tmp_path]).diagnostics if d.level != "info"]
    assert warning.level == "warning" and warning.file.endswith("corr.yml")
    assert warning.message == (
        "Detection: 'actor' joins step 'AdminGrant' on p_alert_context.user, but the "
        "AlertContext of Simple.Okta.AdminPrivilegeGranted has no key 'user' (it has actor, "
        "targets)")
    (tmp_path / "okta_mfa_verified.yml").unlink()
    infos = [d.message for d in load_tree([tmp_path]).diagnostics if d.level == "info"]
    assert "Detection: step 'MFAVerified' counts matches of 'Simple.Okta.MFAVerified', which is " \
           "not among the loaded rules" in infos


def test_join_fields_resolve_alert_context_keys_into_sub_rule_event_fields():
    from translator.frontends.correlation import join_fields
    from translator.model import Field

    res = load_tree([REPO / "rules" / "simple", REPO / "rules" / "correlation"])
    by_id = {r.id: r for r in res.rules}
    group = by_id["Simple.Okta.UnverifiedRiskySession.WITH.AdminGrants"]
    assert {(j.join, j.step_id, j.field) for j in join_fields(group, by_id)} == {
        ("actor", s, Field(("actor", "alternateId"))) for s in
        ("RiskySession", "AdminGrant", "MFAVerified")}
    seq = by_id["Simple.AWS.RootLogin.FOLLOWED.BY.SSHOpenToWorld"]
    assert [(j.step_id, j.field) for j in join_fields(seq, by_id)] == [
        ("RootLogin", Field(("recipientAccountId",))), ("SSHOpened", Field(("recipientAccountId",)))]


def test_join_fields_say_why_a_join_cannot_be_resolved():
    from translator.frontends.correlation import join_fields
    from translator.model import Field

    det = yaml.safe_load("""
    - Group:
        - {ID: A, RuleID: Py.Rule}
        - {ID: B, RuleID: Not.Loaded}
        - {ID: C, RuleID: Py.Rule}
      MatchCriteria:
        k:
          - {GroupID: A, Match: p_alert_context.user}
          - {GroupID: B, Match: p_alert_context.user}
          - {GroupID: C, Match: p_any_emails}
      LookbackWindowMinutes: 60
      Schedule: {RateMinutes: 60, TimeoutMinutes: 5}
    """)
    corr = Rule("Corr", analysis_type="correlation_rule", correlation=lower_correlation(det))
    joins = {j.step_id: j for j in join_fields(corr, {"Py.Rule": Rule("Py.Rule")})}
    assert (joins["A"].field, joins["A"].code) == (None, "unknown-alert-context")
    assert joins["A"].problem == "the alert context of Py.Rule is not known"
    assert (joins["B"].field, joins["B"].code) == (None, "unknown-subrule")
    assert joins["C"].field == Field(("p_any_emails",)) and not joins["C"].problem
