"""nbgrader, driven through its Python API on a course root (source/, release/, submitted/...).

`check_assignment` proves an assignment is sound before any learner sees it: the instructor's
solution earns full marks, the released blank earns zero, and no solution or hidden test leaks
into the release. The other functions are the instructor's everyday steps.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from mnss_foundation.venv_tools import tools_on_path

from . import gradebook_stamp, parts as graded_parts, sandboxed_execute
from .bundle import Course
from .grading_settings import CELL_TIMEOUT, cell_timeout, sandbox_options

gradebook_stamp.install()  # a new gradebook is stamped without running `alembic heads`

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


def config_for(
    root: Path,
    course_id: str,
    cell_timeout: int = CELL_TIMEOUT,
    hidden: tuple[str, ...] = (),
    db_url: str = "",
    sandbox: bool = True,
    **limits,
) -> Config:
    """nbgrader config of a course root: autograde runs each submission's kernel in a box
    (`sandboxed_execute`); `hidden` names more folders the box must not see; `db_url` is the
    gradebook (any SQLAlchemy URL, e.g. postgresql+psycopg://... for concurrent graders).
    `sandbox=False` (nbgrader's own execution, as the grader's user) exists only for comparisons."""
    tools_on_path()
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = course_id
    config.Execute.timeout = cell_timeout  # live-network checks build a network in a cell
    config.Exchange.root = str(root / "exchange")  # unused by these steps; keeps nbgrader off /srv
    if db_url:
        config.CourseDirectory.db_url = db_url
    if sandbox:
        sandboxed_execute.configure(config, hidden_paths=[str(p) for p in hidden], **limits)
    return config


def api(root: Path, course_id: str, **options) -> NbGraderAPI:
    """nbgrader's API on a course root, configured by `config_for` (same options)."""
    config = config_for(root, course_id, **options)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?\w*(?:Error|Exception): .+")


def failure_detail(text: str, tail: int = 6) -> str:
    """The cause of a failed nbgrader step: the exception lines of its log (nbgrader ends with
    "Please see the above traceback", so the last lines alone hide it), then its last lines."""
    lines = text.strip().splitlines()
    causes = [line.strip() for line in lines if EXCEPTION_LINE.match(line)]
    return " | ".join(dict.fromkeys([*causes, *(line.strip() for line in lines[-tail:])]))


def step_cause(result: dict) -> str:
    """The cause of a failed step of nbgrader's API: its error is nbgrader's own exception ("see
    the above traceback"), so the cause is in its log."""
    return failure_detail("\n".join(part for part in (result.get("log"), result.get("error")) if part))


def _run(result: dict, what: str) -> None:
    if not result.get("success"):
        raise GradingError(f"{what} failed: {step_cause(result)}")


def generate(grader: NbGraderAPI, assignment: str) -> Path:
    _run(grader.generate_assignment(assignment), f"generating the release of {assignment}")
    return Path(grader.coursedir.root) / "release" / assignment


def autograde(grader: NbGraderAPI, assignment: str, student: str) -> dict:
    _run(grader.autograde(assignment, student), f"autograding {student}'s {assignment}")
    return grader.get_submission(assignment, student)


def part_scores(grader: NbGraderAPI, assignment: str, student: str) -> dict[tuple[str, str], float]:
    """{(notebook, grade_id): score} of one submission as the gradebook holds it (manual scores win,
    as in nbgrader's totals)."""
    scores = {}
    with grader.gradebook as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for grade in nb.grades:
                scores[(nb.name, grade.name)] = grade.score
    return scores


def scored(grader: NbGraderAPI, assignment: str, student: str) -> graded_parts.Scored:
    """What the autograder gave one submission, part by part (autograder test cells only)."""
    source = Path(grader.coursedir.root) / "source" / assignment
    scores = part_scores(grader, assignment, student)
    automatic = [p for p in graded_parts.assignment_parts(source) if p.automatic]
    return graded_parts.Scored(student, tuple((p, scores.get((p.notebook, p.grade_id)) or 0.0) for p in automatic))


def automatic_score(grader: NbGraderAPI, assignment: str, student: str) -> float:
    """The points the autograder gave: the sum over autograder test cells only."""
    return scored(grader, assignment, student).score


def private_paths(course: Course) -> tuple[str, ...]:
    """Folders a sandboxed submission must not see: the course (sources with hidden tests) and,
    when the course sits in a catalog of courses, the whole catalog."""
    catalog = course.root.resolve().parent
    siblings = [p for p in catalog.glob("*/course.yaml") if p.parent.resolve() != course.root.resolve()]
    return (str(course.root.resolve()), str(catalog)) if siblings else (str(course.root.resolve()),)


def check_assignment(course: Course, assignment: str, boxed: bool = True) -> AssignmentReport:
    """`boxed=False` runs the course's own solution and blank with nbgrader's stock execution, as
    the caller: for where no box can be built (an instructor's container); no learner's code runs."""
    report = AssignmentReport(course.id, assignment)
    with tempfile.TemporaryDirectory(prefix=f"mnss-check-{course.id}-") as tmp:
        root = Path(tmp)
        shutil.copytree(course.root / "source" / assignment, root / "source" / assignment)
        settings = course.meta.get("grading", {})  # the course's own limits, as its graders use them
        limits = sandbox_options(settings) if boxed else {}
        grader = api(
            root, course.id, cell_timeout=cell_timeout(settings), hidden=private_paths(course), sandbox=boxed, **limits
        )
        try:
            release = generate(grader, assignment)
        except GradingError as err:
            report.problems.append(str(err))
            return report
        found = graded_parts.assignment_parts(root / "source" / assignment)
        report.max_score = graded_parts.automatic_points(found)
        report.manual_points = graded_parts.manual_points(found)
        for nb in sorted(release.glob("*.ipynb")):
            text = nb.read_text("utf-8")
            for marker in LEAKS:
                if marker in text:
                    report.problems.append(f"{nb.name}: the release still contains '{marker}'")
        for student, source in (("solution", root / "source" / assignment), ("blank", release)):
            target = root / "submitted" / student / assignment
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            try:
                autograde(grader, assignment, student)
            except GradingError as err:
                report.problems.append(str(err))
                continue
            setattr(report, f"{student}_score", automatic_score(grader, assignment, student))
    if report.max_score <= 0 and not report.problems:
        report.problems.append("no autograded cells: the assignment has no automatic points")
    if report.solution_score != report.max_score:
        report.problems.append(
            f"the instructor's solution scores {report.solution_score:g} of "
            f"{report.max_score:g}; it must earn full marks"
        )
    if report.blank_score != 0:
        report.problems.append(f"the released blank notebook scores {report.blank_score:g}; it must score 0")
    return report
