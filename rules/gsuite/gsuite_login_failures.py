def rule(event):
    return (
        event.deep_get("id", "applicationName") == "login" and event.get("name") == "login_failure"
    )


def dedup(event):
    return event.deep_get("actor", "email", default="<UNKNOWN_USER>")


def title(event):
    return f"Google Workspace: repeated failed sign-ins for [{dedup(event)}]"


def alert_context(event):
    return {
        "user": event.deep_get("actor", "email"),
        "ip_address": event.get("ipAddress"),
        "login_type": event.deep_get("parameters", "login_type"),
        "failure_type": event.deep_get("parameters", "login_failure_type"),
    }
