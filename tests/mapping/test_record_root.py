"""``record_root``: a target that stores one Panther key's object as the record itself
(Auth0's Sentinel connector sends each log's ``data`` object, per Azure-Sentinel's parser)."""
import pytest

from translator.mapping import MappingError, ResolvedField, Unmapped, load_mappings
from translator.mapping.loader import parse_file

MS = load_mappings()


def test_names_are_spelled_from_below_the_record_root():
    r = MS.resolve("Auth0.Events", "sentinel", ("data", "type"))
    assert isinstance(r, ResolvedField) and r.name == "type_s"
    assert MS.resolve("Auth0.Events", "sentinel", ("data", "isMobile")).name == "isMobile_b"
    # the parser's typed free-form values
    code = MS.resolve("Auth0.Events", "sentinel", ("data", "details", "response", "statusCode"))
    assert (code.name, code.type) == ("details_response_statusCode_d", "number")


def test_outside_or_at_the_root_there_is_no_column():
    outside = MS.resolve("Auth0.Events", "sentinel", ("log_id",))
    assert isinstance(outside, Unmapped) and "only what is under 'data'" in outside.reason
    whole = MS.resolve("Auth0.Events", "sentinel", ("data",))
    assert not isinstance(whole, ResolvedField) or whole.name != "data_s"


def test_other_targets_keep_the_full_path():
    assert MS.resolve("Auth0.Events", "sigma", ("data", "type")).name == "data.type"


def test_a_dotted_record_root_names_the_file(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("log_type: X.Y\nschema: {fields: {a: string}}\n"
                   "targets: {sigma: {naming: dotted, record_root: a.b}}\n")
    with pytest.raises(MappingError, match=r"x.yaml.*record_root: must be one top-level key"):
        parse_file(bad)
