from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context

BLOCK_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def rule(event):
    if not aws_cloudtrail_success(event):
        return False
    if event.get("eventName") == "DeleteBucketPublicAccessBlock":
        return True
    if event.get("eventName") != "PutBucketPublicAccessBlock":
        return False
    configuration = event.deep_get(
        "requestParameters", "PublicAccessBlockConfiguration", default={}
    )
    # Each of the four switches closes a different path to public data; all must stay on.
    return not all(configuration.get(setting, False) for setting in BLOCK_SETTINGS)


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<UNKNOWN_BUCKET>")
    return f"S3 Block Public Access weakened on bucket [{bucket}]"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default="<UNKNOWN_BUCKET>")


def alert_context(event):
    return aws_rule_context(event)
