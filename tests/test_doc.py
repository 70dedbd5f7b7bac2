"""`rulec doc`: the seed rule's page matches the seed catalog page section by section, for a
rule set whose counts are known (our rules/); the site has an index and a Navigator layer."""
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from translator.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "tests/fixtures/seed_catalog_page.txt").read_text()
SEED_ID = "AWS.EC2.SecurityGroupModified"


def seed_section(title: str, nxt: str) -> list[str]:
    body = SEED.split(title + "\n", 1)[1].split("\n" + nxt, 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip()]


def md_section(page: str, title: str) -> list[str]:
    body = page.split(title + "\n", 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0]
    return [line.strip() for line in body.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    res = CliRunner().invoke(main, ["doc", str(ROOT / "rules"), "--format", "md", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def table_rows(lines):
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines
            if line.startswith("|") and not line.startswith("|---")][1:]


def test_seed_page_sections(site):
    page = (site / f"{SEED_ID}.md").read_text()
    # MITRE ATT&CK coverage: tactic and technique names resolved offline
    assert table_rows(md_section(page, "## MITRE ATT&CK coverage")) == [["Stealth", "T1562 Impair Defenses"]]
    assert "| Stealth | T1562 Impair Defenses |" in seed_section("MITRE ATT&CK coverage", "Rules detecting")
    # Rule body: the seed page's YAML, line for line (the page lost indentation and quotes
    # nothing differently but CIS "3.10", which our copy quotes so YAML keeps it text)
    body = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    seed_yaml = SEED.split("Rule body yaml\n", 1)[1].split("\nDetection logic", 1)[0]
    # (and its JSON logs break lines elsewhere): compare the text without whitespace.
    # YAML flow collections may end with a comma: equivalent, so dropped for the comparison.
    norm = lambda text: "".join(text.replace('"3.10"', "3.10").split()).replace(",}", "}").replace(",]", "]")
    assert norm(body) == norm(seed_yaml)
    assert yaml.safe_load(body)["RuleID"] == SEED_ID
    # Detection logic: exactly the seed's condition lines
    cond = page.split("### Condition\n\n```\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert cond == seed_section("Condition", "Exclusions")
    # Exclusions and indicators
    excl = table_rows(md_section(page, "## Exclusions"))
    assert [r[:2] for r in excl] == [["errorCode", "is_not_null"], ["errorMessage", "is_not_null"]]
    ind = table_rows(md_section(page, "## Indicators"))
    assert [r[:2] for r in ind] == [["eventName", "in"]]
    assert ind[0][2].count('"') == 12  # the six API calls
    # Output fields: exactly the seed's list, in order
    ours_out = [r[0] for r in table_rows(md_section(page, "## Output fields"))]
    theirs_out = [l.strip("| ") for l in SEED.split("| Field |\n|---|\n", 1)[1].splitlines() if l.strip()]
    assert ours_out == theirs_out


def test_same_action_and_corpus_counts(site):
    page = (site / f"{SEED_ID}.md").read_text()
    same = md_section(page, "## Rules detecting the same action")
    # our rule set holds two other rules filtering on AuthorizeSecurityGroupIngress
    assert "- [AWS.EC2.SSHOpenToWorld](AWS.EC2.SSHOpenToWorld.md)" in same
    ind = table_rows(md_section(page, "## Indicators"))
    assert '"AuthorizeSecurityGroupIngress": ' in ind[0][3]


def test_index_and_navigator_layer(site):
    index = (site / "index.md").read_text()
    assert "| Stealth |" in index and "T1562 Impair Defenses" in index
    assert "## Rules by log type" in index and "### AWS.CloudTrail" in index
    layer = json.loads((site / "attack_navigator_layer.json").read_text())
    assert layer["domain"] == "enterprise-attack"
    assert {"techniqueID": "T1562"}.items() <= next(t for t in layer["techniques"] if t["techniqueID"] == "T1562").items()

