"""The one bundled ATT&CK table gives every target its own spelling of a tactic."""
from translator.mitre import sentinel_tactic, tactic_name, tactic_shortname, technique_name


def test_each_target_spelling_of_a_tactic_comes_from_the_bundled_table():
    assert tactic_shortname("TA0011") == "command-and-control"      # SigmaHQ tags
    assert sentinel_tactic("TA0011") == "CommandAndControl"          # Sentinel analytic rules
    assert sentinel_tactic("TA0005") == "DefenseEvasion"
    assert tactic_name("TA0001") == "Initial Access"                 # catalog pages
    assert technique_name("T1562") == "Impair Defenses"


def test_an_unknown_tactic_is_none_never_guessed():
    assert tactic_shortname("TA9999") is None and sentinel_tactic("TA9999") is None
    assert tactic_name("TA9999") == "TA9999" and technique_name("T0000") == ""
