from ipaddress import ip_address

from panther_azure_helpers import azure_activity_context

DIAGNOSTIC_SETTING_DELETE = "microsoft.insights/diagnosticsettings/delete"


def rule(event):
    if event.get("operationName", "").lower() != DIAGNOSTIC_SETTING_DELETE:
        return False
    return event.get("resultType") in ["Success", "Succeeded"]


def severity(event):
    caller_ip = event.get("callerIpAddress")
    # Deletions from inside our network are usually pipelines; from the internet, a person.
    if caller_ip and not ip_address(caller_ip).is_private:
        return "HIGH"
    return "MEDIUM"


def title(event):
    resource = event.get("resourceId", "<UNKNOWN_RESOURCE>")
    return f"Azure diagnostic setting deleted on [{resource}]"


def alert_context(event):
    return azure_activity_context(event)
