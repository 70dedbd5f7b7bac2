from ipaddress import ip_address

from panther_base_helpers import is_ip_in_network

# Where our workloads live; egress from elsewhere is covered by other controls.
WORKLOAD_NETWORKS = ["10.20.0.0/16", "10.30.0.0/16"]
LARGE_TRANSFER_BYTES = 1_000_000_000  # 1 GB in one flow-log window


def rule(event):
    if event.get("action") != "ACCEPT":
        return False
    if event.get("bytes", 0) < LARGE_TRANSFER_BYTES:
        return False
    if not is_ip_in_network(event.get("srcAddr"), WORKLOAD_NETWORKS):
        return False
    destination = event.get("dstAddr")
    return bool(destination) and ip_address(destination).is_global


def severity(event):
    if event.get("bytes", 0) >= 10 * LARGE_TRANSFER_BYTES:
        return "HIGH"
    return "MEDIUM"


def title(event):
    megabytes = event.get("bytes", 0) // 1_000_000
    return f"{megabytes} MB sent from [{event.get('srcAddr')}] to [{event.get('dstAddr')}]"


def dedup(event):
    return f"{event.get('srcAddr')}->{event.get('dstAddr')}"


def alert_context(event):
    return {
        "source": event.get("srcAddr"),
        "destination": event.get("dstAddr"),
        "destination_port": event.get("dstPort"),
        "bytes": event.get("bytes"),
        "interface": event.get("interfaceId"),
    }
