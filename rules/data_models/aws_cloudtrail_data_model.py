"""Method mappings of our AWS.CloudTrail data model."""

from panther_aws_helpers import aws_cloudtrail_success


def get_event_type(event):
    """Normalised event type of a console sign-in; None for every other API call."""
    if event.get("eventName") != "ConsoleLogin":
        return None
    result = event.deep_get("responseElements", "ConsoleLogin")
    if result == "Failure" or not aws_cloudtrail_success(event):
        return "failed_login"
    if result == "Success":
        return "successful_login"
    return None


def get_actor_user(event):
    """Human-readable actor: the IAM user name, the assumed role's session issuer, or Root."""
    identity_type = event.deep_get("userIdentity", "type")
    if identity_type == "Root":
        return "Root"
    if identity_type == "AssumedRole":
        return event.deep_get("userIdentity", "sessionContext", "sessionIssuer", "userName")
    return event.deep_get("userIdentity", "userName")
