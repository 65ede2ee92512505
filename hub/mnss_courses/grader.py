"""nbgrader, driven through its Python API on a course root (source/, release/, submitted/...).

`check_assignment` proves an assignment is sound before any learner sees it: the instructor's
solution earns full marks, the released blank earns zero, and no solution or hidden test leaks
into the release. The other functions are the instructor's everyday steps.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from .bundle import Course

LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class GradingError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's own error text."""


@dataclass
class AssignmentReport:
    course: str
    assignment: str
    max_score: float = 0  # autograded points; points graded by hand are counted apart
    manual_points: float = 0
    solution_score: float = 0
    blank_score: float = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _tools_on_path() -> None:
    """nbgrader runs `alembic` (and kernels) by name: make this environment's tools findable."""
    tools = str(Path(sys.prefix) / "bin")
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([tools, os.environ.get("PATH", os.defpath)])


def api(root: Path, course_id: str, cell_timeout: int = 300) -> NbGraderAPI:
    _tools_on_path()
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = course_id
    config.Execute.timeout = cell_timeout  # live-network checks build a network in a cell
    config.Exchange.root = str(root / "exchange")  # unused by these steps; keeps nbgrader off /srv
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _run(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise GradingError(f"{what} failed: {' | '.join(detail[-6:])}")


def generate(grader: NbGraderAPI, assignment: str) -> Path:
    _run(grader.generate_assignment(assignment), f"generating the release of {assignment}")
    return Path(grader.coursedir.root) / "release" / assignment


def autograde(grader: NbGraderAPI, assignment: str, student: str) -> dict:
    _run(grader.autograde(assignment, student), f"autograding {student}'s {assignment}")
    return grader.get_submission(assignment, student)


def check_assignment(course: Course, assignment: str) -> AssignmentReport:
    report = AssignmentReport(course.id, assignment)
    with tempfile.TemporaryDirectory(prefix=f"mnss-check-{course.id}-") as tmp:
        root = Path(tmp)
        shutil.copytree(course.root / "source" / assignment, root / "source" / assignment)
        grader = api(root, course.id)
        try:
            release = generate(grader, assignment)
        except GradingError as err:
            report.problems.append(str(err))
            return report
        for nb in sorted(release.glob("*.ipynb")):
            text = nb.read_text("utf-8")
            for marker in LEAKS:
                if marker in text:
                    report.problems.append(f"{nb.name}: the release still contains '{marker}'")
        for student, source in (("solution", root / "source" / assignment), ("blank", release)):
            target = root / "submitted" / student / assignment
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            try:
                result = autograde(grader, assignment, student)
            except GradingError as err:
                report.problems.append(str(err))
                continue
            setattr(report, f"{student}_score", result["code_score"])
            report.max_score = result["max_code_score"]
            report.manual_points = result["max_score"] - result["max_code_score"]
    if report.max_score <= 0 and not report.problems:
        report.problems.append("no autograded cells: the assignment has no automatic points")
    if report.solution_score != report.max_score:
        report.problems.append(f"the instructor's solution scores {report.solution_score:g} of "
                               f"{report.max_score:g}; it must earn full marks")
    if report.blank_score != 0:
        report.problems.append(f"the released blank notebook scores {report.blank_score:g}; it must score 0")
    return report
