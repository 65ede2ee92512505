"""Every message catalogue of the project (each package's messages.yaml): every code in Chinese
and in English, with the same fields to fill in, so no language misses a value or shows a raw {x}."""

import string
from pathlib import Path

import pytest

from mnss_foundation import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("hub/", "extensions/", "recommender/")  # hold packages, are not one


def package_of(catalogue: Path) -> str:
    """mnss_kernel/canvas/messages.yaml -> mnss_kernel.canvas (hub/mnss_hub/... -> mnss_hub...)."""
    folder = str(catalogue.parent.relative_to(ROOT))
    for prefix in SOURCE_FOLDERS:
        folder = folder.removeprefix(prefix)
    return folder.replace("/", ".")


PACKAGES = sorted(
    package_of(p) for p in ROOT.glob("**/messages.yaml") if not {".venv", "node_modules", "tests"} & set(p.parts)
)


def test_the_catalogues_are_found():
    assert {"mnss_kernel.canvas", "mnss_hub.people", "mnss_activity", "mnss_recommender"} <= set(PACKAGES)


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_code_has_both_languages_with_the_same_fields(package):
    sections = i18n.load(package)  # refuses a code without both languages
    assert sections
    for name, catalogue in sections.items():
        assert catalogue.codes(), name
        for code, (zh, en) in catalogue.pairs().items():
            assert zh.strip() and en.strip(), f"{package}:{name}:{code}"
            assert fields_of(zh) == fields_of(en), f"{package}:{name}:{code}"
