"""course.yaml and the course folder: every problem named with its file and key."""

import pytest
import yaml

from mnss_courses import bundle
from mnss_courses.authoring import AssignmentNotebook
from mnss_courses.bundle import CourseError

GOOD = {
    "id": "net-a",
    "title": {"zh": "网络", "en": "Networks"},
    "category": "networks",
    "level": "beginner",
    "assignments": [{"id": "one", "title": {"zh": "一", "en": "One"}}],
}


def make(tmp_path, meta, notebooks=("one",), name=None):
    root = tmp_path / (name or meta.get("id", "x"))
    root.mkdir(parents=True)
    (root / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    for aid in notebooks:
        AssignmentNotebook().text("hi").save(root / "source" / aid / f"{aid}.ipynb")
    return root


def problems(root):
    with pytest.raises(CourseError) as info:
        bundle.load(root)
    return info.value.problems


def test_good_course_loads(tmp_path):
    course = bundle.load(make(tmp_path, GOOD))
    assert course.id == "net-a" and course.assignment_ids == ["one"] and course.title("en") == "Networks"


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"category": "cooking"},
            "category: 'cooking' is not allowed; allowed values: systems, networks, programming, data, ai",
        ),
        ({"title": {"zh": "网络"}}, "title: missing required key 'en'"),
        ({"levle": "beginner"}, "levle: unknown key (did you mean 'level'?)"),
        ({"minutes": 2}, "minutes: 2 is out of range; must be >= 5"),
        ({"assignments": []}, "assignments: needs at least 1 item(s)"),
    ],
)
def test_metadata_errors_name_file_and_key(tmp_path, change, expected):
    root = make(tmp_path, GOOD | change)
    found = problems(root)
    assert any(str(root / "course.yaml") in p and expected in p for p in found), found


def test_course_minutes_are_the_sum_of_its_parts(tmp_path):
    parts = {"tutorials": [], "assignments": [{"id": "one", "title": {"zh": "一", "en": "One"}, "minutes": 40}]}
    assert any(
        "minutes: 60, but its tutorials and assignments take 40 minutes" in p
        for p in problems(make(tmp_path / "a", GOOD | parts | {"minutes": 60}))
    )
    assert bundle.load(make(tmp_path / "b", GOOD | parts | {"minutes": 40})).meta["minutes"] == 40


def test_folder_checks(tmp_path):
    meta = GOOD | {
        "assignments": [
            {"id": "one", "title": {"zh": "一", "en": "One"}, "prerequisites": ["zero"]},
            {"id": "two", "title": {"zh": "二", "en": "Two"}},
        ],
        "tutorials": [{"id": "intro", "title": {"zh": "入门", "en": "Intro"}, "file": "tutorials/intro.md"}],
    }
    root = make(tmp_path, meta, notebooks=("one", "stray"))
    found = "\n".join(problems(root))
    assert "assignments: 'two' has no notebooks" in found
    assert "prerequisite 'zero' is not an assignment of this course" in found
    assert "source/stray is not listed under assignments" in found
    assert "tutorials: 'intro' file tutorials/intro.md does not exist" in found


def test_id_must_match_folder(tmp_path):
    root = make(tmp_path, GOOD, name="other-name")
    assert any("must equal the folder name 'other-name'" in p for p in problems(root))


def test_catalog_prerequisites_and_cycles(tmp_path):
    make(tmp_path, GOOD | {"id": "a-course", "prerequisites": ["b-course"]})
    make(tmp_path, GOOD | {"id": "b-course", "prerequisites": ["a-course/one"]})
    with pytest.raises(CourseError, match="prerequisites form a cycle"):
        bundle.load_catalog(tmp_path)
    make(tmp_path, GOOD | {"id": "c-course", "prerequisites": ["nope", "a-course/missing"]})
    with pytest.raises(CourseError) as info:
        bundle.load_catalog(tmp_path)
    text = "\n".join(info.value.problems)
    assert "unknown course 'nope'" in text and "'a-course' has no assignment 'missing'" in text
