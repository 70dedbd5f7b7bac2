"""Reverse projection: a Panther event -> the record each target holds, consistent with resolve."""
import json

import pytest

from translator.mapping import EACH, load_mappings, project_event

CT = "AWS.CloudTrail"
EVENT = {
    "eventTime": "2019-01-01T00:00:00Z", "eventName": "AuthorizeSecurityGroupIngress",
    "sourceIPAddress": "1.2.3.4", "readOnly": False, "eventType": "AwsApiCall",
    "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/t",
                     "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}},
    "requestParameters": {"groupId": "sg-1",
                          "ipPermissions": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]}},
    "resources": [{"arn": "a1", "type": "t"}, {"arn": "a2"}],
    "notInSchema": 1,
}


def test_sentinel_row():
    row = project_event(CT, "sentinel", EVENT)
    assert row["Type"] == "AWSCloudTrail"
    assert row["EventName"] == "AuthorizeSecurityGroupIngress"
    assert row["UserIdentityArn"] == "arn:aws:sts::1:assumed-role/t"
    assert row["SessionMfaAuthenticated"] is True  # bool column from CloudTrail's "true"
    assert json.loads(row["RequestParameters"]) == EVENT["requestParameters"]
    assert row["TimeGenerated"] == "2019-01-01T00:00:00Z"  # p_event_time from eventTime
    assert "notInSchema" not in row and "userIdentity" not in row


def test_splunk_event_multivalue():
    ev = project_event(CT, "splunk", EVENT)
    assert ev["requestParameters.ipPermissions.items{}.cidrIp"] == ["0.0.0.0/0", "10.0.0.0/8"]
    assert ev["resources{}.arn"] == ["a1", "a2"]
    assert ev["readOnly"] == "false"
    assert ev["sourcetype"] == "aws:cloudtrail" and json.loads(ev["_raw"]) == EVENT
    assert ev["_time"] == "2019-01-01T00:00:00Z"


def test_udm_event():
    udm = project_event(CT, "chronicle", EVENT)
    assert udm["metadata"]["log_type"] == "AWS_CLOUDTRAIL"
    assert udm["metadata"]["product_event_type"] == "AuthorizeSecurityGroupIngress"
    assert udm["principal"]["ip"] == ["1.2.3.4"]
    assert udm["additional"]["fields"]["eventType"] == "AwsApiCall"
    assert udm["target"]["resource"]["attribute"]["labels"]["requestParameters.groupId"] == "sg-1"


def test_athena_rows_both_tables():
    row = project_event(CT, "athena", EVENT)
    assert row["eventname"] == "AuthorizeSecurityGroupIngress"
    assert row["useridentity"]["sessioncontext"]["attributes"]["mfaauthenticated"] == "true"
    assert json.loads(row["requestparameters"])["groupId"] == "sg-1"
    assert row["resources"][1] == {"arn": "a2"}
    assert row["p_log_type"] == CT and row["p_event_time"] == "2019-01-01T00:00:00Z"
    aws = project_event(CT, "athena", EVENT, variant="aws")
    assert aws["eventtime"] == "2019-01-01T00:00:00Z" and "p_log_type" not in aws


def test_athena_struct_member_typed_json_is_json_text(tmp_path):
    # A struct column with a JSON member: resolve says JSON text below it, so the row must
    # hold that member as JSON text (not as a nested struct).
    spec = tmp_path / "test_log.yaml"
    spec.write_text(
        "log_type: Test.StructJson\n"
        "schema:\n  fields:\n    ctx: object\n    ctx.name: string\n    ctx.data: json\n"
        "targets:\n  athena:\n    source: {database: panther_logs, table: test_structjson}\n"
        "    naming: lower\n")
    ms = load_mappings([spec])
    event = {"ctx": {"name": "n", "data": {"Granted": "Super Administrator"}}}
    row = project_event("Test.StructJson", "athena", event, mappings=ms)
    r = ms.resolve("Test.StructJson", "athena", ("ctx", "data", "Granted"))
    assert r.column_type == "json-string" and r.name == "ctx.data"
    assert row["ctx"]["name"] == "n"
    assert json.loads(row["ctx"]["data"]) == {"Granted": "Super Administrator"}


def test_sigma_record_flat():
    rec = project_event(CT, "sigma", EVENT)
    assert rec["userIdentity.arn"] == "arn:aws:sts::1:assumed-role/t"
    assert rec["requestParameters.ipPermissions.items.cidrIp"] == ["0.0.0.0/0", "10.0.0.0/8"]
    assert "p_log_type" not in rec


@pytest.mark.parametrize("target", ["sentinel", "athena", "chronicle"])
def test_projection_agrees_with_resolve(target):
    """Every exact mapping the projection used reads back the event's value."""
    ms = load_mappings()
    rec = project_event(CT, target, EVENT)
    r = ms.resolve(CT, target, "eventName")
    node = rec
    for part in (r.name.split(".") if target != "sentinel" else [r.name]):
        node = node[part]
    assert node == EVENT["eventName"]


def test_athena_array_of_structs_stores_json_members_as_json_text():
    # GitLab.Production types params[].value as json: Panther's table holds it as JSON text in
    # every element (the query json_parse()s it), whether the value is a text or an object.
    event = {"path": "/users/password",
             "params": [{"key": "authenticity_token", "value": "[FILTERED]"},
                        {"key": "user", "value": {"email": ["a@example.com", "b@example.com"]}}]}
    row = project_event("GitLab.Production", "athena", event)
    assert row["params"][0] == {"key": "authenticity_token", "value": '"[FILTERED]"'}
    assert json.loads(row["params"][1]["value"]) == {"email": ["a@example.com", "b@example.com"]}
