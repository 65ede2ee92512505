"""Every test cell of the bundled courses with a network check the grader measures also has the
grader check the lab's shape, so a learner cannot hand those checks an easier lab of their own;
and no hidden assert calls a measurement the learner's kernel makes (route_path, probe, ...)."""

import ast
import textwrap
from pathlib import Path

import nbformat
import pytest

from mnss_courses import hidden_checks, hidden_tests

COURSES = Path(__file__).resolve().parents[3] / "courses"
NOTEBOOKS = sorted(COURSES.glob("*/source/*/*.ipynb"))
IN_KERNEL = {"route_path", "probe", "tcp_open", "send_order"}  # measurements the kernel could fake


def _hidden_test_cells(notebook: Path):
    for cell in nbformat.read(notebook, as_version=4).cells:
        if hidden_tests.is_test(cell) and hidden_tests.has_hidden(cell):
            yield cell.metadata.nbgrader.grade_id, cell.source


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_measured_cells_check_the_labs_shape(notebook, tmp_path):
    for grade_id, source in _hidden_test_cells(notebook):
        plan = hidden_checks.plan(source, str(tmp_path))
        if plan.live:
            assert plan.shapes, f"{notebook.name}/{grade_id}: network checks without check_shape"
        for piece in hidden_tests.pieces(source):
            if piece.hidden:
                for node in ast.walk(ast.parse(textwrap.dedent(piece.text))):
                    called = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & IN_KERNEL
                    assert not (isinstance(node, ast.Assert) and called), f"{notebook.name}/{grade_id}: {called}"


def test_the_courses_have_measured_checks_of_every_kind(tmp_path):
    kinds = set()
    for notebook in NOTEBOOKS:
        for _, source in _hidden_test_cells(notebook):
            kinds |= {c.kind for c in hidden_checks.plan(source, str(tmp_path)).live.values()}
    assert kinds == {"reach", "path", "service", "shape"}
