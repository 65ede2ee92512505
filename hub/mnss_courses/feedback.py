"""Feedback pages without hidden tests (stock `generate_feedback` shows them, tracebacks included).

`HideHiddenTests` runs in nbgrader's GenerateFeedback pipeline, on the autograded notebook:

- a test cell with hidden tests shows its visible lines, a placeholder for the hidden ones and
  only its result (passed or failed; nbgrader's page adds the points), never its outputs or
  traceback;
- every cell that ran after hidden test code first entered the learner's kernel shows no outputs,
  only whether it raised an error: a submission can record the source of the cells that run after
  it (an IPython hook) and print it later in any encoding, so no filter of text can be trusted
  with those outputs;
- any remaining output that quotes a hidden line is removed as well.

The learner's own code and the outputs of the cells before the first hidden test are kept.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from .hidden_tests import has_hidden, is_test, mentions, pieces, secret_lines

PLACEHOLDER = "# (隐藏测试不显示 / hidden tests are not shown)"
PASSED = "通过 / passed\n"
FAILED = "未通过 / failed"
WITHHELD = "（隐藏测试运行之后的输出不显示 / outputs after the first hidden test are not shown）\n"
QUOTED = "（此输出含有隐藏测试，不显示 / this output quotes hidden tests and is not shown）\n"


def _failed(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _stream(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)


def _result_only(cell) -> list:
    if _failed(cell):
        return [NotebookNode(output_type="error", ename="Failed", evalue=FAILED, traceback=[FAILED])]
    return [_stream(PASSED)]


def _visible_source(source: str) -> str:
    out, placed = [], False
    for piece in pieces(source):
        if not piece.hidden:
            out.append(piece.text)
        elif not placed:
            out.append(PLACEHOLDER)
            placed = True
    return "\n".join(out).strip("\n")


def hide_hidden_tests(nb: NotebookNode) -> NotebookNode:
    secrets = secret_lines(nb.cells)
    seen_hidden = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if has_hidden(cell):
            cell.source = _visible_source(cell.source)
            cell.outputs = _result_only(cell)
            seen_hidden = True
        elif seen_hidden and cell.outputs:
            withheld = [_stream(WITHHELD + ("error\n" if _failed(cell) else ""))]
            cell.outputs = _result_only(cell) if is_test(cell) else withheld
        else:
            cell.outputs = [o if not mentions(str(o), secrets) else _stream(QUOTED) for o in cell.outputs]
    return nb


class HideHiddenTests(NbGraderPreprocessor):
    """Keeps hidden tests, and whatever a submission printed after them, off feedback pages."""

    def preprocess(self, nb, resources):
        return hide_hidden_tests(nb), resources


def configure(c):
    """Put HideHiddenTests into nbgrader's feedback pipeline (before the page is rendered)."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    stock = GenerateFeedback.class_traits()["preprocessors"].default()
    at = stock.index(GetGrades) + 1 if GetGrades in stock else 0
    c.GenerateFeedback.preprocessors = [*stock[:at], HideHiddenTests, *stock[at:]]
    return c
