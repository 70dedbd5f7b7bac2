from fnmatch import fnmatch

PROTECTION_REMOVALS = {"protected_branch.destroy", "protected_branch.policy_override"}
# Branches whose protection matters: the default branch and release lines.
GUARDED_BRANCH_PATTERNS = ("main", "master", "release/*", "release-*")


def rule(event):
    if event.get("action") not in PROTECTION_REMOVALS:
        return False
    branch = event.get("name") or ""
    return any(fnmatch(branch, pattern) for pattern in GUARDED_BRANCH_PATTERNS)


def title(event):
    return (
        f"GitHub: [{event.get('actor', '<UNKNOWN_ACTOR>')}] removed or bypassed protection of "
        f"[{event.get('repo', '<UNKNOWN_REPO>')}:{event.get('name')}]"
    )


def alert_context(event):
    return {
        "actor": event.get("actor"),
        "action": event.get("action"),
        "repo": event.get("repo"),
        "branch": event.get("name"),
        "country": event.deep_get("actor_location", "country_code"),
    }
