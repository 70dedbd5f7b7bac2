from ipaddress import ip_address, ip_network

SSH_PORT = 22
# Our bastion hosts accept SSH from the internet on purpose.
BASTION_SUBNET = ip_network("10.20.0.0/28")


def rule(event):
    if event.get("dstPort") != SSH_PORT or event.get("action") != "ACCEPT":
        return False
    source = event.get("srcAddr")
    destination = event.get("dstAddr")
    if not source or not destination:
        return False
    if ip_address(source).is_private:
        return False
    return ip_address(destination) not in BASTION_SUBNET


def title(event):
    return f"SSH from the internet [{event.get('srcAddr')}] accepted by [{event.get('dstAddr')}]"


def dedup(event):
    return event.get("dstAddr")


def alert_context(event):
    return {
        "source": event.get("srcAddr"),
        "destination": event.get("dstAddr"),
        "interface": event.get("interfaceId"),
        "account": event.get("account"),
        "bytes": event.get("bytes", 0),
    }
