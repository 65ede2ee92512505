"""nbgrader's own user-guide assignment (ps1, shipped in the nbgrader package) passes `mnss course
validate` and grades, in the sandbox, part for part as stock nbgrader grades it."""

import os
import shutil
from pathlib import Path

import nbformat
import nbgrader
import pytest
import yaml

from mnss_courses import bundle
from mnss_courses.grader import api, autograde, check_assignment, generate, part_scores

pytestmark = [pytest.mark.integration, pytest.mark.slow]
if os.geteuid() != 0:
    pytest.skip("sandboxed autograding switches to transient uids, which needs root", allow_module_level=True)

PS1 = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide" / "source" / "ps1"


def _course(folder: Path) -> Path:
    course = folder / "userguide"
    shutil.copytree(PS1, course / "source" / "ps1")
    meta = {
        "id": "userguide",
        "title": {"zh": "nbgrader 用户指南", "en": "nbgrader user guide"},
        "category": "programming",
        "level": "beginner",
        "assignments": [{"id": "ps1", "title": {"zh": "习题一", "en": "Problem set 1"}}],
    }
    (course / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    return course


def _half_right(notebook: Path) -> None:
    """The solution with `squares` wrong for invalid input only: one autograded part fails."""
    nb = nbformat.read(notebook, 4)
    for cell in nb.cells:
        if "raise ValueError" in cell.source and "def squares" in cell.source:
            cell.source = "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]"
    nbformat.write(nb, notebook)


@pytest.fixture()
def course(tmp_path):
    assert PS1.is_dir(), f"nbgrader {nbgrader.__version__} ships no user-guide ps1 at {PS1}"
    return bundle.load(_course(tmp_path))


def test_ps1_validates_with_manual_points_counted_apart(course):
    report = check_assignment(course, "ps1")
    assert report.ok, report.problems
    assert (report.max_score, report.solution_score, report.blank_score) == (3, 3, 0)
    assert report.manual_points == 10  # written answers, a manually graded code answer and a task


def test_ps1_scores_match_stock_nbgrader_part_for_part(course, tmp_path):
    scores = {}
    for sandbox in (True, False):
        root = tmp_path / f"root-{sandbox}"
        shutil.copytree(course.root / "source", root / "source")
        grader = api(root, "userguide", sandbox=sandbox)
        release = generate(grader, "ps1")
        for student, source in (("solution", root / "source" / "ps1"), ("blank", release), ("half", None)):
            target = root / "submitted" / student / "ps1"
            shutil.copytree(source or root / "source" / "ps1", target)
            if source is None:
                _half_right(target / "problem1.ipynb")
            autograde(grader, "ps1", student)
            scores[(sandbox, student)] = part_scores(grader, "ps1", student)
    for student in ("solution", "blank", "half"):
        assert scores[(True, student)] == scores[(False, student)], student
    assert scores[(True, "half")][("problem1", "squares_invalid_input")] == 0
    assert scores[(True, "half")][("problem1", "correct_squares")] == 1
