from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context

# More instances than any of our deployments launches in one call: typical of crypto-mining
# with stolen keys, which starts a fleet in every region it can.
MANY_INSTANCES = 10


def _launched(event):
    return event.deep_get("responseElements", "instancesSet", "items", default=[])


def rule(event):
    if event.get("eventName") != "RunInstances" or not aws_cloudtrail_success(event):
        return False
    return len(_launched(event)) >= MANY_INSTANCES


def title(event):
    instance_type = event.deep_get("requestParameters", "instanceType", default="<UNKNOWN_TYPE>")
    return (
        f"{len(_launched(event))} EC2 instances of type [{instance_type}] launched in "
        f"[{event.get('awsRegion', '<UNKNOWN_REGION>')}] in one call"
    )


def dedup(event):
    return f"{event.get('recipientAccountId')}:{event.get('awsRegion')}"


def alert_context(event):
    return aws_rule_context(event)
