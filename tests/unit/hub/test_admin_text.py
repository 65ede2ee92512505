"""The catalogue that translates JupyterHub's admin page follows the installed bundle: a JupyterHub
upgrade that renames a label fails here instead of leaving English on a Chinese page."""

import sys
from pathlib import Path

from mnss_foundation import page_translation
from mnss_hub.apply import TEMPLATES

CATALOGUE = page_translation.load(TEMPLATES / "admin-text.json")  # checked: Chinese everywhere, sound patterns
BUNDLE = (Path(sys.prefix) / "share" / "jupyterhub" / "static" / "js" / "admin-react.js").read_text("utf-8")


def pieces(english: str) -> list[str]:
    """The literals the bundle joins into `english`: "Failed to create user. User already exists."
    is two; "Failed to stop server." is "Failed to " and the action's name."""
    if english.startswith("Failed to ") and english.count(" ") == 3:
        return ["Failed to ", english.removeprefix("Failed to ").split()[0].capitalize()]
    return [p if p.endswith(".") or p == parts[-1] else p + "." for parts in [english.split(". ")] for p in parts]


def test_every_label_is_in_the_bundle():
    for english in CATALOGUE["exact"]:
        missing = [p for p in pieces(english) if p not in BUNDLE]
        assert missing == [], f"{english!r}: {missing} not in JupyterHub's admin bundle"
