from panther_azure_helpers import azure_activity_context

RESOURCE_GROUP_DELETE = "microsoft.resources/subscriptions/resourcegroups/delete"
# Our naming convention: production resource groups start with one of these.
PRODUCTION_PREFIXES = ("prod-", "prd-")


def _resource_group(event):
    # /subscriptions/<id>/resourceGroups/<name>: the name is the fifth path segment.
    parts = (event.get("resourceId") or "").split("/")
    return parts[4].lower() if len(parts) > 4 else ""


def rule(event):
    if (event.get("operationName") or "").lower() != RESOURCE_GROUP_DELETE:
        return False
    if event.get("resultType") == "Failure":
        return False
    return _resource_group(event).startswith(PRODUCTION_PREFIXES)


def title(event):
    return f"Azure production resource group [{_resource_group(event)}] deleted"


def dedup(event):
    return _resource_group(event)


def alert_context(event):
    return azure_activity_context(event)
