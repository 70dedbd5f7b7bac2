def rule(event):
    if (
        event.deep_get("protoPayload", "methodName")
        != "google.iam.admin.v1.CreateServiceAccountKey"
    ):
        return False
    principal = event.deep_get("protoPayload", "authenticationInfo", "principalEmail", default="")
    # Automation (a service account rotating keys) is expected; a person minting a long-lived key
    # for a service account is how access outlives an offboarding.
    return not principal.endswith(".gserviceaccount.com")


def title(event):
    principal = event.deep_get(
        "protoPayload", "authenticationInfo", "principalEmail", default="<UNKNOWN_PRINCIPAL>"
    )
    account = event.deep_get("protoPayload", "request", "name", default="<UNKNOWN_ACCOUNT>")
    return f"GCP: [{principal}] created a key for service account [{account.split('/')[-1]}]"


def dedup(event):
    return event.deep_get(
        "protoPayload", "authenticationInfo", "principalEmail", default="<UNKNOWN>"
    )


def alert_context(event):
    return {
        "principal": event.deep_get("protoPayload", "authenticationInfo", "principalEmail"),
        "caller_ip": event.deep_get("protoPayload", "requestMetadata", "callerIp"),
        "service_account": event.deep_get("protoPayload", "request", "name"),
        "project": event.deep_get("resource", "labels", "project_id"),
    }
