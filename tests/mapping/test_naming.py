"""Naming styles, schema shape, indicator unions and constants, on small user mapping files."""
import pytest

from translator.mapping import EACH, ResolvedField, Step, Unmapped, load_mappings

APP = """
log_type: Test.App
event_time: ts
schema:
  fields:
    ts: timestamp
    actor.email: string
    actor.admin: bool
    score: number
    tags: "string[]"
    items[].name: string
    extra: json
indicators:
  p_any_emails: [actor.email]
targets:
  sentinel: {source: {table: TestApp_CL}, naming: legacy_cl, absent: ["p_*"]}
  "sentinel:dcr": {source: {table: TestApp2_CL}, naming: columns}
  splunk: {source: {sourcetype: "test:app"}, naming: flat, name_prefix: "data.", absent: ["p_*"]}
  sigma: {source: {product: test}, naming: dotted, absent: ["p_*"]}
  athena: {source: {table: test_app}, naming: lower}
  chronicle:
    source: {log_type: TEST_APP}
    fields:
      actor.email: {name: principal.user.email_addresses, type: "string[]"}
      extra: {name: additional.fields, type: labels}
"""


@pytest.fixture(scope="module")
def ms(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "app.yaml"
    p.write_text(APP)
    return load_mappings([p])


def names(ms, target, paths):
    return [getattr(ms.resolve("Test.App", target, p), "name", None) for p in paths]


def test_legacy_cl_suffixes_and_arrays_as_json_text(ms):
    assert names(ms, "sentinel", ["actor.email", "actor.admin", "score", "ts"]) == [
        "actor_email_s", "actor_admin_b", "score_d", "ts_t"]
    r = ms.resolve("Test.App", "sentinel", ("items", 0, "name"))
    assert (r.name, r.column_type, r.steps) == ("items_s", "json-string", (Step(0, True), Step("name", True)))
    assert ms.resolve("Test.App", "sentinel", "extra.k").name == "extra_k_s"  # flattened free-form keys


def test_dcr_columns_keep_top_level_keys_and_dynamic_below(ms):
    r = ms.resolve("Test.App", "sentinel:dcr", "actor.email")
    assert (r.name, r.column_type, r.steps) == ("actor", "object", (Step("email"),))
    assert ms.resolve("Test.App", "sentinel:dcr", "score").column_type == "number"


def test_flat_names_with_prefix_and_multivalue(ms):
    assert names(ms, "splunk", ["actor.email", "tags", ("items", EACH, "name")]) == [
        "data.actor.email", "data.tags{}", "data.items{}.name"]


def test_schema_parents_are_implied_and_unknown_paths_unmapped(ms):
    assert ms.resolve("Test.App", "athena", "actor").column_type == "object"
    r = ms.resolve("Test.App", "athena", "actor.nope")
    assert isinstance(r, Unmapped) and "schema" in r.reason
    # a mis-cased path finds the schema field (PantherEvent keys are case-insensitive), then
    # the target's spelling of it
    assert ms.resolve("Test.App", "athena", "Actor.EMAIL").name == "actor.email"
    assert ms.resolve("Test.App", "sigma", "Actor.EMAIL").name == "actor.email"
    assert isinstance(ms.resolve("Test.App", "sigma", "Actor.EMAILS"), Unmapped)


def test_json_subtree_is_open_and_keeps_key_case(ms):
    r = ms.resolve("Test.App", "athena", "extra.Some.Key")
    assert (r.name, r.column_type, r.steps) == ("extra", "json-string",
                                                (Step("Some", True), Step("Key", True)))


def test_indicator_union_and_log_type_constant(ms):
    r = ms.resolve("Test.App", "sigma", "p_any_emails")
    assert r.origin == "indicator" and [x.name for x in r.any_of] == ["actor.email"]
    assert isinstance(ms.resolve("Test.App", "sigma", "p_any_ip_addresses"), Unmapped)
    c = ms.resolve("Test.App", "splunk", "p_log_type")
    assert (c.column_type, c.constant) == ("constant", "Test.App")
    assert ms.resolve("Test.App", "athena", "p_log_type").name == "p_log_type"


def test_labels_key_is_the_dotted_path(ms):
    r = ms.resolve("Test.App", "chronicle", "extra.reason")
    assert (r.name, r.column_type, r.steps) == ("additional.fields", "labels", (Step("extra.reason"),))
    assert isinstance(ms.resolve("Test.App", "chronicle", ("extra", "list", 0)), Unmapped)
    assert isinstance(ms.resolve("Test.App", "chronicle", "ts"), Unmapped)  # no entry, no convention
    assert ms.resolve("Test.App", "chronicle", "score").origin == "convention"


def test_projection_of_the_styles(ms):
    from translator.mapping.project import project_event
    ev = {"ts": "2024-01-01T00:00:00Z", "actor": {"email": "a@x", "admin": "true"},
          "items": [{"name": "n1"}], "extra": {"reason": "r"}}
    row = project_event(ms, "Test.App", "sentinel", ev)
    assert row["actor_email_s"] == "a@x" and row["actor_admin_b"] is True
    assert row["items_s"] == '[{"name": "n1"}]' and row["Type"] == "TestApp_CL"
    ev2 = project_event(ms, "Test.App", "splunk", ev)
    assert ev2["data.items{}.name"] == ["n1"] and ev2["sourcetype"] == "test:app"
    udm = project_event(ms, "Test.App", "chronicle", ev)
    assert udm["principal"]["user"]["email_addresses"] == ["a@x"]
    assert udm["additional"]["fields"] == {"extra.reason": "r"}
