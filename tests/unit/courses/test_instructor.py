"""Pure parts of the instructor steps: finding a course, checking an assignment id, the gradebook
URL from course.yaml (secrets from the environment) and the course.yaml `grading` section."""

import shutil
from pathlib import Path

import pytest

from mnss_courses import bundle
from mnss_courses.grader import GradingError
from mnss_courses.instructor import check_assignment_id, find_course, gradebook_url, sandbox_options

COURSES = Path(__file__).resolve().parents[3] / "courses"


def test_find_course_by_id_or_folder_and_unknown_ids_list_the_known_ones():
    assert find_course("python-basics", COURSES).id == "python-basics"
    assert find_course(str(COURSES / "python-basics")).id == "python-basics"
    with pytest.raises(GradingError, match=r"unknown course 'nope'.*hospital-lan"):
        find_course("nope", COURSES)


def test_unknown_assignment_lists_the_course_yaml_ones():
    course = find_course("python-basics", COURSES)
    with pytest.raises(GradingError, match=r"no assignment 'x' \(its course.yaml lists: ward-strings-lists"):
        check_assignment_id(course, "x")


def test_gradebook_url_default_env_and_override(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_GRADEBOOK_URL", raising=False)
    assert gradebook_url({}, tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"
    monkeypatch.setenv("PGPW", "s3cret")
    url = "postgresql+psycopg://grader:${PGPW}@db.example/grades"
    assert gradebook_url({"gradebook_url": url}, tmp_path) == "postgresql+psycopg://grader:s3cret@db.example/grades"
    monkeypatch.setenv("MNSS_GRADEBOOK_URL", "postgresql+psycopg://other/db")
    assert gradebook_url({"gradebook_url": url}, tmp_path) == "postgresql+psycopg://other/db"


def test_gradebook_url_names_a_missing_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_GRADEBOOK_URL", raising=False)
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    with pytest.raises(GradingError, match=r"\$\{NOT_SET_HERE\}"):
        gradebook_url({"gradebook_url": "postgresql+psycopg://u:${NOT_SET_HERE}@h/d"}, tmp_path)


def test_course_yaml_grading_section_is_checked(tmp_path):
    folder = tmp_path / "python-basics"
    shutil.copytree(COURSES / "python-basics", folder)
    meta = folder / "course.yaml"
    base = meta.read_text("utf-8")
    meta.write_text(base + "grading:\n  gradebook_url: postgresql+psycopg://h/d\n  memory_mb: 2048\n", "utf-8")
    course = bundle.load(folder)
    assert sandbox_options(course.meta["grading"]) == {"memory_mb": 2048}
    meta.write_text(base + "grading:\n  gradebook_url: mysql://h/d\n  memroy_mb: 1\n", "utf-8")
    with pytest.raises(bundle.CourseError) as err:
        bundle.load(folder)
    text = str(err.value)
    assert "grading" in text and "gradebook_url" in text and "memroy_mb" in text


def test_a_cell_has_30_seconds_unless_the_course_says_otherwise(tmp_path, monkeypatch):
    from mnss_courses.instructor import Instructor

    monkeypatch.delenv("MNSS_GRADEBOOK_URL", raising=False)
    folder = tmp_path / "python-basics"
    shutil.copytree(COURSES / "python-basics", folder)
    assert Instructor.open(str(folder)).api().config.Execute.timeout == 30
    meta = folder / "course.yaml"
    meta.write_text(meta.read_text("utf-8") + "grading:\n  cell_timeout: 120\n  notebook_timeout: 600\n", "utf-8")
    config = Instructor.open(str(folder)).api().config
    assert config.Execute.timeout == 120 and config.SandboxExecute.notebook_timeout == 600


def test_validate_grades_with_the_courses_own_limits(tmp_path, monkeypatch):
    """`mnss course validate` proves an assignment as its graders will grade it: a course that
    needs more time per cell (dicom-hl7-network) gets it there too."""
    from mnss_courses import grader

    asked = {}

    def api(root, course_id, **options):
        asked.update(options)
        return None

    def generate(api_, assignment):
        raise GradingError("stop here")

    monkeypatch.setattr(grader, "api", api)
    monkeypatch.setattr(grader, "generate", generate)
    course = find_course("dicom-hl7-network", COURSES)
    assert grader.check_assignment(course, "pacs-firewall").problems[0] == "stop here"
    assert asked["cell_timeout"] == 60 and asked["sandbox"] is True
    asked.clear()
    grader.check_assignment(find_course("python-basics", COURSES), "ward-strings-lists")
    assert asked["cell_timeout"] == grader.CELL_TIMEOUT
