"""Hand-built canonical rules for the Athena golden files (independent of the frontends)."""
from translator.model import (
    All, AnyOf, Field, Not, Opaque, Predicate, Quantifier, Rule, RuleTest, Template,
)

F = Field

SG_MODIFIED = Rule(
    id="Golden.EC2.SecurityGroupModified", log_types=("AWS.CloudTrail",), dedup_period_minutes=720,
    source_file="rules/golden/sg_modified.yml", source_hash="0" * 64,
    detection=All((
        Predicate(F(("eventSource",)), "eq", "ec2.amazonaws.com"),
        Predicate(F(("eventName",)), "in", ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress")),
        Not(Predicate(F(("errorCode",)), "truthy")),
        Quantifier("any", F(("requestParameters", "ipPermissions", "items")),
                   Quantifier("any", F(("ipRanges", "items"), root="element"),
                              Predicate(F(("cidrIp",), root="element"), "eq", "0.0.0.0/0"))),
    )),
    title=Template(("Security group [", F(("requestParameters", "groupId")), "] opened by ",
                    F(("userIdentity", "arn")))),
    output_fields=(F(("eventName",)), F(("userAgent",)), F(("sourceIPAddress",)), F(("p_any_aws_arns",))),
)

BRUTE_FORCE = Rule(
    id="Golden.BruteForceByIP", log_types=("AWS.CloudTrail", "Okta.SystemLog"), threshold=5,
    dedup_period_minutes=30, source_file="rules/golden/brute_force.yml", source_hash="1" * 64,
    detection=AnyOf((
        All((Predicate(F(("eventName",)), "eq", "ConsoleLogin"),
             Predicate(F(("responseElements", "ConsoleLogin")), "eq", "Failure"))),
        All((Predicate(F(("eventType",)), "startswith", "user.session.start"),
             Predicate(F(("outcome", "result")), "eq", "FAILURE", case_sensitive=False))),
    )),
    dedup_key=(F(("sourceIPAddress",)),),
)

PARTIAL = Rule(
    id="Golden.PartialLookup", log_types=("AWS.CloudTrail",), source_file="rules/golden/partial.yml",
    source_hash="2" * 64,
    detection=All((
        Predicate(F(("eventName",)), "regex", r"^(Put|Delete)Bucket\w*$", flags=("IGNORECASE",)),
        Not(Predicate(F(("userAgent",), default="<none>"), "contains", "50%_off\\'")),
        Opaque("kv lookup", "reads a DynamoDB table", "partial.py:7"),
    )),
    tests=(RuleTest.make("t", True, {"eventName": "PutBucketPolicy"}),),
)

GOLDEN = {  # file stem -> (rule, dialect)
    "sg_modified.athena": (SG_MODIFIED, "athena"),
    "sg_modified.duckdb": (SG_MODIFIED, "duckdb"),
    "brute_force.athena": (BRUTE_FORCE, "athena"),
    "brute_force.snowflake": (BRUTE_FORCE, "snowflake"),
    "partial.athena": (PARTIAL, "athena"),
}
