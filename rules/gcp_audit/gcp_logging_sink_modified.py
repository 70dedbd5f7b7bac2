import re

# Deleting or redirecting a sink, or deleting a log, stops audit logs reaching the SIEM.
LOG_TAMPERING_METHOD = re.compile(
    r"google\.logging\.v2\.(ConfigServiceV2\.(Delete|Update)Sink|LoggingServiceV2\.DeleteLog)",
    re.IGNORECASE,
)


def rule(event):
    method = event.deep_get("protoPayload", "methodName", default="")
    if not re.match(LOG_TAMPERING_METHOD, method):
        return False
    # Failed calls carry a non-zero status code.
    return event.deep_get("protoPayload", "status", "code", default=0) == 0


def title(event):
    principal = event.deep_get(
        "protoPayload", "authenticationInfo", "principalEmail", default="<UNKNOWN_PRINCIPAL>"
    )
    resource = event.deep_get("protoPayload", "resourceName", default="<UNKNOWN_RESOURCE>")
    return f"GCP: [{principal}] tampered with logging [{resource}]"


def alert_context(event):
    return {
        "method": event.deep_get("protoPayload", "methodName"),
        "principal": event.deep_get("protoPayload", "authenticationInfo", "principalEmail"),
        "caller_ip": event.deep_get("protoPayload", "requestMetadata", "callerIp"),
        "resource": event.deep_get("protoPayload", "resourceName"),
    }
