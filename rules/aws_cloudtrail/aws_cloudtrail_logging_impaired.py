from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context

STOPPING_EVENTS = ["StopLogging", "DeleteTrail"]


def rule(event):
    if not aws_cloudtrail_success(event):
        return False
    if event.get("eventSource") != "cloudtrail.amazonaws.com":
        return False
    event_name = event.get("eventName")
    if event_name in STOPPING_EVENTS:
        return True
    if event_name == "PutEventSelectors":
        # A selector that drops management events blinds every control-plane detection.
        for selector in event.deep_get("requestParameters", "eventSelectors", default=[]):
            if not selector.get("includeManagementEvents", True):
                return True
    return False


def title(event):
    trail = event.deep_get("requestParameters", "name", default="<UNKNOWN_TRAIL>")
    return f"CloudTrail [{trail}] logging impaired by [{event.get('eventName')}]"


def alert_context(event):
    return aws_rule_context(event)
