"""Resolution of Panther paths per target: explicit, nested, arrays, JSON strings, fallbacks."""
import pytest

from translator.mapping import EACH, MappingError, ResolvedField, Step, Unmapped, Warnings, load_mappings
from translator.model import Field

CT = "AWS.CloudTrail"


@pytest.fixture(scope="module")
def ms():
    return load_mappings()


def test_sentinel_flat_columns_and_json_string_below(ms):
    r = ms.resolve(CT, "sentinel", ("userIdentity", "arn"))
    assert (r.name, r.type, r.steps, r.origin) == ("UserIdentityArn", "string", (), "explicit")
    r = ms.resolve(CT, "sentinel", ("requestParameters", "ipPermissions", "items", 0, "cidrIp"))
    assert r.name == "RequestParameters" and r.column_type == "json-string"
    assert r.steps == (Step("ipPermissions", True), Step("items", True), Step(0, True),
                       Step("cidrIp", True))
    assert r.provenance.source.startswith("https://learn.microsoft.com")


def test_scalar_column_has_nothing_below(ms):
    r = ms.resolve(CT, "sentinel", ("eventName", "x"))
    assert isinstance(r, Unmapped) and "no fields below it" in r.reason


def test_athena_data_lake_structs_arrays_and_json(ms):
    r = ms.resolve(CT, "athena", "userIdentity.sessionContext.sessionIssuer.userName")
    assert (r.name, r.steps) == ("useridentity.sessioncontext.sessionissuer.username", ())
    r = ms.resolve(CT, "athena", "requestParameters.bucketName")
    assert (r.name, r.column_type, r.steps) == ("requestparameters", "json-string",
                                                (Step("bucketName", True),))
    r = ms.resolve(CT, "athena", ("resources", EACH, "arn"))
    assert (r.name, r.column_type, r.steps) == ("resources", "array", (Step(EACH), Step("arn")))
    assert ms.resolve(CT, "athena", "p_any_aws_arns").type == "string[]"


def test_athena_aws_table_variant(ms):
    r = ms.resolve(CT, "athena:aws", "p_event_time")
    assert (r.name, r.type) == ("eventtime", "string")
    assert ms.resolve(CT, "athena", "p_event_time", variant="aws") == r
    assert isinstance(ms.resolve(CT, "athena:aws", "p_row_id"), Unmapped)


def test_indicator_fields_become_a_union_where_the_target_lacks_them(ms):
    r = ms.resolve(CT, "sentinel", "p_any_aws_arns")
    assert r.origin == "indicator" and r.provenance.confidence == "low" and r.name == ""
    assert [x.name for x in r.any_of] == ["UserIdentityArn", "SessionIssuerArn", "Resources"]
    assert "free-form JSON" in r.note
    assert ms.resolve(CT, "athena", "p_any_aws_arns").name == "p_any_aws_arns"  # a real column


def test_splunk_flat_multivalue_names(ms):
    r = ms.resolve(CT, "splunk", ("requestParameters", "ipPermissions", "items", EACH, "cidrIp"))
    assert (r.name, r.array_steps) == ("requestParameters.ipPermissions.items{}.cidrIp", (EACH,))
    r = ms.resolve(CT, "splunk", ("resources", 0, "arn"))
    assert (r.name, r.array_steps) == ("resources{}.arn", (0,))
    assert ms.resolve(CT, "splunk", "p_event_time").name == "_time"


def test_sigma_dotted_names_without_index(ms):
    assert ms.resolve(CT, "sigma", "requestParameters.roleArn").name == "requestParameters.roleArn"
    assert ms.resolve(CT, "sigma", ("resources", EACH, "arn")).name == "resources.arn"
    r = ms.resolve(CT, "sigma", ("resources", 0, "arn"))
    assert isinstance(r, Unmapped) and "array index" in r.reason


def test_chronicle_udm_fields_and_labels(ms):
    assert ms.resolve(CT, "chronicle", "eventName").name == "metadata.product_event_type"
    r = ms.resolve(CT, "chronicle", "sourceIPAddress")
    assert (r.name, r.type) == ("principal.ip", "ip[]")
    r = ms.resolve(CT, "chronicle", "requestParameters.roleArn")
    assert (r.name, r.column_type, r.steps) == (
        "target.resource.attribute.labels", "labels", (Step("requestParameters.roleArn"),))
    r = ms.resolve(CT, "chronicle", "errorCode.x")
    assert isinstance(r, Unmapped)


