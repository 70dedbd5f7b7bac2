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
    """True when the API call succeeded: CloudTrail sets errorCode/errorMessage only on failure."""
    return event.get("errorCode") is None and event.get("errorMessage") is None


def aws_rule_context(event):
    """Alert context shared by our CloudTrail rules: who called what, where, from where."""
    return {field: event.get(field, MISSING) for field in AWS_CONTEXT_FIELDS}
