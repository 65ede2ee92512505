"""Every tutorial of every course runs top to bottom as the learner gets it: the portal's copy (a
Markdown tutorial converted to a notebook, a notebook as it is), every code cell executed in a real
kernel, the canvases' labs built as real emulated networks and measured, and nothing left behind.

One kernel serves every tutorial (its names are reset in between), so the whole catalog costs one
kernel start; the labs are small, so each tutorial takes a second or two."""

from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from mnss_activity.tutorial_notebook import tutorial_notebook
from mnss_courses import bundle, scaffold
from tests.support import kernels

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
CATALOG = bundle.load_catalog(ROOT / "courses")
TUTORIALS = [
    (cid, t["id"], course.root / t["file"]) for cid, course in CATALOG.items() for t in course.meta.get("tutorials", [])
]
CELL_TIMEOUT = 120


def learners_copy(source: Path) -> nbformat.NotebookNode:
    """The notebook the portal's Open link puts in the learner's home (see mnss_activity.panel)."""
    if source.suffix == ".ipynb":
        return nbformat.read(source, as_version=4)
    return tutorial_notebook(source.read_text("utf-8"), source.parent)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One real IPython kernel (this interpreter's), working in a folder of its own."""
    with kernels.real_kernel(tmp_path_factory.mktemp("tutorials")) as client:
        yield client


def run_cell(client, source: str) -> list[dict]:
    return kernels.run_cell(client, source, CELL_TIMEOUT)


def run_notebook(client, notebook: nbformat.NotebookNode) -> int:
    """Run every code cell in order, as Run All would; fail at the first cell that raises. The names
    the previous notebook left are cleared first, so none leans on names another one defined."""
    code = [(number, cell) for number, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    if code:
        assert not run_cell(client, "%reset -f")
    ran = 0
    for number, cell in code:
        errors = run_cell(client, cell.source)
        assert not errors, f"cell {number} failed: {errors[0]['ename']}: {errors[0]['evalue']}\n{cell.source}"
        ran += 1
    return ran


def test_there_are_tutorials():
    assert len(TUTORIALS) >= 10


@pytest.mark.parametrize("course, tutorial, source", TUTORIALS, ids=[f"{c}/{t}" for c, t, _ in TUTORIALS])
def test_tutorial_runs_top_to_bottom(course, tutorial, source, kernel, no_leftovers):
    """Its code cells all run, and its labs are stopped by the tutorial's own clean-up cell (a tutorial
    of a course not yet converted may be text only; test_tutorial_standard holds converted ones to code)."""
    run_notebook(kernel, learners_copy(source))


def test_the_scaffolds_tutorial_runs(tmp_path, kernel, no_leftovers):
    """`mnss course new`'s example tutorial works as it stands, so an author starts from running code."""
    scaffold.new_course(tmp_path / "c", "c", "networks")
    assert run_notebook(kernel, learners_copy(tmp_path / "c" / "tutorials" / "first-tutorial.md")) == 4


def test_a_failing_cell_fails_the_run(kernel):
    """The runner is not blind: an exception in a cell is reported with the cell."""
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")])
    with pytest.raises(AssertionError, match="cell 1 failed: ZeroDivisionError"):
        run_notebook(kernel, broken)


def test_a_tutorial_carries_what_its_kernel_reports(kernel):
    """JupyterLab writes the kernel's language_info and kernelspec into a notebook when it connects
    and marks the notebook changed if they differ: the learner's copy already has them as the real
    kernel reports them, so a tutorial opens without unsaved changes."""
    metadata = learners_copy(TUTORIALS[0][2]).metadata
    reply = kernel.kernel_info(reply=True, timeout=30)["content"]
    assert metadata["language_info"] == reply["language_info"]
    spec = KernelSpecManager().get_kernel_spec(metadata["kernelspec"]["name"])
    assert metadata["kernelspec"]["display_name"] == spec.display_name
