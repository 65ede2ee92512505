"""Catalogues for translated pages are checked when loaded, and the script tag cannot be closed
early by text in the catalogue."""

import json
import re

import pytest

from mnss_foundation import page_translation
from mnss_foundation.page_translation import CatalogueError


def write(tmp_path, catalogue: dict):
    path = tmp_path / "text.json"
    path.write_text(json.dumps(catalogue, ensure_ascii=False), "utf-8")
    return path


def test_a_sound_catalogue_loads(tmp_path):
    catalogue = {"exact": {"Back": {"zh": "返回"}}, "patterns": [{"en": "^(\\d+) days ago$", "zh": "$1 天前"}]}
    assert page_translation.load(write(tmp_path, catalogue)) == catalogue


@pytest.mark.parametrize(
    "catalogue, named",
    [
        ({"exact": {"Back": {"zh": "Back"}}, "patterns": []}, "'Back' has no Chinese"),
        (
            {"exact": {}, "patterns": [{"en": "^(\\d+) of (\\d+)$", "zh": "共 $2"}]},
            "lacks Chinese text or one of its groups",
        ),
        ({"exact": {}, "patterns": [{"en": "^(\\d+ days$", "zh": "$1 天"}]}, "missing ), unterminated subpattern"),
    ],
)
def test_a_bad_catalogue_is_refused_naming_the_entry(tmp_path, catalogue, named):
    with pytest.raises(CatalogueError, match=re.escape(named)):
        page_translation.load(write(tmp_path, catalogue))


def test_the_script_tag_holds_the_catalogue_and_cannot_be_closed_by_it():
    tag = page_translation.script_tag({"exact": {"</script><b>": {"zh": "坏"}}, "patterns": []}, "#root")
    assert tag.count("</script>") == 1 and tag.endswith("</script>")
    assert 'mnssTranslatePage(document.querySelector("#root")' in tag
