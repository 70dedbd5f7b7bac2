"""AWS CloudTrail helpers: API-call success and the standard alert context of our AWS rules."""

MISSING = "<MISSING>"

# The fields every AWS CloudTrail alert of ours carries, in the order analysts read them.
AWS_CONTEXT_FIELDS = (
    "eventName",
    "eventSource",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userAgent",
    "userIdentity",
)


def aws_cloudtrail_success(event):
    """True when the API call succeeded: CloudTrail sets errorCode/errorMessage only on failure
    (an empty value counts as unset, as in Panther's own helper of this name)."""
    return not (event.get("errorCode") or event.get("errorMessage"))


def aws_rule_context(event):
    """Alert context shared by our CloudTrail rules: who called what, where, from where."""
    return {field: event.get(field, MISSING) for field in AWS_CONTEXT_FIELDS}
