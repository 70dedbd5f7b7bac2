from panther_okta_helpers import okta_alert_context


def _privileges(event):
    # Okta lists the granted roles in one comma-separated string, e.g. "Super administrator, Org admin".
    return event.deep_get("debugContext", "debugData", "privilegeGranted", default="")


def rule(event):
    if event.get("eventType") != "user.account.privilege.grant":
        return False
    if event.deep_get("outcome", "result") != "SUCCESS":
        return False
    return "admin" in _privileges(event).lower()


def title(event):
    target = event.deep_walk("target", "alternateId", default="<UNKNOWN_USER>", return_val="first")
    actor = event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>")
    return f"Okta: [{actor}] granted [{_privileges(event)}] to [{target}]"


def severity(event):
    if "super administrator" in _privileges(event).lower():
        return "HIGH"
    return "MEDIUM"


def alert_context(event):
    return okta_alert_context(event)
