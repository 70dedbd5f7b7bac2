from panther_okta_helpers import okta_alert_context

# Resetting or removing a victim's factors lets an attacker enrol their own: a classic help-desk
# social-engineering step.
FACTOR_REMOVAL_EVENTS = (
    "user.mfa.factor.reset_all",
    "user.mfa.factor.deactivate",
    "user.mfa.factor.suspend",
)


def rule(event):
    return (
        event.get("eventType") in FACTOR_REMOVAL_EVENTS
        and event.deep_get("outcome", "result") == "SUCCESS"
        and event.deep_get("actor", "type") == "User"
    )


def title(event):
    target = event.deep_walk("target", "alternateId", default="<UNKNOWN_USER>", return_val="first")
    actor = event.deep_get("actor", "alternateId", default="<UNKNOWN_ACTOR>")
    return f"Okta: [{actor}] removed MFA factors of [{target}]"


def dedup(event):
    return event.deep_walk("target", "alternateId", default="<UNKNOWN_USER>", return_val="first")


def alert_context(event):
    return okta_alert_context(event)
