import re

from panther_aws_helpers import aws_rule_context

ACCESS_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
}

# Services answer with their own exception names, e.g. "AccessDeniedException" or
# "Client.UnauthorizedAccess"; match the family, not each spelling.
ACCESS_DENIED_PATTERN = re.compile(r"^(Client\.)?(AccessDenied|Unauthorized)", re.IGNORECASE)


def rule(event):
    error_code = event.get("errorCode") or ""
    if error_code in ACCESS_DENIED_CODES or ACCESS_DENIED_PATTERN.match(error_code):
        return True
    # Some denials (e.g. S3 via presigned URLs) only say so in the message.
    return "is not authorized to perform" in (event.get("errorMessage") or "")


def dedup(event):
    return event.deep_get("userIdentity", "arn", default="<UNKNOWN_ARN>")


def title(event):
    return f"Repeated AWS access denials for [{dedup(event)}]"


def alert_context(event):
    return aws_rule_context(event)
