"""The research catalog on real labs: each experiment's notebook runs top to bottom in a real kernel
(its canvas builds the network, its step cells measure it, its last cells check the expectations and
stop the lab), and the runner the tests and tools use gets the same verdicts.

The smoke subset (`smoke: true` in the file) runs every time; every experiment runs under `slow`.
One kernel serves every notebook, as in test_tutorials_run."""

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from mnss_kernel import experiments
from mnss_kernel.experiments import notebook
from tests.support import kernels

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]

ALL = experiments.names()
SMOKE = [name for name in ALL if experiments.load(name).smoke]
CELL_TIMEOUT = 60
LABS_AT_ONCE = 6


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One real IPython kernel (this interpreter's), working in a folder of its own."""
    with kernels.real_kernel(tmp_path_factory.mktemp("experiments")) as client:
        yield client


def run_cell(client, source: str) -> list[dict]:
    return kernels.run_cell(client, source, CELL_TIMEOUT)


def run_notebook(client, name: str) -> None:
    """Run the experiment's notebook as Run All would; the lab is stopped also when a cell fails."""
    nb = nbformat.from_dict(notebook.build(experiments.load(name)))
    nbformat.validate(nb)
    assert not run_cell(client, "%reset -f")
    try:
        for number, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                errors = run_cell(client, cell.source)
                assert not errors, f"{name}: cell {number} failed: {errors[0]['ename']}: {errors[0]['evalue']}"
    finally:
        run_cell(client, "if 'canvas' in globals() and canvas.lab and canvas.lab.running:\n    canvas.stop()")


def test_there_is_a_smoke_subset():
    assert 5 <= len(SMOKE) <= len(ALL) // 4


@pytest.mark.parametrize("name", SMOKE)
def test_smoke_notebook_runs_and_expectations_hold(kernel, name):
    run_notebook(kernel, name)


def verdict(name: str) -> tuple[str, bool, str]:
    report = experiments.run(experiments.load(name))
    return name, report.ok, report.text()


@pytest.mark.slow
def test_every_experiment_holds():
    """Every experiment on a real lab. Labs are namespaces of their own and most of an experiment is
    waiting for probes, so LABS_AT_ONCE run side by side (the throughput bounds are loose enough
    for that: at least half of a shaped rate, at least 100 Mbit/s on an unshaped veth)."""
    with ThreadPoolExecutor(LABS_AT_ONCE) as pool:
        verdicts = list(pool.map(verdict, ALL))
    failed = [f"{name}:\n{text}" for name, ok, text in verdicts if not ok]
    assert len(verdicts) == len(ALL) and not failed, "\n\n".join(failed)


def test_a_wrong_expectation_fails_and_the_lab_is_still_stopped():
    """A runner that could not fail would prove nothing: expect a reply where the fault cut it off."""
    data = {
        "title": {"zh": "错误的预期", "en": "A wrong expectation"},
        "goal": {"zh": "应当失败。", "en": "Must fail."},
        "topology": {"template": "linear", "params": {"n": 2}},
        "steps": [
            {"do": "fault", "fault": {"kind": "link_down", "a": "s1", "b": "s2"}},
            {"id": "cut", "do": "ping", "src": "h1", "dst": "h2", "count": 1},
        ],
        "expect": [{"step": "cut", "reachable": [["h1", "h2"]]}],
    }
    report = experiments.run(experiments.check("wrong", data))
    assert not report.ok
    assert report.checks[0].measured == {"h1->h2": "100 %"}
