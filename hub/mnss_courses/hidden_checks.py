"""`check(EXPR, EXPECTED)` in a hidden test block, judged outside the learner's kernel.

Before a test cell runs, its hidden block is rewritten: each `check(EXPR, LITERAL)` statement
becomes code that evaluates EXPR in the kernel and prints the result as plain data
(`mnss_kernel.checks.encode`) on a line starting with a fresh random tag. LITERAL never leaves
the grader. After the cell has run, the grader takes those lines out of the outputs, rebuilds the
values and compares them with the literals; a check whose value is wrong, missing, reported more
than once or not plain data fails the cell (an error output, which nbgrader scores 0). Other
hidden statements (plain asserts) are sent unchanged, as stock nbgrader does.
"""

from __future__ import annotations

import ast
import json
import secrets
from dataclasses import dataclass, field

from nbformat.notebooknode import NotebookNode

from mnss_kernel.checks import decode, same

from .hidden_tests import pieces

REPORTER = """def _mnss_check_report(tag, index, thunk):
    import json
    from mnss_kernel.checks import encode
    try:
        line = {"i": index, "value": encode(thunk())}
    except Exception as err:
        line = {"i": index, "error": type(err).__name__}
    print(tag + json.dumps(line), flush=True)"""
REASONS = {
    "missing": "it gave no result",
    "twice": "it reported more than one result",
    "wrong": "the value is not the expected one",
    "NotPlainData": "the value is not plain data (None, bool, int, float, str, list, tuple, dict)",
}


@dataclass
class Plan:
    """What the kernel is sent for one test cell, and what only the grader keeps."""

    box_source: str
    tag: str = ""
    expected: dict[int, tuple[object, str]] = field(default_factory=dict)  # index -> (literal, message)


def _as_check(stmt: ast.stmt) -> tuple[ast.expr, object, str] | None:
    """(EXPR, literal, message) of a `check(EXPR, LITERAL[, "message"])` statement, else None."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    call = stmt.value
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    if name != "check" or call.keywords or len(call.args) not in (2, 3):
        return None
    try:
        expected = ast.literal_eval(call.args[1])
        message = ast.literal_eval(call.args[2]) if len(call.args) == 3 else ""
    except ValueError:
        return None
    return call.args[0], expected, str(message)


def plan(source: str) -> Plan:
    """The cell as the kernel gets it: checks in hidden blocks replaced by value reports."""
    tag = f"mnss-check-{secrets.token_hex(16)}:"
    result = Plan("", tag)
    parts = []
    for piece in pieces(source):
        if not piece.hidden:
            parts.append(piece.text)
            continue
        try:
            tree = ast.parse(piece.text)
        except SyntaxError:
            parts.append(piece.text)  # indented or broken: sent as it is, as stock nbgrader does
            continue
        for stmt in tree.body:
            found = _as_check(stmt)
            if found is None:
                parts.append(ast.get_source_segment(piece.text, stmt) or ast.unparse(stmt))
                continue
            expr, expected, message = found
            index = len(result.expected)
            if index == 0:
                parts.append(REPORTER)
            result.expected[index] = (expected, message)
            parts.append(f"_mnss_check_report({tag!r}, {index}, lambda: ({ast.unparse(expr)}))")
    result.box_source = "\n".join(parts)
    return result


def _take_reports(cell: NotebookNode, tag: str) -> dict[int, list[dict]]:
    """Remove the tagged lines from the cell's outputs; {check index: reports found}."""
    reports: dict[int, list[dict]] = {}
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            lines = output.get("text", "").splitlines(keepends=True)
            for line in lines:
                if line.startswith(tag):
                    try:
                        report = json.loads(line[len(tag) :])
                        reports.setdefault(int(report["i"]), []).append(report)
                    except (ValueError, KeyError, TypeError):
                        reports.setdefault(-1, []).append({})
            output.text = "".join(line for line in lines if not line.startswith(tag))
            if not output.text:
                continue
        kept.append(output)
    cell.outputs = kept
    return reports


def _verdict(reports: list[dict], expected: object) -> str:
    """ "" when the check passed, else the key of its reason."""
    if not reports:
        return "missing"
    if len(reports) > 1:
        return "twice"
    report = reports[0]
    if "error" in report:
        return str(report["error"])
    try:
        value = decode(report.get("value"))
    except (ValueError, TypeError):
        return "NotPlainData"
    return "" if same(value, expected) else "wrong"


def settle(cell: NotebookNode, checks: Plan) -> list[str]:
    """Judge the cell's checks from its outputs; each failure becomes an error output. Returns them."""
    if not checks.expected:
        return []
    reports = _take_reports(cell, checks.tag)
    failures = []
    for index, (expected, message) in checks.expected.items():
        reason = _verdict(reports.get(index, []), expected)
        if reason:
            why = REASONS.get(reason, f"it raised {reason}")
            failures.append(f"hidden check {index + 1} of {len(checks.expected)} failed: {message or why}")
    if failures:
        cell.outputs.append(
            NotebookNode(output_type="error", ename="HiddenCheckFailed", evalue="; ".join(failures), traceback=failures)
        )
    return failures
