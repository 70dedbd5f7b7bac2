import re

# Repository names that by our naming convention hold infrastructure or secrets.
SENSITIVE_REPO_NAME = r"(infra|secret|credential|terraform|internal)"


def rule(event):
    return event.get("action") == "repo.access" and event.get("visibility") == "public"


def severity(event):
    if re.search(SENSITIVE_REPO_NAME, event.get("repo", ""), re.IGNORECASE):
        return "CRITICAL"
    return "DEFAULT"


def title(event):
    return (
        f"GitHub: [{event.get('actor', '<UNKNOWN_ACTOR>')}] made repository "
        f"[{event.get('repo', '<UNKNOWN_REPO>')}] public"
    )


def dedup(event):
    return event.get("repo", "<UNKNOWN_REPO>")


def alert_context(event):
    return {
        "actor": event.get("actor"),
        "repo": event.get("repo"),
        "previous_visibility": event.get("previous_visibility"),
        "country": event.deep_get("actor_location", "country_code"),
    }
