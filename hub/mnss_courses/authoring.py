"""Write nbgrader-format notebooks from Python: teaching text, answer cells, graded test cells.

Instructors usually author in JupyterLab with nbgrader's "Create Assignment" toolbar; this is
the same format produced from code, for scaffolds and for course material kept as scripts.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, task=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


class AssignmentNotebook:
    def __init__(self):
        self.nb = new_notebook(
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
                "language_info": {"name": "python"},
            }
        )
        self._count = 0

    def _id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}-{self._count}"

    def text(self, markdown: str) -> AssignmentNotebook:
        """Teaching text the learner cannot change."""
        self.nb.cells.append(new_markdown_cell(markdown.strip(), metadata=_meta(self._id("text"), locked=True)))
        return self

    def code(self, source: str) -> AssignmentNotebook:
        """Given code (examples, set-up) the learner runs but cannot change."""
        self.nb.cells.append(new_code_cell(source.strip(), metadata=_meta(self._id("given"), locked=True)))
        return self

    def answer(self, grade_id: str, source: str) -> AssignmentNotebook:
        """The learner's cell: `### BEGIN SOLUTION` ... `### END SOLUTION` is removed in the release."""
        self.nb.cells.append(new_code_cell(source.strip(), metadata=_meta(grade_id, solution=True)))
        return self

    def written(self, grade_id: str, prompt: str, points: float) -> AssignmentNotebook:
        """A free-text answer an instructor grades by hand."""
        self.nb.cells.append(
            new_markdown_cell(prompt.strip(), metadata=_meta(grade_id, grade=True, solution=True, points=points))
        )
        return self

    def tests(self, grade_id: str, points: float, source: str) -> AssignmentNotebook:
        """Autograded checks; `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` are kept from learners."""
        self.nb.cells.append(
            new_code_cell(source.strip(), metadata=_meta(grade_id, grade=True, locked=True, points=points))
        )
        return self

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(self.nb)
        nbformat.write(self.nb, str(path))
        return path
