import re

from panther_azure_helpers import azure_activity_context

# Deleting the vault itself, or a key or secret in it; not purges, recoveries or other actions.
VAULT_DELETE_OPERATION = r"microsoft\.keyvault/vaults(/(keys|secrets))?/delete"


def rule(event):
    operation = event.get("operationName") or ""
    if not re.fullmatch(VAULT_DELETE_OPERATION, operation, flags=re.IGNORECASE):
        return False
    return event.get("resultType") != "Failure"


def title(event):
    vault = event.get("resourceId", "<UNKNOWN_VAULT>").split("/")[-1]
    return f"Azure Key Vault object deleted: [{event.get('operationName')}] on [{vault}]"


def dedup(event):
    return event.get("resourceId", "<UNKNOWN_VAULT>")


def alert_context(event):
    return azure_activity_context(event)
