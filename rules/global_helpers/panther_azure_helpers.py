"""Azure Monitor activity-log helpers: the alert context of our Azure rules."""

# Activity-log fields that identify the operation, its target and its caller.
AZURE_ACTIVITY_CONTEXT_FIELDS = {
    "operation": "operationName",
    "resource_id": "resourceId",
    "result": "resultType",
    "caller_ip": "callerIpAddress",
    "correlation_id": "correlationId",
    "tenant_id": "tenantId",
}


def azure_activity_context(event):
    """Operation, resource, result and caller of an activity-log record; None where absent."""
    context = {name: event.get(field) for name, field in AZURE_ACTIVITY_CONTEXT_FIELDS.items()}
    context["caller"] = event.deep_get("identity", "claims", "name")
    return context
