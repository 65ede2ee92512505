"""Submissions that cheat, graded by real nbgrader in the sandbox, then fed back with nbgrader's
generate_feedback. One submission per class of attack, all in part 2 (2 points) of a three-part
assignment: each scores 0 for part 2, keeps parts 1 and 3 (1 point each, answered honestly, part 3
tested after the attack has run), and its feedback page shows nothing of the hidden tests. (An
attack that breaks every later check, e.g. by swallowing all reports, fails those checks too: the
grader fails closed. These attacks aim at part 2 only, so part 3 shows that honest work survives.)

The hidden tests use `check(EXPR, EXPECTED)`: the expected values never enter the learner's kernel
and are compared by the trusted grader.

A second assignment has a live-network part measured with `check_reach`: one submission builds a
broken network and patches every measuring function in its kernel to report perfect pings. The
grader measures the learner's live network itself, so that part scores 0 and the honest parts keep
their marks.

A third assignment has a path, a service and a reachability part on live labs, checked with
`check_path`, `check_service` and `check_reach` under `check_shape`: one submission fakes the
traceroute in its kernel, one fakes the service probe, and one hands the checks an easier lab of
another shape than the one asked for. The grader traces, probes and reads the lab's shape itself,
so each scores 0 for the part it cheats and keeps the other two.

One submission looks for the hidden tests on the machine instead: in a copy of the course placed
outside every folder the grader knows of, in a learner's home folder and in the repository's git
data, all readable by anyone. The box is built from an allow-list, so none of them exist in it.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mnss_courses.authoring import AssignmentNotebook
from mnss_courses.grader import api, autograde, generate, part_scores

pytestmark = [pytest.mark.integration, pytest.mark.slow]
if os.geteuid() != 0:
    pytest.skip("sandboxed autograding switches to transient uids, which needs root", allow_module_level=True)

COURSE, AID = "cheats", "one"
SECRETS = ("3217", "6434", "1009", "2018", "WARD-ROUND")  # in the hidden tests only, no attack's source
DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
WRONG = "\ndef double(x):\n    return 4 if x == 2 else 0\n"  # passes the visible test only

ATTACKS = {
    "honest": "def double(x):\n    return 2 * x",
    "hook-reads-hidden-tests": (
        "import base64\nstash = []\n"
        "def spy(info):\n"
        "    stash.append(info.raw_cell)\n"
        "    print('LE' + 'AK:' + info.raw_cell)\n"
        "    print('LE' + 'AK64:' + base64.b64encode(info.raw_cell.encode()).decode())\n"
        "get_ipython().events.register('pre_run_cell', spy)\n" + WRONG
    ),
    "asserts-disabled": (
        "import ast\n"
        "class NoAsserts(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n"
        "        return ast.Pass()\n"
        "    def visit_Expr(self, node):\n"
        "        call = node.value\n"
        "        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith('check'):\n"
        "            return ast.Pass()\n"
        "        return node\n"
        "get_ipython().ast_transformers.append(NoAsserts())\n"
        "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: [l.replace('assert ', 'assert True or ') for l in lines])\n"
        "def double(x):\n    return 0\n"
    ),
    "always-equal": (
        "class Always(int):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n"
        "    __hash__ = int.__hash__\n"
        "def double(x):\n    return Always(0)\n"
    ),
    "redefined-helpers": (
        "import mnss_kernel.checks as c, builtins\n"
        "c.check = lambda *a, **k: None\n"
        "c.same = lambda *a, **k: True\n"
        "plain = c.encode\n"
        "c.encode = lambda v, depth=0: ['int', 2000 + 18] if type(v) is int else plain(v)\n"  # a guessed value
        "builtins.check = c.check\n" + WRONG
    ),
    "reads-copies": (  # PLACES: filled in by the fixture with the copies it made
        "import json, os, re\n"
        "seen, table = {}, {}\n"
        "for place in PLACES:\n"
        "    try:\n"
        "        if os.path.isdir(place):\n"
        "            text = ''.join(open(os.path.join(d, f), errors='replace').read()\n"
        "                           for d, _, fs in os.walk(place) for f in fs)\n"
        "            text += '|'.join(os.listdir(place))\n"
        "        else:\n"
        "            text = open(place, errors='replace').read()\n"
        "        seen[place] = 'read'\n"
        "    except Exception as e:\n"
        "        seen[place] = type(e).__name__\n"
        "        continue\n"
        "    for a, b in re.findall(r'check\\(double\\((-?\\d+)\\), (-?\\d+)\\)', text):\n"
        "        table[int(a)] = int(b)\n"
        "print('SEEN' + json.dumps(seen))\n"
        "def double(x):\n"
        "    return table.get(x, 4 if x == 2 else 0)\n"
    ),
    "faked-output": (
        "import re\n"
        "def fake(info):\n"
        "    if 'double(' not in info.raw_cell:\n"
        "        return\n"
        "    for tag, i in re.findall(r\"_mnss_check_report\\('([^']+)', (\\d+)\", info.raw_cell):\n"
        '        print(tag + \'{"i": %s, "value": ["int", %d]}\' % (i, -6000 - 434))\n'
        "    print('[AutoGrader] part2-tests: 2/2 points, all hidden checks passed')\n"
        "get_ipython().events.register('pre_run_cell', fake)\n"
        "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + WRONG
    ),
}


def _notebook(path: Path, part2: str) -> None:
    (
        AssignmentNotebook()
        .answer("part1", "def part1():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
        .tests(
            "part1-tests",
            1,
            "from mnss_kernel.checks import check\nassert part1() == 1\n"
            "### BEGIN HIDDEN TESTS\ncheck(part1() * 3217, 3217)\n### END HIDDEN TESTS",
        )
        .answer("part2", part2)
        .tests(
            "part2-tests",
            2,
            "assert double(2) == 4\n"
            "### BEGIN HIDDEN TESTS\ncheck(double(-3217), -6434)\ncheck(double(1009), 2018)\n### END HIDDEN TESTS",
        )
        .answer("part3", "def shout(s):\n    ### BEGIN SOLUTION\n    return s.upper()\n    ### END SOLUTION")
        .tests(
            "part3-tests",
            1,
            "assert shout('a') == 'A'\n### BEGIN HIDDEN TESTS\ncheck(shout('ward-round'), 'WARD-ROUND')\n"
            "### END HIDDEN TESTS",
        )
        .save(path)
    )


NET_AID, END = "net", "### END HIDDEN TESTS"
WARD = (
    "ward = {'name': 'ward', 'nodes': [{'name': n, 'kind': 'host'} for n in ('h1', 'h2', 'h3')]\n"
    "        + [{'name': 's1', 'kind': 'switch'}, {'name': 's2', 'kind': 'switch'}],\n"
    "        'links': [{'a': 'h1', 'b': 's1'}, {'a': 'h2', 'b': 'SWITCH'}, {'a': 'h3', 'b': 's2'}]}\n"
)
NET_SUBMISSIONS = {
    "net-honest": WARD.replace("SWITCH", "s1"),
    "net-faked-measurements": (  # h2 is cut off from h1, and every measurement in the kernel says it is not
        WARD.replace("SWITCH", "s2") + "import pandas as pd\n"
        "from mnss_kernel import grading, measure\n"
        "def perfect(lab, src, dst, count=3, timeout=1):\n"
        "    return pd.Series({'src': src, 'dst': dst, 'dst_ip': lab.address(dst), 'sent': count,\n"
        "                      'received': count, 'loss_pct': 0.0, 'rtt_avg_ms': 0.05})\n"
        "measure.ping = perfect\n"
        "grading.LiveNetwork.loss = lambda self, a, b, count=3: 0.0 if b == 'h2' else 100.0\n"
        "grading.LiveNetwork.expect_reachable = lambda self, a, b: None\n"
        "grading.check_reach = lambda *a, **k: None\n"
        "import builtins\nbuiltins.check_reach = grading.check_reach\n"
    ),
}


def _network_notebook(path: Path, ward: str) -> None:
    (
        AssignmentNotebook()
        .answer("part1", "def part1():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
        .tests(
            "part1-tests",
            1,
            "from mnss_kernel.checks import check\n"
            "### BEGIN HIDDEN TESTS\ncheck(part1() * 3217, 3217)\n### END HIDDEN TESTS",
        )
        .answer("part2", ward)
        .tests(
            "part2-tests",
            2,
            "from mnss_kernel import grading\nfrom mnss_kernel.grading import check_reach\n"
            "### BEGIN HIDDEN TESTS\nwith grading.live(ward) as net:\n"
            "    check_reach(net, 'h1', 'h2', True)\n    check_reach(net, 'h1', 'h3', False)\n"
            "### END HIDDEN TESTS",
        )
        .answer("part3", "def shout(s):\n    ### BEGIN SOLUTION\n    return s.upper()\n    ### END SOLUTION")
        .tests(
            "part3-tests", 1, "### BEGIN HIDDEN TESTS\ncheck(shout('ward-round'), 'WARD-ROUND')\n### END HIDDEN TESTS"
        )
        .save(path)
    )


ROUTE_AID = "routes"
LINE = (
    "from mnss_kernel import grading\n"
    "def line(routes):\n"
    "    # h1 - s1 - r1 - r2 - s2 - h2, the routers with the static routes given\n"
    "    router = lambda name: {'name': name, 'kind': 'router', 'routes': routes.get(name, [])}\n"
    "    nodes = [{'name': 'h1', 'kind': 'host', 'ip': '10.9.1.10/24'},\n"
    "             {'name': 'h2', 'kind': 'host', 'ip': '10.9.2.10/24'},\n"
    "             router('r1'), router('r2'), {'name': 's1', 'kind': 'switch'}, {'name': 's2', 'kind': 'switch'}]\n"
    "    links = [{'a': 'h1', 'b': 's1'}, {'a': 's1', 'b': 'r1', 'ip_b': '10.9.1.1/24'},\n"
    "             {'a': 'r1', 'b': 'r2', 'ip_a': '10.9.0.1/30', 'ip_b': '10.9.0.2/30'},\n"
    "             {'a': 'r2', 'b': 's2', 'ip_a': '10.9.2.1/24'}, {'a': 's2', 'b': 'h2'}]\n"
    "    return {'name': 'line', 'routing': 'static', 'nodes': nodes, 'links': links}\n"
)
LINE_SHAPE = (
    "{'links': [['h1', 's1'], ['s1', 'r1'], ['r1', 'r2'], ['r2', 's2'], ['s2', 'h2']],"
    " 'addresses': {'h1': '10.9.1.10/24', 'h2': '10.9.2.10/24', 'r1': ['10.9.1.1/24', '10.9.0.1/30']}}"
)
WARD_SHAPE = "{'links': [['h1', 's1'], ['s1', 'r1'], ['r1', 's2'], ['s2', 'h2']], 'addresses': {'h1': '10.7.0.0/24'}}"
ROUTES = (
    "routes = {'r1': [{'to': '10.9.2.0/24', 'via': '10.9.0.2'}], 'r2': [{'to': '10.9.1.0/24', 'via': '10.9.0.1'}]}\n"
)
START_ECHO = (
    "import subprocess, sys\n"
    "def start_echo(lab, node, port):\n"
    "    argv = [sys.executable, '-m', 'mnss_kernel.services', 'serve', 'tcp-echo', '--port', str(port)]\n"
    "    proc = lab.popen(node, argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)\n"
    "    assert proc.stdout.readline().startswith('READY')\n"
    "    return proc\n"
)
WARD = (  # two subnets joined by r1 (the engine addresses them from its pool)
    "ward = {'name': 'ward', 'addressing': {'pool': '10.7.0.0/16'}, 'nodes': [{'name': 'h1', 'kind': 'host'},"
    " {'name': 'h2', 'kind': 'host'}, {'name': 'r1', 'kind': 'router'}, {'name': 's1', 'kind': 'switch'},"
    " {'name': 's2', 'kind': 'switch'}], 'links': [{'a': 'h1', 'b': 's1'}, {'a': 's1', 'b': 'r1'},"
    " {'a': 'r1', 'b': 's2'}, {'a': 's2', 'b': 'h2'}]}\n"
)
ROUTE_SUBMISSIONS = {
    "faked-path": {  # no routes: h1 cannot reach h2, and every path the kernel traces says it goes r1, r2
        "part1": "routes = {}\n"
        "import builtins, pandas\nfrom mnss_kernel import grading, measure\n"
        "grading.path_of = lambda lab, a, b: ['r1', 'r2', 'h2']\n"
        "grading.check_path = lambda *a, **k: None\nbuiltins.check_path = grading.check_path\n"
        "measure.traceroute = lambda *a, **k: pandas.DataFrame({'node': ['r1', 'r2', 'h2']})\n"
    },
    "faked-service": {  # no echo server at all, and every probe in the kernel says it answered
        "part2": "import builtins\nfrom mnss_kernel import grading, services\n"
        "ok = lambda *a, **k: {'service': 'tcp-echo', 'server': '10.9.2.10', 'port': 7007, 'ok': True,\n"
        "                      'rtt_ms': 0.1, 'detail': 'echoed 43 bytes'}\n"
        "def start_echo(lab, node, port):\n    return None\n"
        "grading.probe_row = ok\nservices.probe = lambda kind: ok\nservices.tcp_echo = ok\n"
        "grading.service_verdict = lambda row, expected: ''\n"
        "grading.check_service = lambda *a, **k: None\nbuiltins.check_service = grading.check_service\n"
    },
    "second-lab": {  # h2's switch is not wired to r1; the checks are handed an easy lab of another shape
        "part3": WARD.replace("{'a': 'r1', 'b': 's2'}, ", "")
        + "from mnss_kernel import grading\nreal_live = grading.live\n"
        "EASY = {'name': 'easy', 'nodes': [{'name': n, 'kind': 'host'} for n in ('h1', 'h2')]\n"
        "        + [{'name': 's1', 'kind': 'switch'}], 'links': [{'a': 'h1', 'b': 's1'}, {'a': 'h2', 'b': 's1'}]}\n"
        "grading.live = lambda topology: real_live(EASY)\n"
    },
}


def _route_notebook(path: Path, answers: dict[str, str]) -> None:
    """Three parts on live labs, 1 point each: the routes' path, an echo service, the ward's reach."""
    solution = {"part1": ROUTES, "part2": START_ECHO, "part3": WARD}
    cells = {**{k: f"### BEGIN SOLUTION\n{v}### END SOLUTION" for k, v in solution.items()}, **answers}
    (
        AssignmentNotebook()
        .code(LINE)
        .answer("part1", cells["part1"])
        .tests(
            "part1-tests",
            1,
            "### BEGIN HIDDEN TESTS\nfrom mnss_kernel.grading import check_path, check_shape\n"
            f"with grading.live(line(routes)) as net:\n    check_shape(net, {LINE_SHAPE})\n"
            "    check_path(net, 'h1', 'h2', ['r1', 'r2', 'h2'])\n" + END,
        )
        .answer("part2", cells["part2"])
        .tests(
            "part2-tests",
            1,
            "with grading.live(line(routes)) as net:\n    server = start_echo(net.lab, 'h2', 7007)\n"
            "    ### BEGIN HIDDEN TESTS\n    from mnss_kernel.grading import check_service\n"
            "    check_service(net, 'r2', 'h2', 'tcp-echo', 7007, True)\n    " + END,
        )
        .answer("part3", cells["part3"])
        .tests(
            "part3-tests",
            1,
            "### BEGIN HIDDEN TESTS\nfrom mnss_kernel.grading import check_reach, check_shape\n"
            f"with grading.live(ward) as net:\n    check_shape(net, {WARD_SHAPE})\n"
            "    check_reach(net, 'h1', 'h2', True)\n" + END,
        )
        .save(path)
    )


def _git_folders() -> list[str]:
    """The repository's git data: the worktree's own folder and the shared one (or the one .git)."""
    repo = Path(__file__).resolve().parents[2]
    asked = ["git", "-C", str(repo), "rev-parse", "--absolute-git-dir", "--git-common-dir"]
    found = subprocess.run(asked, capture_output=True, text=True, check=True).stdout.split()
    return list(dict.fromkeys(str((repo / f).resolve()) for f in found))


def _world_readable_copy(notebook: Path, target: Path) -> None:
    target.parent.mkdir(parents=True)
    shutil.copy(notebook, target)
    for path in [target, *target.parents]:
        if path in (Path("/opt"), Path("/var/lib")):
            break
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture(scope="module")
def copies():
    """The course's source (hidden tests included) where nobody would think to hide it: a second
    catalog under /opt and a learner's home folder under /var/lib, readable by anyone."""
    made = [Path(tempfile.mkdtemp(prefix="mnss-catalog-copy-", dir="/opt"))]
    made.append(Path(tempfile.mkdtemp(prefix="mnss-homes-", dir="/var/lib")))
    try:
        yield made
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(copies):
    Path("/opt").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="mnss-cheats-", dir="/opt"))
    try:
        source = root / "source" / AID / f"{AID}.ipynb"
        _notebook(source, DOUBLE)
        _network_notebook(
            root / "source" / NET_AID / f"{NET_AID}.ipynb",
            "### BEGIN SOLUTION\n" + WARD.replace("SWITCH", "s1") + "### END SOLUTION",
        )
        catalog, homes = copies
        _world_readable_copy(source, catalog / COURSE / "source" / AID / f"{AID}.ipynb")
        _world_readable_copy(source, homes / "alice" / COURSE / AID / f"{AID}.ipynb")
        places = [str(catalog), str(homes / "alice"), *_git_folders()]
        grader = api(root, COURSE, cell_timeout=30, processes=64, notebook_timeout=120)
        generate(grader, AID)
        generate(grader, NET_AID)
        scores = {}
        for student, ward in NET_SUBMISSIONS.items():
            _network_notebook(root / "submitted" / student / NET_AID / f"{NET_AID}.ipynb", ward)
            autograde(grader, NET_AID, student)
            scores[student] = part_scores(grader, NET_AID, student)
        _route_notebook(root / "source" / ROUTE_AID / f"{ROUTE_AID}.ipynb", {})
        generate(grader, ROUTE_AID)
        for student, answers in ROUTE_SUBMISSIONS.items():
            solution = {"part1": ROUTES, "part2": START_ECHO, "part3": WARD}
            _route_notebook(root / "submitted" / student / ROUTE_AID / f"{ROUTE_AID}.ipynb", {**solution, **answers})
            autograde(grader, ROUTE_AID, student)
            scores[student] = part_scores(grader, ROUTE_AID, student)
        for student, part2 in ATTACKS.items():
            part2 = part2.replace("PLACES", repr(places))
            _notebook(root / "submitted" / student / AID / f"{AID}.ipynb", part2)
            autograde(grader, AID, student)
            scores[student] = part_scores(grader, AID, student)
        done = grader.generate_feedback(AID)
        assert done["success"], done.get("error") or done.get("log")
        pages = {s: (root / "feedback" / s / AID / f"{AID}.html").read_text("utf-8") for s in ATTACKS}
        done = grader.generate_feedback(NET_AID)
        assert done["success"], done.get("error") or done.get("log")
        for s in NET_SUBMISSIONS:
            pages[s] = (root / "feedback" / s / NET_AID / f"{NET_AID}.html").read_text("utf-8")
        done = grader.generate_feedback(ROUTE_AID)
        assert done["success"], done.get("error") or done.get("log")
        for s in ROUTE_SUBMISSIONS:
            pages[s] = (root / "feedback" / s / ROUTE_AID / f"{ROUTE_AID}.html").read_text("utf-8")
        yield dict(root=root, scores=scores, pages=pages, places=places)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _part(scores, n, aid=AID):
    return scores[(aid, f"part{n}-tests")]


