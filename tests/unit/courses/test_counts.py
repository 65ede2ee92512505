"""The README's course tables are what the course and experiment files say (mnss_courses.counts)."""

from pathlib import Path

import yaml

from mnss_courses import bundle, counts
from mnss_foundation import schemadoc
from mnss_kernel.cli import main

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_counts_are_current():
    """Adding a course, tutorial, assignment or experiment without `mnss course counts --readme
    README.md` fails here."""
    expected = counts.table(bundle.load_catalog(ROOT / "courses"))
    assert schemadoc.generated_section(ROOT / "README.md", counts.SECTION) == expected


def test_a_new_tutorial_changes_its_category_and_course_rows(tmp_path):
    catalog = bundle.load_catalog(ROOT / "courses")
    before = counts.table(catalog)
    lan = catalog["hospital-lan"]
    lan.meta["tutorials"] = [*lan.meta["tutorials"], {"id": "x", "title": {"zh": "x", "en": "x"}}]
    after = counts.table(catalog)
    networks = [line for line in after.splitlines() if line.startswith("| networks |")]
    was = [line for line in before.splitlines() if line.startswith("| networks |")]
    assert int(networks[0].split("|")[3]) == int(was[0].split("|")[3]) + 1
    assert "Hospital LAN basics | networks | beginner | 6 | 2 |" in after


def test_counts_writes_only_its_section_and_refuses_a_file_without_it(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Site\n\n<!-- course-counts:start -->\nold\n<!-- course-counts:end -->\n\nafter\n", "utf-8")
    assert main(["course", "counts", "--courses", str(ROOT / "courses"), "--readme", str(readme)]) == 0
    text = readme.read_text("utf-8")
    # the placeholder line is gone (a course title may well contain "old", as "thresholds" does)
    assert text.startswith("# Site\n\n") and text.endswith("\n\nafter\n") and "\nold\n" not in text
    assert "| **all** | **" in text and "Research experiment catalogue: **" in text

    bare = tmp_path / "OTHER.md"
    bare.write_text("no section\n", "utf-8")
    assert main(["course", "counts", "--courses", str(ROOT / "courses"), "--readme", str(bare)]) == 2
    assert "has no <!-- course-counts:start -->" in capsys.readouterr().err
    assert bare.read_text("utf-8") == "no section\n"  # nothing half-written


def test_every_category_of_the_schema_has_a_row():
    schema = yaml.safe_load((ROOT / "hub/mnss_courses/course.schema.json").read_text("utf-8"))
    assert tuple(schema["properties"]["category"]["enum"]) == counts.CATEGORIES
