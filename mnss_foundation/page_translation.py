"""Pages MNSS serves but does not write (JupyterHub's admin page, nbgrader's formgrader) are
translated in the browser from a catalogue of their English text (page_translation.js).

A catalogue is JSON: `exact` maps a trimmed English text to `{"zh": ..., "en": ...}` ("en" only
where the stock English misleads on this platform), `patterns` are `{"en": regexp, "zh":
replacement}` for text built from numbers and names, `skip` is a CSS selector whose text is
never translated (a learner's notebook, or an element whose text the page's own script reads),
and `css` restyles such an element for Chinese readers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mnss_foundation.i18n import CJK

SCRIPT = (Path(__file__).parent / "page_translation.js").read_text("utf-8")


class CatalogueError(ValueError):
    """A catalogue that would leave English on a Chinese page or break the page's script."""


def load(path: Path) -> dict:
    """The catalogue at `path`, checked: every entry has Chinese, every pattern compiles in the
    subset JavaScript shares with Python and uses only groups it has."""
    catalogue = json.loads(path.read_text("utf-8"))
    for english, entry in catalogue["exact"].items():
        if not CJK.search(entry.get("zh", "")):
            raise CatalogueError(f"{path.name}: {english!r} has no Chinese text")
    for pattern in catalogue["patterns"]:
        try:
            groups = re.compile(pattern["en"]).groups
        except re.error as err:
            raise CatalogueError(f"{path.name}: pattern {pattern['en']!r}: {err}") from None
        if not CJK.search(pattern["zh"]) or any(f"${i}" not in pattern["zh"] for i in range(1, groups + 1)):
            raise CatalogueError(f"{path.name}: pattern {pattern['en']!r} lacks Chinese text or one of its groups")
    return catalogue


def script_tag(catalogue: dict, root_selector: str) -> str:
    """One inline <script> that translates the element `root_selector` names (and what is added
    to it later) with `catalogue`."""
    data = json.dumps(catalogue, ensure_ascii=False).replace("</", "<\\/")
    style = f"<style>{catalogue['css']}</style>" if "</" not in catalogue.get("css", "</") else ""
    return (
        f"{style}<script>{SCRIPT}\n"
        f"window.mnssTranslatePage(document.querySelector({json.dumps(root_selector)}), {data});</script>"
    )
