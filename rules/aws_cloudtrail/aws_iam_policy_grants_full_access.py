import json

from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context

POLICY_WRITES = {
    "CreatePolicy",
    "CreatePolicyVersion",
    "PutUserPolicy",
    "PutRolePolicy",
    "PutGroupPolicy",
}


def _as_list(value):
    # IAM accepts a single string or a list wherever it takes actions, resources or statements.
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _grants_everything(statement):
    return (
        statement.get("Effect") == "Allow"
        and "*" in _as_list(statement.get("Action"))
        and "*" in _as_list(statement.get("Resource"))
    )


def rule(event):
    if not aws_cloudtrail_success(event) or event.get("eventName") not in POLICY_WRITES:
        return False
    document = event.deep_get("requestParameters", "policyDocument")
    if not document:
        return False
    # CloudTrail records the policy document as a JSON string, not as an object.
    try:
        policy = json.loads(document)
    except (TypeError, ValueError):
        return False
    for statement in _as_list(policy.get("Statement", [])):
        if _grants_everything(statement):
            return True
    return False


def title(event):
    name = event.deep_get("requestParameters", "policyName", default="<UNKNOWN_POLICY>")
    actor = event.deep_get("userIdentity", "arn", default="<UNKNOWN_ACTOR>")
    return f"IAM policy [{name}] allowing *:* written by [{actor}]"


def alert_context(event):
    return aws_rule_context(event)
