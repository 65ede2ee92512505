"""`check(EXPR, EXPECTED)` in a hidden test block, judged outside the learner's kernel.

Before a test cell runs, its hidden block is rewritten: each `check(EXPR, LITERAL)` statement
becomes code that evaluates EXPR in the kernel and prints the result as plain data
(`mnss_kernel.checks.encode`) on a line starting with a fresh random tag. LITERAL never leaves
the grader. After the cell has run, the grader takes those lines out of the outputs, rebuilds the
values and compares them with the literals; a check whose value is wrong, missing, reported more
than once or not plain data fails the cell (an error output, which nbgrader scores 0). Other
hidden statements (plain asserts) are sent unchanged, as stock nbgrader does.

`check_reach(NET, "a", "b", True|False)` (also inside `with`, `for` and `if` blocks) is a network
check the grader measures itself: the kernel reports only where its lab is
(`mnss_kernel.grading.where`) and then waits, with the lab still up, until the grader has pinged
from a to b inside the box's namespaces (`live_checks`) and left a file in the box's ipc folder.
True passes when no ping was lost, False when every ping was lost. `check_recovers(NET, ("x", "y"),
"a", "b")` is the same check with True, the grader first taking the link x-y down itself (both
ends); the kernel then puts it back as planned (`mnss_kernel.grading.relink`).
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.notebooknode import NotebookNode

from mnss_kernel.checks import decode, same

from .hidden_tests import pieces

REPORTER = """def _mnss_check_report(tag, index, thunk, wait=None):
    import json, os, time
    from mnss_kernel.checks import encode
    try:
        line = {"i": index, "value": encode(thunk())}
    except Exception as err:
        line = {"i": index, "error": type(err).__name__}
    print(tag + json.dumps(line), flush=True)
    end = time.monotonic() + 120
    while wait and "value" in line and not os.path.exists(wait) and time.monotonic() < end:
        time.sleep(0.02)"""
REASONS = {
    "missing": "it gave no result",
    "twice": "it reported more than one result",
    "wrong": "the value is not the expected one",
    "NotPlainData": "the value is not plain data (None, bool, int, float, str, list, tuple, dict)",
    "unmeasured": "the grader could not measure the network",
}
CHECKS = ("check", "check_reach")


@dataclass
class Plan:
    """What the kernel is sent for one test cell, and what only the grader keeps."""

    box_source: str
    tag: str = ""
    expected: dict[int, tuple[object, str]] = field(default_factory=dict)  # index -> (literal, message)
    reach: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (a, b) the grader pings
    cuts: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> link the grader cuts first
    wait_dir: str = ""
    measured: dict[int, list[float | str]] = field(default_factory=dict)  # index -> loss % or why not

    def wait_file(self, index: int) -> str:
        return f"{self.wait_dir}/{self.tag.rstrip(':')}-{index}.measured"


def _call_name(stmt: ast.stmt) -> str:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return ""
    func = stmt.value.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _literal_call(stmt: ast.stmt, name: str, literals: int) -> tuple[ast.expr, list, str] | None:
    """(X, [L1..Ln], message) of a statement `name(X, L1, .., Ln[, "message"])` whose L and message
    are literals, else None."""
    call = stmt.value if _call_name(stmt) == name else None
    if call is None or call.keywords or len(call.args) not in (literals + 1, literals + 2):
        return None
    try:
        values = [ast.literal_eval(arg) for arg in call.args[1:]]
    except ValueError:
        return None
    return call.args[0], values[:literals], str(values[literals]) if len(values) > literals else ""


def _as_check(stmt: ast.stmt) -> tuple[ast.expr, object, str] | None:
    """(EXPR, literal, message) of a `check(EXPR, LITERAL[, "message"])` statement, else None."""
    if (parsed := _literal_call(stmt, "check", 1)) is None:
        return None
    expr, (expected,), message = parsed
    return expr, expected, message


def _as_reach(stmt: ast.stmt) -> tuple[ast.expr, str, str, bool, str] | None:
    """(NET, a, b, expected, message) of `check_reach(NET, "a", "b", True|False[, "message"])`."""
    if (parsed := _literal_call(stmt, "check_reach", 3)) is None:
        return None
    net, (a, b, expected), message = parsed
    if not (isinstance(a, str) and isinstance(b, str) and type(expected) is bool):
        return None
    return net, a, b, expected, message


def _as_recovers(stmt: ast.stmt) -> tuple[ast.expr, tuple[str, str], str, str, str] | None:
    """(NET, (x, y), a, b, message) of `check_recovers(NET, ("x", "y"), "a", "b"[, "message"])`."""
    if (parsed := _literal_call(stmt, "check_recovers", 3)) is None:
        return None
    net, (link, a, b), message = parsed
    if not (isinstance(link, tuple) and len(link) == 2 and all(isinstance(v, str) for v in (*link, a, b))):
        return None
    return net, link, a, b, message


class _Rewrite(ast.NodeTransformer):
    """Replaces each check statement, at any depth, by a report of its value to the grader."""

    def __init__(self, result: Plan):
        self.result = result

    def visit_Expr(self, node: ast.Expr):
        result, index = self.result, len(self.result.expected)
        if (found := _as_check(node)) is not None:
            expr, expected, message = found
            result.expected[index] = (expected, message)
            return ast.parse(f"_mnss_check_report({result.tag!r}, {index}, lambda: ({ast.unparse(expr)}))").body[0]
        if result.wait_dir and (found := _as_reach(node)) is not None:
            net, a, b, expected, message = found
            result.expected[index] = (expected, message)
            result.reach[index] = (a, b)
            thunk = f"lambda: __import__('mnss_kernel.grading').grading.where(({ast.unparse(net)}), {b!r})"
            call = f"_mnss_check_report({result.tag!r}, {index}, {thunk}, {result.wait_file(index)!r})"
            return ast.copy_location(ast.parse(call).body[0], node)
        if result.wait_dir and (found := _as_recovers(node)) is not None:
            net, link, a, b, message = found
            result.expected[index] = (True, message)
            result.reach[index], result.cuts[index] = (a, b), link
            engine = "__import__('mnss_kernel.grading').grading"
            thunk = f"lambda: {engine}.where(({ast.unparse(net)}), {b!r})"
            call = f"_mnss_check_report({result.tag!r}, {index}, {thunk}, {result.wait_file(index)!r})"
            relink = f"{engine}.relink(({ast.unparse(net)}), {link[0]!r}, {link[1]!r})"  # the cable back in
            return [ast.copy_location(ast.parse(line).body[0], node) for line in (call, relink)]
        return node


def plan(source: str, wait_dir: str = "") -> Plan:
    """The cell as the kernel gets it: checks in hidden blocks replaced by value reports.
    `wait_dir`: the box's ipc folder, where the grader tells the kernel a network check is
    measured (without one, `check_reach` stays a plain statement that measures in the kernel)."""
    tag = f"mnss-check-{secrets.token_hex(16)}:"
    result = Plan("", tag, wait_dir=wait_dir)
    parts = []
    for piece in pieces(source):
        if not piece.hidden:
            parts.append(piece.text)
            continue
        # a hidden block inside the visible part's `with` or `for` is indented: judged the same way
        text, indent = textwrap.dedent(piece.text), _indent(piece.text)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            parts.append(piece.text)  # broken: sent as it is, as stock nbgrader does
            continue
        block, first = [], len(result.expected)
        for stmt in tree.body:
            before = len(result.expected)
            rewritten = _Rewrite(result).visit(stmt)
            if len(result.expected) == before:
                block.append(ast.get_source_segment(text, stmt) or ast.unparse(stmt))
                continue
            if before == 0:
                block.append(REPORTER)
            block.append(ast.unparse(ast.fix_missing_locations(rewritten)))
        # a block without checks is sent exactly as written, as stock nbgrader does
        parts.append(textwrap.indent("\n".join(block), indent) if len(result.expected) > first else piece.text)
    result.box_source = "\n".join(parts)
    return result


def forget_waits(checks: Plan) -> None:
    """Remove the cell's "measured" files from the box's ipc folder (it is small)."""
    for index in checks.reach:
        Path(checks.wait_file(index)).unlink(missing_ok=True)


def _indent(text: str) -> str:
    """The whitespace every non-blank line of `text` starts with."""
    lines = [line for line in text.splitlines() if line.strip()]
    return os.path.commonprefix([line[: len(line) - len(line.lstrip())] for line in lines]) if lines else ""


def note_reports(text: str, checks: Plan, measure) -> None:
    """For each network check reported in this piece of output (as it arrives, the kernel waiting),
    `measure(where, a, b)` the loss from the trusted side, keep it, and let the kernel go on."""
    for line in text.splitlines():
        if not line.startswith(checks.tag):
            continue
        try:
            report = json.loads(line[len(checks.tag) :])
            index = int(report["i"])
        except (ValueError, KeyError, TypeError):
            continue
        if index not in checks.reach:
            continue
        try:
            if "value" in report:
                loss = measure(decode(report["value"]), *checks.reach[index], checks.cuts.get(index))
                checks.measured.setdefault(index, []).append(loss)
        except (ValueError, TypeError):
            checks.measured.setdefault(index, []).append("the kernel's report is not plain data")
        finally:
            try:
                Path(checks.wait_file(index)).touch()
            except OSError:  # the box filled its ipc folder: it waits in vain, the check fails
                checks.measured.setdefault(index, []).append("unmeasured")


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


def _verdict(reports: list[dict], expected: object, measured: list | None = None) -> str:
    """ "" when the check passed, else the key of its reason (or, for a network check, the reason)."""
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
    if measured is None:
        return "" if same(value, expected) else "wrong"
    if len(measured) != 1:
        return "unmeasured" if not measured else "twice"
    loss = measured[0]
    if isinstance(loss, str):
        return loss
    return "" if loss == (0.0 if expected else 100.0) else f"the grader measured {loss:g}% of pings lost"


def settle(cell: NotebookNode, checks: Plan) -> list[str]:
    """Judge the cell's checks from its outputs; each failure becomes an error output. Returns them."""
    if not checks.expected:
        return []
    reports = _take_reports(cell, checks.tag)
    failures = []
    for index, (expected, message) in checks.expected.items():
        measured = checks.measured.get(index, []) if index in checks.reach else None
        reason = _verdict(reports.get(index, []), expected, measured)
        if reason:
            why = REASONS.get(reason, reason if " " in reason else f"it raised {reason}")
            failures.append(f"hidden check {index + 1} of {len(checks.expected)} failed: {message or why}")
    if failures:
        cell.outputs.append(
            NotebookNode(output_type="error", ename="HiddenCheckFailed", evalue="; ".join(failures), traceback=failures)
        )
    return failures
