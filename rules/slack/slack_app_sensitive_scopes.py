APP_SCOPE_EVENTS = ("app_installed", "app_scopes_expanded", "app_resources_added")
# Scopes that read every message or file, or administer the workspace.
SENSITIVE_SCOPE_PREFIXES = (
    "admin",
    "files:read",
    "channels:history",
    "groups:history",
    "im:history",
)


def rule(event):
    if event.get("action") not in APP_SCOPE_EVENTS:
        return False
    scopes = event.deep_get("details", "new_scopes", default=[])
    if "admin" in scopes:
        return True
    return any(scope.startswith(SENSITIVE_SCOPE_PREFIXES) for scope in scopes)


def title(event):
    app = event.deep_get("entity", "app", "name", default="<UNKNOWN_APP>")
    actor = event.deep_get("actor", "user", "email", default="<UNKNOWN_ACTOR>")
    return f"Slack: [{actor}] granted app [{app}] sensitive scopes"


def alert_context(event):
    return {
        "actor": event.deep_get("actor", "user", "email"),
        "app": event.deep_get("entity", "app", "name"),
        "new_scopes": event.deep_get("details", "new_scopes"),
        "ip_address": event.deep_get("context", "ip_address"),
    }
