from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context

ATTACH_EVENTS = {"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"}

# AWS-managed policies that grant (or can grant themselves) full control of the account.
PRIVILEGED_POLICY_SUFFIXES = (
    ":policy/AdministratorAccess",
    ":policy/IAMFullAccess",
    ":policy/PowerUserAccess",
)


def rule(event):
    if not aws_cloudtrail_success(event):
        return False
    if event.get("eventName") not in ATTACH_EVENTS:
        return False
    policy_arn = event.deep_get("requestParameters", "policyArn", default="")
    return policy_arn.endswith(PRIVILEGED_POLICY_SUFFIXES)


def _principal(event):
    parameters = event.get("requestParameters") or {}
    return (
        parameters.get("userName")
        or parameters.get("roleName")
        or parameters.get("groupName")
        or "<UNKNOWN_PRINCIPAL>"
    )


def title(event):
    policy = event.deep_get("requestParameters", "policyArn", default="").split("/")[-1]
    actor = event.deep_get("userIdentity", "arn", default="<UNKNOWN_ACTOR>")
    return f"Privileged policy [{policy}] attached to [{_principal(event)}] by [{actor}]"


def dedup(event):
    return f"{event.get('recipientAccountId')}:{_principal(event)}"


def alert_context(event):
    context = aws_rule_context(event)
    context["principal"] = _principal(event)
    return context
