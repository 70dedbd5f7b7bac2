from panther_okta_helpers import okta_alert_context

# Groups whose members administer the org or its applications.
PRIVILEGED_GROUPS = {"Okta Administrators", "Super Admins", "AWS Admins"}


def _target_names(event):
    # deep_walk collects displayName from every target: one name comes back as the value
    # itself, several as a list, none as None.
    names = event.deep_walk("target", "displayName")
    if names is None:
        return []
    if not isinstance(names, list):
        return [names]
    return names


def rule(event):
    if event.get("eventType") != "group.user_membership.add":
        return False
    if event.deep_get("outcome", "result") != "SUCCESS":
        return False
    return any(name in PRIVILEGED_GROUPS for name in _target_names(event))


def title(event):
    actor = event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>")
    return f"Okta: [{actor}] added a user to a privileged group"


def alert_context(event):
    return okta_alert_context(event)
