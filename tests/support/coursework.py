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
    """Click the open notebook's 提交作业 button (extensions/mnss_panel) and wait for what it says:
    the confirmation, or else the failure notice or a dialog, whose words the test then shows."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar .mnss-submit").first.click()
    said = page.locator(".Toastify__toast-body", has_text=assignment).or_(page.locator(".jp-Dialog")).first
    said.wait_for(timeout=200_000)  # the server gives nbgrader 180 s before it answers with an error
    text = said.inner_text()
    assert f"作业 {assignment} 已提交" in text, f"submitting {assignment} was answered with: {text}"
