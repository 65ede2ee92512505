"""Command text for the kernel's network state (ip, tc, iptables, sysctl, bridge, mount, nsenter,
unshare, setpriv, prlimit, slirp4netns) is written in mnss_kernel/runtime/commands.py only.

Every string of every other module of mnss_kernel is checked (docstrings and comments aside): an
argv list starting with one of those tools (a list: tuples such as ('ip', 'gateway') name fields),
a list or tuple holding one of their telltale options, a string that reads as a command of theirs,
a line of `ip -batch`/`tc -batch` input, or an iptables rule. What remains is excused below with
its reason; an excuse that no longer matches anything fails too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mnss_kernel

KERNEL = Path(mnss_kernel.__file__).parent
HOME = "runtime/commands.py"

PROGRAMS = {"ip", "tc", "iptables", "iptables-restore", "iptables-save", "nsenter", "unshare", "sysctl"}
PROGRAMS |= {"bridge", "mount", "setpriv", "prlimit", "slirp4netns"}
OPTIONS = {"-j", "-batch", "--map-root-user", "--preserve-credentials", "--pdeathsig", "mnss-join"}
TOOLS = r"ip|tc|iptables(?:-restore|-save)?|nsenter|unshare|sysctl|bridge|setpriv|prlimit|slirp4netns"
SUBJECTS = r"-{1,2}[\w]|link\b|addr\b|address\b|route\b|netns\b|qdisc\b|class\b|filter\b|neigh\b"
TEXT = [
    re.compile(rf"(?<![\w.-])(?:{TOOLS})\s+(?:{SUBJECTS})"),  # ip -batch, tc qdisc, nsenter --net=...
    re.compile(  # a line of `ip -batch` or `tc -batch` input
        r"^(?:netns (?:add|del)|link (?:add|set|del)|addr (?:add|del)|route (?:add|replace|del|change)"
        r"|qdisc (?:add|del|change|replace)|class (?:add|change|del))\b"
    ),
    re.compile(r"(?:^|\s)-[AIDP] (?:FORWARD|INPUT|OUTPUT|POSTROUTING|PREROUTING)\b|-j (?:ACCEPT|DROP|MASQUERADE)\b"),
]

# (module, text it holds) -> why that text is no command the engine runs
EXCUSED = {
    ("topology/formats/mininet_file.py", "class MNSSNode(Node):"): (
        "the node class of an exported Mininet script: stock Mininet runs its commands, never this engine"
    ),
    ("topology/formats/containerlab.py", "^ip link set (?:dev )?"): (
        "a pattern recognising a containerlab node's exec lines on import; nothing is run"
    ),
    ("topology/formats/inventory.py", "ip address"): "a spreadsheet column title recognised on import",
    ("canvas/widget.py", "ip addr"): "the placeholder of the canvas's command box: an example for the learner",
    ("runtime/holder.py", "(unshare --net --mount --pid)"): "an error message naming the command that failed",
    ("runtime/capabilities.py", "unshare --net --mount --pid failed"): "an error message naming the failed probe",
    ("runtime/capabilities.py", "unshare --user failed"): "an error message naming the failed probe",
}


def _text(node: ast.AST) -> str:
    """A string's text; an f-string's with {} for each value put in."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def findings(source: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of command text in a module's source."""
    tree = ast.parse(source)
    inside_fstring = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr))
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            first = node.elts[0] if node.elts else None
            starts = isinstance(node, ast.List) and isinstance(first, ast.Constant) and first.value in PROGRAMS
            if starts or OPTIONS & set(words):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in docstrings | inside_fstring:
            if isinstance(node, ast.Constant) and not isinstance(node.value, str):
                continue
            text = _text(node)
            if any(pattern.search(text) for pattern in TEXT):
                found.append((node.lineno, text))
    return found


def _excuse(module: str, text: str):
    return next(((m, t) for m, t in EXCUSED if m == module and t in text), None)


def test_no_module_but_commands_holds_command_text():
    offending, used = [], set()
    for path in sorted(KERNEL.rglob("*.py")):
        module = path.relative_to(KERNEL).as_posix()
        if module == HOME:
            continue
        for line, text in findings(path.read_text()):
            excuse = _excuse(module, text)
            if excuse:
                used.add(excuse)
            else:
                offending.append(f"mnss_kernel/{module}:{line}: {text!r}")
    assert not offending, "build these in mnss_kernel/runtime/commands.py:\n" + "\n".join(offending)
    assert set(EXCUSED) == used, f"excuses that match nothing any more: {sorted(set(EXCUSED) - used)}"


def test_commands_itself_is_found_full_of_command_text():
    """The check sees what it looks for: the home of the commands trips every kind of finding."""
    texts = [text for _, text in findings((KERNEL / HOME).read_text())]
    assert any(t.startswith("['nsenter'") for t in texts)  # an argv list
    assert any(t.startswith("link add {}") for t in texts)  # an `ip -batch` line in an f-string
    assert any("-j MASQUERADE" in t for t in texts)  # iptables-restore input
    assert any(t.startswith("sysctl -qew") for t in texts)  # a shell command


def test_the_check_catches_each_form_and_spares_docstrings():
    source = '''
"""Uses `ip link` (a docstring)."""
def f(ns, spec):
    """tc qdisc add in a docstring is prose."""
    a = ["ip", "-batch", "-"]
    b = f"nsenter --net=/run/netns/{ns}"
    c = ("-s", "10.0.0.0/8", "-j", "DROP")
    d = "route replace default via 10.0.0.1"
    e = {"ip": "10.0.0.1/24"}["ip"], ("ip", "gateway")
    g = "iptables-restore" + "\\n-A FORWARD -j ACCEPT"
    return "the address of a host"
'''
    assert [line for line, _ in findings(source)] == [5, 6, 7, 8, 10]
