from panther_base_helpers import deep_get

SHARING_EVENTS = {
    "change_user_access",
    "change_document_visibility",
    "change_document_access_scope",
}
PUBLIC_VISIBILITIES = {"people_with_link", "public_on_the_web"}
# Our own domains; anything else is external.
COMPANY_DOMAINS = ("@acme.example", "@acme-corp.example")


def rule(event):
    if deep_get(event, "id", "applicationName") != "drive":
        return False
    if event.get("name") not in SHARING_EVENTS:
        return False
    if deep_get(event, "parameters", "visibility") in PUBLIC_VISIBILITIES:
        return True
    target_user = deep_get(event, "parameters", "target_user", default="")
    return bool(target_user) and not target_user.lower().endswith(COMPANY_DOMAINS)


def title(event):
    document = deep_get(event, "parameters", "doc_title", default="<UNKNOWN_DOCUMENT>")
    actor = deep_get(event, "actor", "email", default="<UNKNOWN_ACTOR>")
    return f"Google Drive: [{actor}] shared [{document}] outside the company"


def dedup(event):
    return deep_get(event, "parameters", "doc_id", default="<UNKNOWN_DOCUMENT>")


def alert_context(event):
    return {
        "actor": deep_get(event, "actor", "email"),
        "document": deep_get(event, "parameters", "doc_title"),
        "visibility": deep_get(event, "parameters", "visibility"),
        "target_user": deep_get(event, "parameters", "target_user"),
    }
