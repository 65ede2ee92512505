"""Which graded cells of an assignment the autograder scores and which an instructor grades by hand.

nbgrader's `max_code_score` counts every graded code cell, including a "Manually graded answer"
on a code cell, which the autograder never scores. An assignment's automatic maximum is therefore
taken from the cells themselves: autograder tests (graded, not a solution, code) are automatic;
everything else graded (written answers, manually graded code, tasks) is graded by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils


@dataclass(frozen=True)
class Part:
    notebook: str  # file name without .ipynb, as nbgrader names notebooks
    grade_id: str
    points: float
    automatic: bool


def parts_of(cells, notebook: str) -> list[Part]:
    found = []
    for cell in cells:
        if not (utils.is_grade(cell) or utils.is_task(cell)):
            continue
        meta = cell.metadata.nbgrader
        automatic = cell.cell_type == "code" and not utils.is_solution(cell) and not utils.is_task(cell)
        found.append(Part(notebook, meta["grade_id"], float(meta.get("points", 0)), automatic))
    return found


def assignment_parts(folder: str | Path) -> list[Part]:
    """The graded parts of every notebook in an assignment folder (its source or release)."""
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        found += parts_of(nbformat.read(str(path), as_version=4).cells, path.stem)
    return found


@dataclass(frozen=True)
class Scored:
    """One learner's autograded parts with the points each earned."""

    student: str
    parts: tuple[tuple[Part, float], ...]

    @property
    def score(self) -> float:
        return sum(points for _, points in self.parts)

    @property
    def max_score(self) -> float:
        return sum(part.points for part, _ in self.parts)


def automatic_points(parts: list[Part]) -> float:
    return sum(p.points for p in parts if p.automatic)


def manual_points(parts: list[Part]) -> float:
    return sum(p.points for p in parts if not p.automatic)
