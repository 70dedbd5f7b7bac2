"""Method mappings of our Okta.SystemLog data model."""

SIGN_IN_EVENT_TYPES = {"user.session.start", "user.authentication.sso"}


def get_event_type(event):
    """Normalised event type of a sign-in; None for every other System Log event."""
    if event.get("eventType") not in SIGN_IN_EVENT_TYPES:
        return None
    result = event.deep_get("outcome", "result")
    if result == "FAILURE":
        return "failed_login"
    if result == "SUCCESS":
        return "successful_login"
    return None
