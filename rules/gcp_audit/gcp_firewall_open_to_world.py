FIREWALL_WRITES = {
    "v1.compute.firewalls.insert",
    "v1.compute.firewalls.patch",
    "v1.compute.firewalls.update",
    "beta.compute.firewalls.insert",
    "beta.compute.firewalls.patch",
}


def rule(event):
    if event.deep_get("protoPayload", "methodName") not in FIREWALL_WRITES:
        return False
    request = event.deep_get("protoPayload", "request", default={})
    # The API defaults direction to INGRESS when the request leaves it out.
    if request.get("direction", "INGRESS") != "INGRESS":
        return False
    if request.get("disabled", False):
        return False
    source_ranges = event.deep_get("protoPayload", "request", "sourceRanges", default=[])
    return "0.0.0.0/0" in source_ranges


def title(event):
    firewall = event.deep_get("protoPayload", "resourceName", default="<UNKNOWN_FIREWALL>")
    return f"GCP firewall rule [{firewall.split('/')[-1]}] allows ingress from anywhere"


def alert_context(event):
    return {
        "principal": event.deep_get("protoPayload", "authenticationInfo", "principalEmail"),
        "firewall": event.deep_get("protoPayload", "resourceName"),
        "allowed": event.deep_get("protoPayload", "request", "alloweds"),
        "network": event.deep_get("protoPayload", "request", "network"),
    }
