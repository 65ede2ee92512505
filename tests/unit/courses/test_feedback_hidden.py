"""Feedback pages keep hidden tests, their tracebacks and whatever ran after them to themselves."""

from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from mnss_courses import feedback, sandboxed_execute

HIDDEN_LINE = "assert normalise('w1-1') == 'W01-01'"


def _meta(grade_id, solution=False, grade=False):
    return {
        "nbgrader": {
            "grade_id": grade_id,
            "grade": grade,
            "solution": solution,
            "locked": not solution,
            "schema_version": 3,
            **({"points": 1} if grade else {}),
        }
    }


def _out(text):
    return NotebookNode(output_type="stream", name="stdout", text=text)


def _error(line):
    return NotebookNode(output_type="error", ename="AssertionError", evalue="", traceback=[f"----> 3 {line}"])


def _notebook():
    answer = new_code_cell("def normalise(x):\n    return x", metadata=_meta("answer", solution=True))
    answer.outputs = [_out("answer ran\n")]
    leak_early = new_code_cell("print(1)", metadata=_meta("early", solution=True))
    leak_early.outputs = [_out(f"{HIDDEN_LINE}\n")]  # cannot happen before the hidden cell; scrubbed anyway
    tests = new_code_cell(
        f"assert normalise('W01-01') == 'W01-01'\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS",
        metadata=_meta("tests", grade=True),
    )
    tests.outputs = [_out(f"hook says: {HIDDEN_LINE}\n"), _error(HIDDEN_LINE)]
    later = new_code_cell("print(stash)", metadata=_meta("later", solution=True))
    later.outputs = [_out("YXNzZXJ0IG5vcm1hbGlzZSgndzEtMScp\n")]  # base64 of the hidden line
    visible = new_code_cell("assert True", metadata=_meta("visible", grade=True))
    visible.outputs = [_error("assert normalise('x') == 'X'")]
    return new_notebook(cells=[leak_early, answer, tests, later, visible])


def test_hidden_lines_outputs_and_tracebacks_are_gone():
    nb = feedback.hide_hidden_tests(_notebook())
    text = str(nb)
    assert "w1-1" not in text and "YXNz" not in text and "hook says" not in text
    early, answer, tests, later, visible = nb.cells
    assert answer.outputs[0].text == "answer ran\n"  # before any hidden code ran: kept
    assert early.outputs[0].text == feedback.QUOTED
    assert tests.source == f"assert normalise('W01-01') == 'W01-01'\n{feedback.PLACEHOLDER}"
    assert [o.output_type for o in tests.outputs] == ["error"] and tests.outputs[0].traceback == [feedback.FAILED]
    assert feedback.WITHHELD in later.outputs[0].text
    assert visible.outputs[0].evalue == feedback.FAILED  # a later test cell: its result only


def test_a_passing_hidden_test_cell_says_passed():
    nb = _notebook()
    nb.cells[2].outputs = [_out(f"{HIDDEN_LINE}\n")]
    assert feedback.hide_hidden_tests(nb).cells[2].outputs == [_out(feedback.PASSED)]


def test_the_sandbox_config_puts_it_into_nbgrader_feedback():
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    chosen = sandboxed_execute.configure(Config()).GenerateFeedback.preprocessors
    stock = GenerateFeedback.class_traits()["preprocessors"].default()
    assert feedback.HideHiddenTests not in stock
    assert chosen.index(feedback.HideHiddenTests) == chosen.index(GetGrades) + 1
    assert [p for p in chosen if p is not feedback.HideHiddenTests] == stock
