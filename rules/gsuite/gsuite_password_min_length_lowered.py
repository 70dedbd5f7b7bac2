import re

# Below this, passwords fall to offline guessing quickly (NIST SP 800-63B asks 8, we ask 12).
MINIMUM_ACCEPTABLE_LENGTH = 12


def rule(event):
    if event.deep_get("id", "applicationName") != "admin":
        return False
    if event.get("name") != "CHANGE_APPLICATION_SETTING":
        return False
    setting = event.deep_get("parameters", "SETTING_NAME", default="")
    if "minimum password length" not in setting.lower():
        return False
    # The Admin SDK reports the new value as a string.
    new_value = event.deep_get("parameters", "NEW_VALUE", default="")
    if not re.fullmatch(r"\d+", new_value):
        return False
    return int(new_value) < MINIMUM_ACCEPTABLE_LENGTH


def title(event):
    new_value = event.deep_get("parameters", "NEW_VALUE", default="<UNKNOWN>")
    actor = event.deep_get("actor", "email", default="<UNKNOWN_ACTOR>")
    return f"Google Workspace: [{actor}] set the minimum password length to [{new_value}]"


def alert_context(event):
    return {
        "actor": event.deep_get("actor", "email"),
        "old_value": event.deep_get("parameters", "OLD_VALUE"),
        "new_value": event.deep_get("parameters", "NEW_VALUE"),
        "org_unit": event.deep_get("parameters", "ORG_UNIT_NAME"),
    }
