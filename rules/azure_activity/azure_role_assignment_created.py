from panther_azure_helpers import azure_activity_context

ROLE_ASSIGNMENT_WRITE = "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"
# Azure writes the operation name with inconsistent casing across services and API versions.
SUCCESS_RESULTS = ("Success", "Succeeded")


def rule(event):
    if event.get("operationName", "").upper() != ROLE_ASSIGNMENT_WRITE:
        return False
    return event.get("resultType") in SUCCESS_RESULTS


def title(event):
    caller = event.deep_get("identity", "claims", "name") or event.get(
        "callerIpAddress", "<UNKNOWN_CALLER>"
    )
    scope = event.get("resourceId", "<UNKNOWN_SCOPE>")
    return f"Azure role assignment created on [{scope}] by [{caller}]"


def dedup(event):
    return event.get("resourceId", "<UNKNOWN_SCOPE>")


def alert_context(event):
    return azure_activity_context(event)
