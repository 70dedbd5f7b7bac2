"""Mapping files: validation errors name file and key; user files override and extend."""
import pytest

from translator.mapping import MappingError, ResolvedField, Unmapped, load_mappings
from translator.mapping.loader import parse_file


def write(tmp_path, text, name="user.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_mappings_load_and_have_all_targets_for_cloudtrail():
    ms = load_mappings()
    for target in ("sentinel", "splunk", "chronicle", "athena", "athena:aws", "sigma"):
        assert ms.source("AWS.CloudTrail", target).attrs, target
    assert ms.source("AWS.CloudTrail", "sentinel").get("table") == "AWSCloudTrail"
    assert ms.source("AWS.CloudTrail", "athena", "aws").get("table") == "cloudtrail_logs"
    assert ms.source("AWS.CloudTrail", "chronicle").get("log_type") == "AWS_CLOUDTRAIL"


@pytest.mark.parametrize("text, expected", [
    ("log_type: X\nbogus: 1\n", "unknown top-level key(s) bogus"),
    ("targets: {}\n", "log_type: missing"),
    ("log_type: X\ntargets: {kusto: {}}\n", "targets.kusto: unknown target 'kusto'"),
    ("log_type: X\ntargets: {sentinel: {fields: {a: {name: A, type: strang}}}}\n",
     "targets.sentinel.fields.a.type: unknown type 'strang'"),
    ("log_type: X\ntargets: {sentinel: {fields: {a: {nam: A}}}}\n", "targets.sentinel.fields.a: must be"),
    ("log_type: X\ntargets: {sentinel: {naming: camel}}\n", "targets.sentinel.naming: 'camel'"),
    ("log_type: X\nschema: {fields: {a: widget}}\n", "schema.fields.a: unknown type 'widget'"),
    ("log_type: X\ntargets: {sentinel: {confidence: sure}}\n", "confidence: 'sure'"),
    ("log_type: X\nschema: {fields: {a: {type: string}}}\n", "schema.fields.a: a field with its own"),
    ("log_type: X\nschema: {fields: {a: {type: string, source: u, confidence: sure}}}\n",
     "schema.fields.a.confidence: 'sure'"),
    ("log_type: [\n", "not valid YAML"),
])
def test_invalid_files_name_file_and_key(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(MappingError) as exc:
        parse_file(p)
    assert str(p) in str(exc.value)
    assert expected in str(exc.value)


def test_missing_source_key_is_reported_after_merge(tmp_path):
    p = write(tmp_path, "log_type: New.Type\ntargets: {sentinel: {fields: {a: A}}}\n")
    with pytest.raises(MappingError, match=r"user.yaml: targets.sentinel.source: missing table"):
        load_mappings([p])


def test_user_file_overrides_entry_and_retargets_table(tmp_path):
    p = write(tmp_path, """
log_type: AWS.CloudTrail
targets:
  sentinel:
    source: {table: MyCloudTrail_CL}
    fields:
      eventName: {name: EventName_s, provenance: "my workspace"}
""")
    ms = load_mappings([p])
    assert ms.source("AWS.CloudTrail", "sentinel").get("table") == "MyCloudTrail_CL"
    r = ms.resolve("AWS.CloudTrail", "sentinel", "eventName")
    assert r.name == "EventName_s" and r.provenance.source == "my workspace"
    # entries the user did not touch stay as shipped
    assert ms.resolve("AWS.CloudTrail", "sentinel", "userIdentity.arn").name == "UserIdentityArn"
    # the shipped set is unchanged
    assert load_mappings().resolve("AWS.CloudTrail", "sentinel", "eventName").name == "EventName"


def test_later_user_file_wins(tmp_path):
    a = write(tmp_path, "log_type: AWS.CloudTrail\ntargets: {sentinel: {fields: {eventName: A}}}\n", "a.yaml")
    b = write(tmp_path, "log_type: AWS.CloudTrail\ntargets: {sentinel: {fields: {eventName: B}}}\n", "b.yaml")
    assert load_mappings([a, b]).resolve("AWS.CloudTrail", "sentinel", "eventName").name == "B"
    assert load_mappings([b, a]).resolve("AWS.CloudTrail", "sentinel", "eventName").name == "A"


def test_user_adds_a_log_type(tmp_path):
    p = write(tmp_path, """
log_type: Custom.App
schema: {fields: {user: string, detail: json}}
targets:
  splunk: {source: {sourcetype: "custom:app"}, naming: flat}
  sentinel:
    source: {table: CustomApp_CL}
    fields: {user: user_s, detail: {name: detail_s, type: json-string}}
""")
    ms = load_mappings([p])
    assert "Custom.App" in ms.log_types
    assert ms.resolve("Custom.App", "splunk", "detail.a").name == "detail.a"
    r = ms.resolve("Custom.App", "sentinel", "detail.a")
    assert (r.name, r.column_type, [s.key for s in r.steps]) == ("detail_s", "json-string", ["a"])
    # standard fields come along for a new log type
    assert ms.resolve("Custom.App", "sentinel", "p_event_time").name == "TimeGenerated"
    assert isinstance(ms.resolve("Custom.App", "chronicle", "user"), Unmapped)


def test_unknown_target_and_log_type():
    ms = load_mappings()
    with pytest.raises(MappingError, match="unknown target 'kql'"):
        ms.resolve("AWS.CloudTrail", "kql", "eventName")
    with pytest.raises(MappingError, match="Nope.Type .unknown log type.: no sentinel source"):
        ms.source("Nope.Type", "sentinel")
    r = ms.resolve("Nope.Type", "sentinel", "a")
    assert isinstance(r, Unmapped) and r.reason == "unknown log type"
    assert isinstance(ms.resolve("AWS.CloudTrail", "sentinel", "eventName"), ResolvedField)


def test_schema_field_with_its_own_source_caps_the_confidence(tmp_path):
    p = write(tmp_path, """
log_type: Own.App
schema:
  provenance: {source: https://vendor.example/schema, confidence: high}
  fields:
    known: string
    helper_read: {type: object, source: https://example.org/helper.py, confidence: low}
targets:
  sigma:
    source: {product: own}
    provenance: {source: https://example.org/sigma, confidence: high}
    naming: dotted
""")
    ms = load_mappings([p])
    known = ms.resolve("Own.App", "sigma", "known")
    assert known.provenance.confidence == "high" and known.note == ""
    below = ms.resolve("Own.App", "sigma", "helper_read.x")
    assert below.name == "helper_read.x" and below.provenance.confidence == "low"
    assert "https://example.org/helper.py" in below.note
