PRIMITIVE_ROLES = ["roles/owner", "roles/editor"]
# Consumer accounts are outside the organisation's control (no SSO, no offboarding).
CONSUMER_DOMAINS = ("@gmail.com", "@googlemail.com")


def _granted(event):
    deltas = event.deep_get(
        "protoPayload", "serviceData", "policyDelta", "bindingDeltas", default=[]
    )
    return [
        delta
        for delta in deltas
        if delta.get("action") == "ADD" and delta.get("role") in PRIMITIVE_ROLES
    ]


def rule(event):
    if not event.deep_get("protoPayload", "methodName", default="").endswith("SetIamPolicy"):
        return False
    return len(_granted(event)) > 0


def severity(event):
    members = [delta.get("member", "") for delta in _granted(event)]
    if any(member.lower().endswith(CONSUMER_DOMAINS) for member in members):
        return "CRITICAL"
    return "HIGH"


def title(event):
    members = event.deep_walk(
        "protoPayload", "serviceData", "policyDelta", "bindingDeltas", "member", default="<UNKNOWN>"
    )
    project = event.deep_get("resource", "labels", "project_id", default="<UNKNOWN_PROJECT>")
    return f"GCP: primitive role granted in [{project}] to [{members}]"


def alert_context(event):
    return {
        "principal": event.deep_get("protoPayload", "authenticationInfo", "principalEmail"),
        "caller_ip": event.deep_get("protoPayload", "requestMetadata", "callerIp"),
        "resource": event.deep_get("protoPayload", "resourceName"),
        "granted": [[delta.get("role"), delta.get("member")] for delta in _granted(event)],
    }
