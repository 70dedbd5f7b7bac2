"""Okta System Log helpers: the alert context of our Okta rules."""


def okta_alert_context(event):
    """Who did what to whom, from which client, and what Okta decided."""
    targets = event.get("target") or []
    return {
        "actor": event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>"),
        "event_type": event.get("eventType"),
        "outcome": event.deep_get("outcome", "result"),
        "client_ip": event.deep_get("client", "ipAddress"),
        "user_agent": event.deep_get("client", "userAgent", "rawUserAgent"),
        "targets": [target.get("alternateId") for target in targets],
        "authentication_context": event.get("authenticationContext"),
    }
