"""Rule YAML scalars are read as panther_analysis_tool reads them (YAML 1.2 semantics)."""
from translator.frontends.panther_yaml import read_yaml


def test_yaml12_scalars(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text("a: off\nb: On\nc: yes\nd: true\ne: FALSE\nf: 0644\ng: 1:30:00\n"
                    "h: 2023-05-23 20:47:51.149\ni: 0x1F\nj: -12\nk: 1_000\nl: 2024-01-02\n")
    doc, _ = read_yaml(path)
    assert doc == {"a": "off", "b": "On", "c": "yes", "d": True, "e": False, "f": 644,
                   "g": "1:30:00", "h": "2023-05-23 20:47:51.149", "i": 31, "j": -12, "k": 1000,
                   "l": "2024-01-02"}
    assert type(doc["d"]) is bool and type(doc["f"]) is int
