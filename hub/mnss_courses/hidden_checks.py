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
ends); the kernel then puts it back as planned (`mnss_kernel.grading.relink`). The same way the
grader traces `check_path(NET, "a", "b", ["r1", "b"])`, probes `check_service(NET, "client",
"server", "dicom-echo", 11112, True|False|"blocked")` and reads `check_shape(NET, {...})`; a cell
with a `check_shape` has every lab it measures checked against that shape first (`live_measure`).
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

from mnss_kernel import grading, shape as lab_shape
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
SERVICE_OUTCOMES = (True, False, grading.BLOCKED)


@dataclass(frozen=True)
class LiveCheck:
    """A network check the grader measures: `kind` reach, path, service or shape; from `a` to `b`
    (service: client to server); `cut` a link pulled first; `service` (probe kind, port, timeout)."""

    kind: str
    a: str = ""
    b: str = ""
    cut: tuple[str, str] | None = None
    service: tuple[str, int, int] = ("", 0, 0)
    shape: dict | None = None


@dataclass
class Plan:
    """What the kernel is sent for one test cell, and what only the grader keeps."""

    box_source: str
    tag: str = ""
    expected: dict[int, tuple[object, str]] = field(default_factory=dict)  # index -> (literal, message)
    live: dict[int, LiveCheck] = field(default_factory=dict)  # index -> what the grader measures
    shapes: list[dict] = field(default_factory=list)  # every lab measured in the cell must have these
    wait_dir: str = ""
    measured: dict[int, list] = field(default_factory=dict)  # index -> what was measured, or why not

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


def _as_path(stmt: ast.stmt) -> tuple[ast.expr, LiveCheck, list[str], str] | None:
    """(NET, check, hops, message) of `check_path(NET, "a", "b", ["hop", ..., "b"][, "message"])`."""
    if (parsed := _literal_call(stmt, "check_path", 3)) is None:
        return None
    net, (a, b, hops), message = parsed
    if not (isinstance(hops, (list, tuple)) and all(isinstance(v, str) for v in (a, b, *hops))):
        return None
    return net, LiveCheck("path", a, b), list(hops), message


def _as_service(stmt: ast.stmt) -> tuple[ast.expr, LiveCheck, object, str] | None:
    """(NET, check, expected, message) of `check_service(NET, "client", "server", "kind", PORT,
    True|False|"blocked"[, "message"])`."""
    if (parsed := _literal_call(stmt, "check_service", 5)) is None:
        return None
    net, (client, server, kind, port, expected), message = parsed
    if not (
        all(isinstance(v, str) for v in (client, server, kind))
        and type(port) is int
        and 1 <= port <= 65535
        and any(expected is o or (type(expected) is str and expected == o) for o in SERVICE_OUTCOMES)
    ):
        return None
    service = (kind, port, grading.probe_timeout(expected))
    return net, LiveCheck("service", client, server, service=service), expected, message


def _as_shape(stmt: ast.stmt) -> tuple[ast.expr, LiveCheck, str] | None:
    """(NET, check, message) of `check_shape(NET, {SHAPE}[, "message"])` with a well-formed SHAPE."""
    if (parsed := _literal_call(stmt, "check_shape", 1)) is None:
        return None
    net, (shape,), message = parsed
    try:
        lab_shape.required_nodes(shape)
    except lab_shape.ShapeError:
        return None  # sent as written: the kernel's check_shape names the author's mistake
    return net, LiveCheck("shape", shape=shape), message


def _live(stmt: ast.stmt) -> tuple[ast.expr, LiveCheck, object, str] | None:
    """(NET, check, expected, message) of any network check the grader measures itself."""
    if (found := _as_reach(stmt)) is not None:
        net, a, b, expected, message = found
        return net, LiveCheck("reach", a, b), expected, message
    if (found := _as_recovers(stmt)) is not None:
        net, link, a, b, message = found
        return net, LiveCheck("reach", a, b, cut=link), True, message
    if (found := _as_path(stmt)) is not None or (found := _as_service(stmt)) is not None:
        return found
    if (found := _as_shape(stmt)) is not None:
        net, check, message = found
        return net, check, True, message
    return None


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
        if not result.wait_dir or (found := _live(node)) is None:
            return node
        net, check, expected, message = found
        result.expected[index], result.live[index] = (expected, message), check
        if check.shape is not None:
            result.shapes.append(check.shape)
        engine = "__import__('mnss_kernel.grading').grading"
        thunk = f"lambda: {engine}.where(({ast.unparse(net)}), {check.b!r})"
        lines = [f"_mnss_check_report({result.tag!r}, {index}, {thunk}, {result.wait_file(index)!r})"]
        if check.cut:
            lines.append(f"{engine}.relink(({ast.unparse(net)}), {check.cut[0]!r}, {check.cut[1]!r})")  # cable back in
        return [ast.copy_location(ast.parse(line).body[0], node) for line in lines]


