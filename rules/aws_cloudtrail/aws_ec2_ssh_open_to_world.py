from panther_aws_helpers import aws_cloudtrail_success, aws_rule_context
from panther_base_helpers import deep_get

SSH_PORT = 22
ANY_ADDRESS = {"0.0.0.0/0", "::/0"}


def _covers_ssh(permission):
    # Protocol "-1" means all protocols and all ports; the port fields are then absent.
    if permission.get("ipProtocol") == "-1":
        return True
    from_port = deep_get(permission, "fromPort", default=-1)
    to_port = deep_get(permission, "toPort", default=-1)
    return from_port <= SSH_PORT <= to_port


def _sources(permission):
    ipv4 = [entry.get("cidrIp") for entry in deep_get(permission, "ipRanges", "items", default=[])]
    ipv6 = [
        entry.get("cidrIpv6") for entry in deep_get(permission, "ipv6Ranges", "items", default=[])
    ]
    return ipv4 + ipv6


def _opens_ssh_to_world(permission):
    return _covers_ssh(permission) and any(source in ANY_ADDRESS for source in _sources(permission))


def rule(event):
    if event.get("eventName") != "AuthorizeSecurityGroupIngress":
        return False
    if not aws_cloudtrail_success(event):
        return False
    permissions = event.deep_get("requestParameters", "ipPermissions", "items", default=[])
    return any(_opens_ssh_to_world(permission) for permission in permissions)


def title(event):
    group = event.deep_get("requestParameters", "groupId", default="<UNKNOWN_GROUP>")
    return f"Security group [{group}] opened SSH to the internet"


def dedup(event):
    return event.deep_get("requestParameters", "groupId", default="<UNKNOWN_GROUP>")


def alert_context(event):
    return aws_rule_context(event)