def test_the_honest_submission_gets_every_point(graded):
    assert [_part(graded["scores"]["honest"], n) for n in (1, 2, 3)] == [1, 2, 1]


@pytest.mark.parametrize("student", [s for s in ATTACKS if s != "honest"])
def test_the_cheated_part_scores_zero_and_the_honest_parts_keep_their_marks(graded, student):
    scores = graded["scores"][student]
    assert [_part(scores, n) for n in (1, 2, 3)] == [1, 0, 1], scores


@pytest.mark.parametrize("student", list(ATTACKS))
def test_no_feedback_page_shows_the_hidden_tests(graded, student):
    page = graded["pages"][student]
    assert "part2-tests" in page or "double(2)" in page  # the page is the real feedback
    for secret in SECRETS:
        assert secret not in page, (student, secret)
    assert "LEAK" not in page and "mnss-check-" not in page and "HIDDEN TESTS" not in page
    encoded = base64.b64encode(b"check(double(").decode()[:12]
    assert encoded not in page


def test_a_working_network_gets_every_point(graded):
    assert [_part(graded["scores"]["net-honest"], n, NET_AID) for n in (1, 2, 3)] == [1, 2, 1]


def test_faked_measurements_of_a_broken_network_score_zero_for_that_part(graded):
    """The grader pings in the learner's namespaces itself; the patched kernel cannot change that."""
    scores = graded["scores"]["net-faked-measurements"]
    assert [_part(scores, n, NET_AID) for n in (1, 2, 3)] == [1, 0, 1], scores
    nb = json.loads(
        (graded["root"] / "autograded" / "net-faked-measurements" / NET_AID / f"{NET_AID}.ipynb").read_text()
    )
    failed = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("ename") == "HiddenCheckFailed"]
    assert len(failed) == 1 and "the grader measured 100% of pings lost" in failed[0]["evalue"], failed


