from panther_okta_helpers import okta_alert_context


def rule(event):
    if event.get("eventType") != "user.session.start":
        return False
    # Okta flags anonymising proxies and Tor exit nodes on the security context.
    return bool(event.deep_get("securityContext", "isProxy"))


def severity(event):
    if event.deep_get("outcome", "result") == "SUCCESS":
        return "HIGH"
    return "LOW"


def title(event):
    actor = event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>")
    asn_org = event.deep_get("securityContext", "asOrg", default="<UNKNOWN_ASN>")
    return f"Okta sign-in by [{actor}] through an anonymising proxy ({asn_org})"


def dedup(event):
    return event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>")


def alert_context(event):
    return okta_alert_context(event)
