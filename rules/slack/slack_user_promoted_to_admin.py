PROMOTIONS = {"role_change_to_admin", "role_change_to_owner"}


def rule(event):
    return event.get("action") in PROMOTIONS


def severity(event):
    if event.get("action") == "role_change_to_owner":
        return "HIGH"
    return "MEDIUM"


def title(event):
    user = event.deep_get("entity", "user", "email", default="<UNKNOWN_USER>")
    actor = event.deep_get("actor", "user", "email", default="<UNKNOWN_ACTOR>")
    role = event.get("action", "").replace("role_change_to_", "")
    return f"Slack: [{actor}] made [{user}] workspace {role}"


def alert_context(event):
    return {
        "actor": event.deep_get("actor", "user", "email"),
        "user": event.deep_get("entity", "user", "email"),
        "action": event.get("action"),
        "ip_address": event.deep_get("context", "ip_address"),
    }
