"""A course's assignment notebooks as the tests use them: the instructor's solutions, cell by cell,
and handing one in from JupyterLab as a learner does."""

from __future__ import annotations

import json
import re

from tests.support.hubproc import ROOT

MARKER = re.compile(r"### (BEGIN|END) SOLUTION")


def source_notebook(course: str, assignment: str) -> dict:
    return json.loads((ROOT / "courses" / course / "source" / assignment / f"{assignment}.ipynb").read_text("utf-8"))


def solutions(course: str, assignment: str) -> dict[int, str]:
    """cell index -> the instructor's code of each code cell the learner writes (nbgrader's
    solution cells), from the course's source notebook."""
    found = {}
    for index, cell in enumerate(source_notebook(course, assignment)["cells"]):
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
            lines = "".join(cell["source"]).splitlines()
            found[index] = "\n".join(line for line in lines if not MARKER.search(line))
    return found


def submit_in_lab(page, assignment: str) -> None:
    """Click the open notebook's 提交作业 button (extensions/mnss_panel) and wait for the confirmation."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar .mnss-submit").first.click()
    page.locator(".Toastify__toast-body", has_text=f"作业 {assignment} 已提交").first.wait_for(timeout=180_000)