def plan(source: str, wait_dir: str = "") -> Plan:
    """The cell as the kernel gets it: checks in hidden blocks replaced by value reports.
    `wait_dir`: the box's ipc folder, where the grader tells the kernel a network check is
    measured (without one, network checks stay plain statements that measure in the kernel)."""
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
            for new in rewritten if isinstance(rewritten, list) else [rewritten]:  # a statement may become two
                block.append(ast.unparse(ast.fix_missing_locations(new)))
        # a block without checks is sent exactly as written, as stock nbgrader does
        parts.append(textwrap.indent("\n".join(block), indent) if len(result.expected) > first else piece.text)
    result.box_source = "\n".join(parts)
    return result


def forget_waits(checks: Plan) -> None:
    """Remove the cell's "measured" files from the box's ipc folder (it is small)."""
    for index in checks.live:
        Path(checks.wait_file(index)).unlink(missing_ok=True)


def _indent(text: str) -> str:
    """The whitespace every non-blank line of `text` starts with."""
    lines = [line for line in text.splitlines() if line.strip()]
    return os.path.commonprefix([line[: len(line) - len(line.lstrip())] for line in lines]) if lines else ""


def note_reports(text: str, checks: Plan, measure) -> None:
    """For each network check reported in this piece of output (as it arrives, the kernel waiting),
    `measure(where, check, shapes)` from the trusted side, keep it, and let the kernel go on."""
    for line in text.splitlines():
        if not line.startswith(checks.tag):
            continue
        try:
            report = json.loads(line[len(checks.tag) :])
            index = int(report["i"])
        except (ValueError, KeyError, TypeError):
            continue
        if index not in checks.live:
            continue
        try:
            if "value" in report:
                found = measure(decode(report["value"]), checks.live[index], checks.shapes)
                checks.measured.setdefault(index, []).append(found)
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


def _judge(check: LiveCheck, expected: object, found: object) -> str:
    """ "" when what the grader measured is what the check expects, else why not."""
    if check.kind == "path":
        return "" if found == expected else f"the grader's traceroute saw {found}"
    if check.kind == "service":
        return grading.service_verdict(found, expected)
    if check.kind == "shape":
        return "" if not found else "the lab is not the one the assignment asks for: " + "; ".join(found)
    return "" if found == (0.0 if expected else 100.0) else f"the grader measured {found:g}% of pings lost"


def _verdict(reports: list[dict], expected: object, check: LiveCheck | None = None, measured: list = ()) -> str:
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
    if check is None:
        return "" if same(value, expected) else "wrong"
    if len(measured) != 1:
        return "unmeasured" if not measured else "twice"
    found = measured[0]
    return found if isinstance(found, str) else _judge(check, expected, found)


def settle(cell: NotebookNode, checks: Plan) -> list[str]:
    """Judge the cell's checks from its outputs; each failure becomes an error output. Returns them."""
    if not checks.expected:
        return []
    reports = _take_reports(cell, checks.tag)
    failures = []
    for index, (expected, message) in checks.expected.items():
        check = checks.live.get(index)
        reason = _verdict(reports.get(index, []), expected, check, checks.measured.get(index, []))
        if reason:
            why = REASONS.get(reason, reason if " " in reason else f"it raised {reason}")
            failures.append(f"hidden check {index + 1} of {len(checks.expected)} failed: {message or why}")
    if failures:
        cell.outputs.append(
            NotebookNode(output_type="error", ename="HiddenCheckFailed", evalue="; ".join(failures), traceback=failures)
        )
    return failures
