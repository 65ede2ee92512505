"""Every tutorial of every course runs top to bottom as the learner gets it: the portal's copy (a
Markdown tutorial converted to a notebook, a notebook as it is), every code cell executed in a real
kernel, the canvases' labs built as real emulated networks and measured, and nothing left behind.

One kernel serves every tutorial (its names are reset in between), so the whole catalog costs one
kernel start; the labs are small, so each tutorial takes a second or two.

A learner's kernel runs as the learner's own account, so its labs are built without root. The
tutorials whose code uses what differs there (packet capture, file owners and accounts, kernel
settings) run once more in a kernel of an unprivileged account (uid nobody)."""

import os
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from mnss_activity.tutorial_notebook import tutorial_notebook
from mnss_courses import bundle, scaffold
from tests.support import kernels, unprivileged

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
CATALOG = bundle.load_catalog(ROOT / "courses")
TUTORIALS = [
    (cid, t["id"], course.root / t["file"]) for cid, course in CATALOG.items() for t in course.meta.get("tutorials", [])
]
CELL_TIMEOUT = 120
DIFFERS_WITHOUT_ROOT = re.compile(r"\b(tcpdump|[Cc]apture|setpriv|chown|sysctl|mount)\b")


def learners_copy(source: Path) -> nbformat.NotebookNode:
    """The notebook the portal's Open link puts in the learner's home (see mnss_activity.panel)."""
    if source.suffix == ".ipynb":
        return nbformat.read(source, as_version=4)
    return tutorial_notebook(source.read_text("utf-8"), source.parent)


def uses_what_differs_without_root(source: Path) -> bool:
    return bool(
        DIFFERS_WITHOUT_ROOT.search("\n".join(c.source for c in learners_copy(source).cells if c.cell_type == "code"))
    )


LEARNERS_PATH = [case for case in TUTORIALS if uses_what_differs_without_root(case[2])]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One real IPython kernel (this interpreter's), working in a folder of its own."""
    with kernels.real_kernel(tmp_path_factory.mktemp("tutorials")) as client:
        yield client


@pytest.fixture(scope="module")
def learners_kernel():
    """A kernel of the unprivileged account, its labs with an owner of their own."""
    if unprivileged.why_not():
        pytest.skip(f"a learner's kernel without root cannot be started here: {unprivileged.why_not()}")
    with kernels.learners_kernel() as client:
        assert not run_cell(client, f"import os\nos.environ['MNSS_LAB_OWNER'] = 'lk{os.getpid()}'")
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


@pytest.mark.parametrize("course, tutorial, source", LEARNERS_PATH, ids=[f"{c}/{t}" for c, t, _ in LEARNERS_PATH])
def test_tutorial_runs_in_a_learners_kernel_without_root(course, tutorial, source, learners_kernel):
    """As a learner runs it: its labs built without root, and none still running at its end."""
    run_notebook(learners_kernel, learners_copy(source))
    left = "from mnss_kernel.runtime import registry\nassert not registry.records(registry.default_owner())"
    assert not run_cell(learners_kernel, left), f"{course}/{tutorial} left a lab running"


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
