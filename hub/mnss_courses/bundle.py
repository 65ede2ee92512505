"""A course folder: course.yaml (checked against its schema) plus nbgrader sources and tutorials.

Problems are reported with the file and key, all at once, like every other file of the project.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from mnss_foundation import schemacheck


class CourseError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid course:\n" + "\n".join(f"  - {p}" for p in problems))


@cache
def schema() -> dict:
    return json.loads(resources.files("mnss_courses").joinpath("course.schema.json").read_text("utf-8"))


@dataclass
class Course:
    root: Path
    meta: dict
    notebooks: dict[str, list[Path]] = field(default_factory=dict)  # assignment -> source notebooks

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def assignment_ids(self) -> list[str]:
        return [a["id"] for a in self.meta["assignments"]]

    def title(self, language: str = "zh") -> str:
        return self.meta["title"][language]


def installed_catalogs() -> list[Path]:
    """Where this installation keeps its courses, first match wins: the current folder's courses/,
    the venv's (the single-user image copies them to /opt/mnss/courses), the source checkout's."""
    return [Path("courses"), Path(sys.prefix) / "courses", Path(__file__).resolve().parents[2] / "courses"]


def has_courses(folder: Path) -> bool:
    return any(folder.glob("*/course.yaml"))


def find_catalog() -> Path | None:
    """The installed folder of courses, or None when there is none."""
    return next((p for p in installed_catalogs() if has_courses(p)), None)


def load(folder: str | Path) -> Course:
    """Read and check one course folder; CourseError lists every problem with file and key."""
    root = Path(folder)
    meta_file = root / "course.yaml"
    where = str(meta_file)
    try:
        meta = yaml.safe_load(meta_file.read_text("utf-8"))
    except OSError as err:
        raise CourseError([f"{where}: cannot read ({err.strerror})"]) from None
    except yaml.YAMLError as err:
        raise CourseError([f"{where}: not valid YAML ({err})"]) from None
    if not isinstance(meta, dict):
        raise CourseError([f"{where}: must be a mapping of keys"])
    problems = [f"{where}: {p}" for p in schemacheck.problems(schema(), meta)]
    if problems:
        raise CourseError(problems)
    if meta["id"] != root.name:
        problems.append(f"{where}: id: {meta['id']!r} must equal the folder name {root.name!r}")
    course = Course(root, meta)
    ids = course.assignment_ids
    for aid in sorted({a for a in ids if ids.count(a) > 1}):
        problems.append(f"{where}: assignments: id {aid!r} is used more than once")
    for a in meta["assignments"]:
        folder = root / "source" / a["id"]
        notebooks = sorted(folder.glob("*.ipynb"))
        if not notebooks:
            problems.append(f"{where}: assignments: {a['id']!r} has no notebooks in {folder}")
        course.notebooks[a["id"]] = notebooks
        for pre in a.get("prerequisites", []):
            if "/" not in pre and pre not in ids:
                problems.append(
                    f"{where}: assignments: {a['id']!r} prerequisite {pre!r} is not an assignment "
                    "of this course (use course-id/assignment-id for another course)"
                )
    declared = set(ids)
    for extra in sorted(p.name for p in (root / "source").glob("*") if p.is_dir() and p.name not in declared):
        problems.append(f"{where}: source/{extra} is not listed under assignments")
    for t in meta.get("tutorials", []):
        if not (root / t["file"]).is_file():
            problems.append(f"{where}: tutorials: {t['id']!r} file {t['file']} does not exist")
    problems += [f"{where}: {p}" for p in _minutes_problems(meta)]
    if problems:
        raise CourseError(problems)
    return course


def _minutes_problems(meta: dict) -> list[str]:
    """A course's minutes are its parts' sum when every part gives its own: the catalog card and
    the course page (which lists the parts' minutes) must tell a learner the same time."""
    parts = [*meta.get("tutorials", []), *meta["assignments"]]
    if "minutes" not in meta or not parts or any("minutes" not in p for p in parts):
        return []
    total = sum(p["minutes"] for p in parts)
    if meta["minutes"] == total:
        return []
    return [
        f"minutes: {meta['minutes']}, but its tutorials and assignments take {total} minutes in all; set it to {total}"
    ]


def load_catalog(folder: str | Path) -> dict[str, Course]:
    """Every course under `folder`; cross-course prerequisites must exist and not form a cycle."""
    courses, problems = {}, []
    for meta in sorted(Path(folder).glob("*/course.yaml")):
        try:
            course = load(meta.parent)
            courses[course.id] = course
        except CourseError as err:
            problems += err.problems
    for course in courses.values():
        for pre in course.meta.get("prerequisites", []):
            cid, _, aid = pre.partition("/")
            if cid not in courses:
                problems.append(f"{course.root / 'course.yaml'}: prerequisites: unknown course {cid!r}")
            elif aid and aid not in courses[cid].assignment_ids:
                problems.append(f"{course.root / 'course.yaml'}: prerequisites: {cid!r} has no assignment {aid!r}")
    cycle = _cycle({cid: [p.split("/")[0] for p in c.meta.get("prerequisites", [])] for cid, c in courses.items()})
    if cycle:
        problems.append(f"{folder}: prerequisites form a cycle: {' -> '.join(cycle)}")
    if problems:
        raise CourseError(problems)
    return courses


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt]
            if nxt in graph and not state.get(nxt):
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if not state.get(start):
            found = visit(start, [start])
            if found:
                return found
    return None
