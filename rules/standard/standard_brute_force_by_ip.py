def rule(event):
    return event.udm("event_type") == "failed_login"


def dedup(event):
    return event.udm("source_ip") or "<UNKNOWN_IP>"


def title(event):
    log_type = event.get("p_log_type", "<UNKNOWN_LOG_TYPE>")
    return f"{log_type}: repeated failed sign-ins from [{dedup(event)}]"


def alert_context(event):
    return {
        "source_ip": event.udm("source_ip"),
        "actor_user": event.udm("actor_user"),
        "user_agent": event.udm("user_agent"),
        "log_type": event.get("p_log_type"),
    }
