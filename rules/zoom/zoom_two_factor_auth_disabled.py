# Zoom writes account-setting changes as one sentence:
#   "Security  - Sign in with Two-Factor Authentication: from On to Off"
TWO_FACTOR_SETTING = "sign in with two-factor authentication"


def _setting_and_change(event):
    detail = event.get("operation_detail") or ""
    setting, _, change = detail.rpartition(":")
    # Drop the "Security  - " section prefix; Zoom pads it with a variable number of spaces.
    setting = setting.split("-", 1)[-1]
    return setting.strip().lower(), change.strip()


def rule(event):
    if event["action"] != "Update" or event.get("category_type") != "Account":
        return False
    setting, change = _setting_and_change(event)
    return setting == TWO_FACTOR_SETTING and change == "from On to Off"


def title(event):
    operator = event.get("operator", "<UNKNOWN_OPERATOR>")
    return f"Zoom: [{operator}] turned off two-factor authentication for the account"


def alert_context(event):
    return {
        "operator": event.get("operator"),
        "operation_detail": event.get("operation_detail"),
        "time": event.get("time"),
    }
