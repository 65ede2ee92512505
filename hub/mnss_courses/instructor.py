"""The instructor's steps on a course root, through nbgrader's Python API and the MNSS exchange.

`mnss course build|release|collect|grade|feedback|export` call these. A course root is nbgrader's
course directory (source/, release/, submitted/, autograded/, feedback/ and the gradebook); by
default it is the course folder itself, as nbgrader expects. In a server that knows the course's
formgrader (an instructor's own) the CLI asks the formgrader instead, unless --root names a root
(cli.course_formgrader). Every failure is a `GradingError` naming what was wrong, so the CLI can
print one line instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins.export import CsvExportPlugin

from mnss_foundation.server_settings import ENV, ServerSettings

from . import bundle, formgrader_client, gradebook_stamp, grading_lock, grading_settings, sandbox
from .exchange import client
from .grader import GradingError, _run, config_for, private_paths, scored
from .grading_settings import cell_timeout, sandbox_options
from .parts import Scored

gradebook_stamp.install()  # a new gradebook is stamped without running `alembic heads`


def find_course(ref: str, catalog: str | Path = "courses") -> bundle.Course:
    """A course by folder path or by id in `catalog`; unknown ids name the courses there are."""
    path = Path(ref)
    if (path / "course.yaml").is_file():
        return bundle.load(path)
    if "/" not in ref and (Path(catalog) / ref / "course.yaml").is_file():
        return bundle.load(Path(catalog) / ref)
    known = sorted(p.parent.name for p in Path(catalog).glob("*/course.yaml"))
    raise GradingError(
        f"unknown course {ref!r}: no course.yaml in {path if '/' in ref else Path(catalog) / ref} "
        f"(courses in {catalog}: {', '.join(known) or 'none'})"
    )


def check_assignment_id(course: bundle.Course, assignment: str) -> None:
    if assignment not in course.assignment_ids:
        raise GradingError(
            f"course {course.id!r} has no assignment {assignment!r} "
            f"(its course.yaml lists: {', '.join(course.assignment_ids)})"
        )


@dataclass
class Instructor:
    """One course, its nbgrader root and (for release/collect/feedback) the exchange service."""

    course: bundle.Course
    root: Path
    exchange_url: str = ""
    token: str = ""

    @classmethod
    def open(
        cls,
        ref: str,
        catalog: str | Path = "courses",
        root: str | None = None,
        exchange_url: str | None = None,
        token: str | None = None,
    ) -> Instructor:
        course = find_course(ref, catalog)
        return cls(
            course,
            Path(root or course.root).resolve(),
            exchange_url if exchange_url is not None else os.environ.get(client.URL_ENV, ""),
            token if token is not None else os.environ.get("JUPYTERHUB_API_TOKEN", ""),
        )

    def api(self, exchange: bool = False) -> NbGraderAPI:
        settings = self.course.meta.get("grading", {})
        config = config_for(
            self.root,
            self.course.id,
            cell_timeout(settings),
            hidden=private_paths(self.course),
            db_url=gradebook_url(settings, self.root),
            **sandbox_options(settings),
        )
        if exchange:
            if not self.exchange_url:
                raise GradingError(
                    f"no exchange: pass --exchange-url or set ${client.URL_ENV} (set in every hub server)"
                )
            client.configure(config, service_url=self.exchange_url, api_token=self.token)
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def build(self, assignment: str) -> Path:
        check_assignment_id(self.course, assignment)
        if (self.root / "source" / assignment).resolve() != (self.course.root / "source" / assignment).resolve():
            _copy_source(self.course.root / "source" / assignment, self.root / "source" / assignment)
        with self.one_step("build", assignment):
            _run(self.api().generate_assignment(assignment), f"building {assignment}")
        return self.root / "release" / assignment

    def release(self, assignment: str) -> None:
        check_assignment_id(self.course, assignment)
        if not (self.root / "release" / assignment).is_dir():
            raise GradingError(f"{assignment} is not built yet: run `mnss course build {self.course.id} {assignment}`")
        with self.one_step("release", assignment):
            _run(self.api(exchange=True).release_assignment(assignment), f"releasing {assignment}")

    def collect(self, assignment: str) -> list[str]:
        check_assignment_id(self.course, assignment)
        with self.one_step("collect", assignment):
            _run(self.api(exchange=True).collect(assignment), f"collecting {assignment}")
        return self.submitted(assignment)

    def submitted(self, assignment: str) -> list[str]:
        return sorted(p.parent.name for p in (self.root / "submitted").glob(f"*/{assignment}") if p.is_dir())

    def grade(self, assignment: str, students: list[str] | None = None) -> list[Scored]:
        """Autograde (sandboxed) each submission; what each earned, part by part. Where no box can
        be built (`grades_here()` says why), the course's formgrader grades (formgrader_client)."""
        check_assignment_id(self.course, assignment)
        if problem := self.grades_here():
            cid = self.course.id
            if self.formgrader_url():
                instead = f"without --root, the formgrader of {cid} grades in its boxes and course root"
            else:
                instead = (
                    f"and the formgrader of {cid} is not known here (${ENV['formgrader_urls']}, set in the "
                    f"servers of the course's instructors): grade on its round page, "
                    f"/services/formgrader-{cid}/mnss/round"
                )
            raise GradingError(f"no grading box can be built here ({problem}); {instead}")
        have = self.submitted(assignment)
        for s in students or []:
            if s not in have:
                raise GradingError(
                    f"no submission of {assignment} by {s!r} in {self.root / 'submitted'} "
                    f"(there are: {', '.join(have) or 'none'}; run `mnss course collect` first)"
                )
        grader, results = self.api(), []
        with self.one_step("autograde", assignment):
            for student in students or have:
                _run(grader.autograde(assignment, student), f"autograding {student}'s {assignment}")
                results.append(scored(grader, assignment, student))
        return results

    def one_step(self, action: str, assignment: str):
        """The course root's grading lock, as the formgrader's steps take it (grading_lock.Busy:
        another step runs on this root, e.g. the formgrader's when --root names its root)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return grading_lock.one_step(self.root, action, assignment)

    @staticmethod
    def grades_here() -> str:
        """ "" where submissions can be graded in a box here, else why not (an instructor's
        container: Docker's masked /proc leaves the box without a /proc of its own)."""
        return sandbox.box_problem()

    def formgrader_url(self) -> str:
        return ServerSettings.from_env().formgrader_url(self.course.id)

    def formgrader(self) -> formgrader_client.Formgrader | None:
        """The course's formgrader as this server reaches it (an instructor's container), or None."""
        url = self.formgrader_url()
        return formgrader_client.Formgrader(url, self.token, self.course.id) if url else None

    def feedback(self, assignment: str, release: bool = True) -> None:
        check_assignment_id(self.course, assignment)
        with self.one_step("feedback", assignment):
            _run(self.api().generate_feedback(assignment), f"generating feedback for {assignment}")
            if release:
                _run(self.api(exchange=True).release_feedback(assignment), f"releasing feedback for {assignment}")

    def export(self, to: str | Path) -> Path:
        config = self.api().config
        with Gradebook(CourseDirectory(config=config).db_url, self.course.id) as gb:
            plugin = CsvExportPlugin(config=config)
            plugin.to = str(to)
            plugin.export(gb)
        return Path(to)


def _copy_source(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


def gradebook_url(settings: dict, root: Path) -> str:
    """grading_settings.gradebook_url, a missing variable as a GradingError."""
    try:
        return grading_settings.gradebook_url(settings, root)
    except ValueError as err:
        raise GradingError(str(err)) from None
