from panther_aws_helpers import aws_rule_context


def rule(event):
    if event.deep_get("userIdentity", "type") != "Root":
        return False
    # AWS services acting on the account's behalf also appear as Root; they are not a person.
    if event.deep_get("userIdentity", "invokedBy") is not None:
        return False
    return event.get("eventType", "<UNKNOWN_EVENT_TYPE>") != "AwsServiceEvent"


def title(event):
    account = event.get("recipientAccountId", "<UNKNOWN_ACCOUNT>")
    return f"Root user of account [{account}] called [{event.get('eventName', '<UNKNOWN_EVENT>')}]"


def dedup(event):
    return event.get("recipientAccountId")


def alert_context(event):
    return aws_rule_context(event)
