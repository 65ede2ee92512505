"""Every message catalogue of the project (each package's messages.yaml): every code in Chinese
and in English, with the same fields to fill in, so no language misses a value or shows a raw {x}."""

import string
from pathlib import Path

import pytest

from mnss_foundation import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "mnss_kernel.canvas": "mnss_kernel/canvas",
    "mnss_hub.workbench": "hub/mnss_hub/workbench",
    "mnss_hub.people": "hub/mnss_hub/people",
    "mnss_hub.portal": "hub/mnss_hub/portal",
    "mnss_activity": "extensions/mnss_activity",
    "mnss_recommender": "recommender/mnss_recommender",
}
FOUND = sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.glob("**/messages.yaml") if ".venv" not in p.parts)


def test_every_catalogue_file_is_listed_here():
    assert FOUND == sorted(PACKAGES.values())


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_code_has_both_languages_with_the_same_fields(package):
    sections = i18n.load(package)  # refuses a code without both languages
    assert sections
    for name, catalogue in sections.items():
        assert catalogue.codes(), name
        for code, (zh, en) in catalogue.pairs().items():
            assert zh.strip() and en.strip(), f"{package}:{name}:{code}"
            assert fields_of(zh) == fields_of(en), f"{package}:{name}:{code}"
