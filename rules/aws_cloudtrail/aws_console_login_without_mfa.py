from panther_aws_helpers import aws_rule_context

# Federated sign-ins (AssumedRole via SAML/SSO) enforce MFA at the identity provider and always
# report MFAUsed=No, so only IAM users and the root user are judged here.
PASSWORD_IDENTITIES = ("IAMUser", "Root")


def rule(event):
    if event.get("eventName") != "ConsoleLogin":
        return False
    if event.deep_get("responseElements", "ConsoleLogin") != "Success":
        return False
    if event.deep_get("userIdentity", "type") not in PASSWORD_IDENTITIES:
        return False
    # CloudTrail omits additionalEventData on some sign-in paths; no evidence of MFA means none.
    return event.deep_get("additionalEventData", "MFAUsed", default="No") != "Yes"


def title(event):
    user = event.deep_get("userIdentity", "userName", default="Root")
    account = event.get("recipientAccountId", "<UNKNOWN_ACCOUNT>")
    return f"AWS console login without MFA by [{user}] in account [{account}]"


def severity(event):
    if event.deep_get("userIdentity", "type") == "Root":
        return "CRITICAL"
    return "HIGH"


def alert_context(event):
    return aws_rule_context(event)
