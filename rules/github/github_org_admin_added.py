ADMIN_ROLE_EVENTS = {"org.update_member", "org.add_member", "business.add_admin"}


def rule(event):
    if event.get("action") not in ADMIN_ROLE_EVENTS:
        return False
    if event.get("action") == "business.add_admin":
        return True
    # GitHub has written this field as "admin" and as "ADMIN" over time.
    return (event.get("permission") or "").lower() == "admin"


def title(event):
    user = event.get("user", "<UNKNOWN_USER>")
    scope = event.get("org") or event.get("business", "<UNKNOWN_ORG>")
    return f"GitHub: [{event.get('actor', '<UNKNOWN_ACTOR>')}] made [{user}] an owner of [{scope}]"


def alert_context(event):
    return {
        "actor": event.get("actor"),
        "user": event.get("user"),
        "org": event.get("org"),
        "action": event.get("action"),
    }
