# Secret scanning and push protection each have org-level and repository-level audit actions.
SECRET_SCANNING_ACTION_PREFIXES = (
    "secret_scanning.",
    "secret_scanning_push_protection.",
    "repository_secret_scanning.",
    "repository_secret_scanning_push_protection.",
)


def rule(event):
    action = event.get("action", "")
    return action.startswith(SECRET_SCANNING_ACTION_PREFIXES) and action.endswith(".disable")


def title(event):
    target = event.get("repo") or event.get("org", "<UNKNOWN_ORG>")
    return f"GitHub: [{event.get('action')}] on [{target}] by [{event.get('actor', '<UNKNOWN_ACTOR>')}]"


def alert_context(event):
    return {"actor": event.get("actor"), "org": event.get("org"), "repo": event.get("repo")}