@pytest.mark.parametrize("student", list(NET_SUBMISSIONS))
def test_no_feedback_page_shows_the_hidden_network_checks(graded, student):
    page = graded["pages"][student]
    assert "part2-tests" in page
    for secret in ("check_reach(net", "'h3', False", "grading.live(ward)", "mnss-check-", "HIDDEN TESTS"):
        assert secret not in page, (student, secret)


def test_copies_of_the_course_homes_and_git_data_do_not_exist_in_the_box(graded):
    """The copies are readable by anyone on the machine; the probe must not have read any of them."""
    nb = json.loads((graded["root"] / "autograded" / "reads-copies" / AID / f"{AID}.ipynb").read_text("utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "SEEN" in printed, printed[-2000:]
    seen = json.loads(printed.split("SEEN", 1)[1].splitlines()[0])
    assert sorted(seen) == sorted(graded["places"])
    assert all(how == "FileNotFoundError" for how in seen.values()), seen
    for place in graded["places"][:2]:  # the copies are there, and readable, outside the box
        assert any(p.read_text("utf-8").count("check(double(") for p in Path(place).rglob("*.ipynb"))


def _hidden_failures(root: Path, student: str, aid: str) -> dict[str, str]:
    nb = json.loads((root / "autograded" / student / aid / f"{aid}.ipynb").read_text("utf-8"))
    return {
        c["metadata"]["nbgrader"]["grade_id"]: o["evalue"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if o.get("ename") == "HiddenCheckFailed"
    }


@pytest.mark.parametrize(
    "student, cheated, why",
    [
        ("faked-path", 1, "the grader's traceroute saw"),
        ("faked-service", 2, "the probe failed"),
        ("second-lab", 3, "the lab is not the one the assignment asks for"),
    ],
)
def test_a_faked_route_service_or_lab_scores_zero_for_that_part_only(graded, student, cheated, why):
    """The grader traces, probes and reads the lab's shape itself, in the lab the kernel ran."""
    scores = graded["scores"][student]
    assert [_part(scores, n, ROUTE_AID) for n in (1, 2, 3)] == [0 if n == cheated else 1 for n in (1, 2, 3)], scores
    failed = _hidden_failures(graded["root"], student, ROUTE_AID)
    assert list(failed) == [f"part{cheated}-tests"] and why in failed[f"part{cheated}-tests"], failed


@pytest.mark.parametrize("student", list(ROUTE_SUBMISSIONS))
def test_no_feedback_page_shows_the_hidden_route_and_service_checks(graded, student):
    page = graded["pages"][student]
    assert "part2-tests" in page
    hidden = ("check_shape", "'tcp-echo', 7007, True", "check_reach(net", "['r1', 's2']", "10.7.0.0/24")
    for secret in (*hidden, "mnss-check-", "HIDDEN TESTS"):
        assert secret not in page, (student, secret)
