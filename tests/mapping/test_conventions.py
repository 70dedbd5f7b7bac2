"""UDM conventions (data-model concepts, field-name rules) and SummaryAttributes lookups."""
import pytest

from translator.mapping import MappingError, ResolvedField, Unmapped, load_mappings
from translator.mapping.conventions import parse_conventions
from translator.mapping.usage import FieldRef, coverage, resolve_ref, summary_path
from translator.model import Field, Rule

APP = """
log_type: Conv.App
schema:
  fields: {who.email: string, src: string, eventType: string, blob: json, widget.count: number}
udm: {source_ip: src}
targets:
  chronicle: {source: {log_type: CONV_APP}}
  sentinel: {source: {table: ConvApp_CL}, naming: columns}
"""


@pytest.fixture(scope="module")
def ms(tmp_path_factory):
    p = tmp_path_factory.mktemp("c") / "app.yaml"
    p.write_text(APP)
    return load_mappings([p])


def test_data_model_concept_gives_a_medium_confidence_home(ms):
    r = ms.resolve("Conv.App", "chronicle", "src")
    assert (r.name, r.type, r.origin, r.provenance.confidence) == ("principal.ip", "ip[]", "concept", "medium")


def test_field_name_rule_gives_a_low_confidence_home_with_a_note(ms):
    r = ms.resolve("Conv.App", "chronicle", "who.email")
    assert (r.name, r.origin, r.provenance.confidence) == (
        "principal.user.email_addresses", "convention", "low")
    assert "inferred from the field name" in r.note
    assert ms.resolve("Conv.App", "chronicle", "eventType").name == "metadata.product_event_type"


def test_no_inferred_home_for_typos_json_objects_or_unmatched_names(ms):
    for path in ("who.emial", "blob.email", "widget.count"):
        assert isinstance(ms.resolve("Conv.App", "chronicle", path), Unmapped), path


def test_an_object_without_a_column_is_the_composite_of_its_members(ms):
    r = ms.resolve("Conv.App", "chronicle", "who")
    assert (r.name, r.column_type, r.origin) == ("", "composite", "composite")
    assert [(rel, x.name) for rel, x in r.members] == [(("email",), "principal.user.email_addresses")]
    assert isinstance(ms.resolve("Conv.App", "chronicle", "widget"), Unmapped)  # no member maps
    real = load_mappings()
    ui = real.resolve("AWS.CloudTrail", "sentinel", "userIdentity")
    assert dict((rel, x.name) for rel, x in ui.members)[("arn",)] == "UserIdentityArn"
    assert "left out" in ui.note  # e.g. userIdentity.identityProvider has no column


def test_conventions_only_apply_to_their_target(ms):
    assert ms.resolve("Conv.App", "sentinel", "who.email").name == "who"  # DCR column


def test_user_conventions_replace_a_target_list(tmp_path):
    p = tmp_path / "conv.yaml"
    p.write_text("conventions:\n  chronicle:\n    names:\n      - {match: 'email$', name: about.user.email_addresses}\n")
    app = tmp_path / "app.yaml"
    app.write_text(APP)
    ms = load_mappings([app, p])
    assert ms.resolve("Conv.App", "chronicle", "who.email").name == "about.user.email_addresses"
    assert isinstance(ms.resolve("Conv.App", "chronicle", "src"), Unmapped)  # no concepts left


def test_bad_conventions_are_reported_with_file_and_key():
    with pytest.raises(MappingError, match=r"f.yaml: conventions.chronicle.names\[0\].match: bad regular"):
        parse_conventions({"chronicle": {"names": [{"match": "(", "name": "x"}]}}, "f.yaml")


def test_summary_attributes_paths_and_panther_lookup(ms):
    assert summary_path("actor:email") == ("actor", "email")
    assert summary_path("userIdentity.principalId") == ("userIdentity", "principalId")
    real = load_mappings()
    mis = FieldRef("r", ("AWS.CloudTrail",), ("sourceIpAddress",), origin="summary")
    assert resolve_ref(real, mis, "sentinel").name == "SourceIpAddress"
    # rule code reads a PantherEvent, whose keys are case-insensitive too
    in_detection = FieldRef("r", ("AWS.CloudTrail",), ("sourceIpAddress",), origin="detection")
    assert resolve_ref(real, in_detection, "sentinel").name == "SourceIpAddress"
    typo = FieldRef("r", ("AWS.CloudTrail",), ("sourceIpAdress",), origin="detection")
    assert isinstance(resolve_ref(real, typo, "sentinel"), Unmapped)
    by_udm = FieldRef("r", ("Conv.App",), ("source_ip",), origin="summary")
    assert resolve_ref(ms, by_udm, "chronicle").name == "principal.ip"


def test_coverage_counts_each_reference_once_per_target(ms):
    rule = Rule(id="R", log_types=("Conv.App",), summary_attributes=("who:email", "nope"),
                output_fields=(Field(("src",)),))
    from translator.mapping.usage import refs_of_rule
    refs = refs_of_rule(rule)
    cov = coverage(ms, refs, ["chronicle", "sentinel"])
    assert (cov["chronicle"].mapped, cov["chronicle"].total) == (2, 3)
    assert list(cov["chronicle"].unmapped) == ["Conv.App: nope"]
    assert isinstance(resolve_ref(ms, refs[0], "chronicle"), ResolvedField)
