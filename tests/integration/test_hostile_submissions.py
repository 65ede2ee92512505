"""Submissions that cheat, graded by real nbgrader in the sandbox, then fed back with nbgrader's
generate_feedback. One submission per class of attack, all in part 2 (2 points) of a three-part
assignment: each scores 0 for part 2, keeps parts 1 and 3 (1 point each, answered honestly, part 3
tested after the attack has run), and its feedback page shows nothing of the hidden tests. (An
attack that breaks every later check, e.g. by swallowing all reports, fails those checks too: the
grader fails closed. These attacks aim at part 2 only, so part 3 shows that honest work survives.)

The hidden tests use `check(EXPR, EXPECTED)`: the expected values never enter the learner's kernel
and are compared by the trusted grader.
"""

import base64
import os
import shutil
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


@pytest.fixture(scope="module")
def graded():
    Path("/opt").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="mnss-cheats-", dir="/opt"))
    try:
        _notebook(root / "source" / AID / f"{AID}.ipynb", DOUBLE)
        grader = api(root, COURSE, cell_timeout=30, processes=64, notebook_timeout=120)
        generate(grader, AID)
        scores = {}
        for student, part2 in ATTACKS.items():
            _notebook(root / "submitted" / student / AID / f"{AID}.ipynb", part2)
            autograde(grader, AID, student)
            scores[student] = part_scores(grader, AID, student)
        done = grader.generate_feedback(AID)
        assert done["success"], done.get("error") or done.get("log")
        pages = {s: (root / "feedback" / s / AID / f"{AID}.html").read_text("utf-8") for s in ATTACKS}
        yield dict(root=root, scores=scores, pages=pages)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _part(scores, n):
    return scores[(AID, f"part{n}-tests")]


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