def test_unmapped_fallback_and_strict(ms):
    r = ms.resolve(CT, "chronicle", "vpcEndpointId")
    assert isinstance(r, Unmapped) and not r
    assert r.fallback.name == 'additional.fields["vpcEndpointId"]' and r.fallback.is_fallback
    assert "vpcEndpointId" in r.message and "chronicle" in r.message
    warnings = Warnings()
    got = ms.resolve_strict(CT, "chronicle", "vpcEndpointId", warnings=warnings)
    assert got == r.fallback and warnings.items == [r.message]
    with pytest.raises(MappingError, match="vpcEndpointId"):
        ms.resolve_strict(CT, "chronicle", "vpcEndpointId", strict=True)
    assert ms.resolve(CT, "athena", "notAField").kind == "not-in-schema"
    assert ms.resolve(CT, "splunk", "p_any_actor_ids").kind == "absent"
    assert ms.resolve(CT, "sigma", ("resources", 0, "arn")).kind == "style"
    assert r.kind == "no-entry"


def test_resolve_model_fields_udm_and_elements(ms):
    f = Field(("userIdentity", "type"))
    assert ms.resolve_field(CT, "sentinel", f).name == "UserIdentityType"
    assert ms.resolve_field(CT, "sentinel", Field((), udm="user_agent")).name == "UserAgent"
    assert isinstance(ms.resolve_field(CT, "sentinel", Field((), udm="nope")), Unmapped)
    el = Field(("arn",), root="element")
    r = ms.resolve_field(CT, "splunk", el, element_of=("resources",))
    assert r.name == "resources{}.arn"
    with pytest.raises(ValueError):
        ms.resolve_field(CT, "splunk", el)


def test_dotted_text_and_tuple_paths_agree(ms):
    assert ms.resolve(CT, "athena", "resources[0].arn") == ms.resolve(CT, "athena", ("resources", 0, "arn"))


def test_columns_of_a_table(ms):
    cols = ms.table_columns(CT, "sentinel")
    assert cols["RequestParameters"] == "json-string" and cols["EventName"] == "string"
    assert cols["SessionMfaAuthenticated"] == "bool" and cols["TimeGenerated"] == "timestamp"
    lake = ms.table_columns(CT, "athena")
    assert lake["requestparameters"] == "json-string" and lake["useridentity.arn"] == "string"
    assert lake["p_event_time"] == "timestamp" and "p_event_time" not in ms.table_columns(CT, "athena:aws")
    assert ms.table_columns("No.Such", "sentinel") == {}


def test_keys_match_case_insensitively_like_panther_event(ms):
    """PantherEvent finds ``eventtype`` under ``eventType`` (at every level), so every target
    resolves a differently-cased path to the schema's spelling; a typo stays unmapped."""
    for target in ("sentinel", "splunk", "chronicle", "sigma"):
        exact = ms.resolve(CT, target, "userIdentity.arn")
        folded = ms.resolve(CT, target, "useridentity.ARN")
        assert isinstance(folded, ResolvedField) and folded.name == exact.name
    assert ms.resolve(CT, "sentinel", "eventname").name == "EventName"
    assert ms.resolve(CT, "sentinel", "userIdenity.arn").kind == "not-in-schema"


def test_free_form_object_spreads_over_the_columns_a_table_lists(ms):
    """Okta_CL has one column per known debugData key: the free-form object (and its parent,
    spelled in any case) resolves to those columns, noted as holding only the listed keys."""
    for path in ("debugContext.debugData", "debugcontext"):
        r = ms.resolve("Okta.SystemLog", "sentinel", path)
        assert r.column_type == "composite" and "free-form" in r.note
        names = {x.name for _, x in r.members}
        assert "debugContext_debugData_requestUri_s" in names
    r = ms.resolve("Okta.SystemLog", "sentinel", "debugContext.debugData.requestUri")
    assert r.name == "debugContext_debugData_requestUri_s"
