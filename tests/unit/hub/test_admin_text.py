"""The catalogue that translates JupyterHub's admin page follows the installed bundle: a JupyterHub
upgrade that renames a label fails here instead of leaving English on a Chinese page."""

import json
import re
import sys
from pathlib import Path

from mnss_hub.apply import TEMPLATES

CATALOGUE = json.loads((TEMPLATES / "admin-text.json").read_text("utf-8"))
BUNDLE = (Path(sys.prefix) / "share" / "jupyterhub" / "static" / "js" / "admin-react.js").read_text("utf-8")


def pieces(english: str) -> list[str]:
    """The literals the bundle joins into `english`: "Failed to create user. User already exists."
    is two; "Failed to stop server." is "Failed to " and the action's name."""
    if english.startswith("Failed to ") and english.count(" ") == 3:
        return ["Failed to ", english.removeprefix("Failed to ").split()[0].capitalize()]
    return [p if p.endswith(".") or p == parts[-1] else p + "." for parts in [english.split(". ")] for p in parts]


def test_every_label_is_in_the_bundle_and_has_chinese():
    for english, entry in CATALOGUE["exact"].items():
        assert entry["zh"] and re.search(r"[\u4e00-\u9fff]", entry["zh"]), english
        missing = [p for p in pieces(english) if p not in BUNDLE]
        assert missing == [], f"{english!r}: {missing} not in JupyterHub's admin bundle"


def test_patterns_compile_and_their_text_is_chinese():
    for pattern in CATALOGUE["patterns"]:
        groups = re.compile(pattern["en"]).groups
        assert all(f"${i}" in pattern["zh"] for i in range(1, groups + 1)), pattern
        assert re.search(r"[\u4e00-\u9fff]", pattern["zh"]), pattern
