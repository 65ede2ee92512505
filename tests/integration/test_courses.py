"""Every course in courses/ is sound: the instructor's solution earns full marks, the released blank
earns zero, no solution or hidden test leaks. Adding a broken course breaks this test (and CI).

The selected assignments are checked two at a time in worker processes (each check is a course
root, a gradebook and sandboxed kernels of its own, as two instructors grading at once are); each
test waits for its own assignment's report."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from mnss_courses import bundle
from mnss_courses.authoring import AssignmentNotebook
from mnss_courses.grader import check_assignment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COURSES = Path(__file__).resolve().parents[2] / "courses"
CATALOG = bundle.load_catalog(COURSES)
CASES = [(cid, aid) for cid, course in CATALOG.items() for aid in course.assignment_ids]


def test_there_are_courses():
    assert CASES, "courses/ holds no assignments"


def _live(course_id: str, assignment: str) -> bool:
    meta = next(a for a in CATALOG[course_id].meta["assignments"] if a["id"] == assignment)
    return meta.get("live_network", False)


def _check(course_id: str, assignment: str):
    return check_assignment(CATALOG[course_id], assignment)


@pytest.fixture(scope="module")
def reports(request):
    """(course, assignment) -> the future report of each assignment this run selected."""
    selected = [
        (item.callspec.params["course_id"], item.callspec.params["assignment"])
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_assignment_is_sound"
    ]
    runnable = [case for case in selected if os.geteuid() == 0 or not _live(*case)]
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver"))
    try:
        yield {case: pool.submit(_check, *case) for case in runnable}
    finally:
        pool.shutdown(cancel_futures=True)  # a stopped run (-x, Ctrl-C) does not check the rest


@pytest.mark.parametrize("course_id, assignment", CASES, ids=[f"{c}/{a}" for c, a in CASES])
def test_assignment_is_sound(course_id, assignment, reports):
    if _live(course_id, assignment) and os.geteuid() != 0:
        pytest.skip("its tests build live networks, which needs root")
    report = reports[(course_id, assignment)].result()
    assert report.ok, f"{course_id}/{assignment}: {report.problems}"
    assert report.max_score > 0 and report.solution_score == report.max_score and report.blank_score == 0


def _course_with(tmp_path, answer: str, tests: str):
    root = tmp_path / "broken-course"
    (
        AssignmentNotebook()
        .answer("ans", answer)
        .tests("ans-tests", 2, tests)
        .save(root / "source" / "one" / "one.ipynb")
    )
    (root / "course.yaml").write_text(
        "id: broken-course\ntitle: {zh: 坏, en: Broken}\ncategory: programming\nlevel: beginner\n"
        "assignments: [{id: one, title: {zh: 一, en: One}}]\n",
        "utf-8",
    )
    return bundle.load(root)


def test_a_wrong_solution_is_caught(tmp_path):
    course = _course_with(
        tmp_path, "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "assert f() == 2"
    )
    report = check_assignment(course, "one")
    assert "the instructor's solution scores 0 of 2; it must earn full marks" in report.problems


def test_a_blank_that_scores_is_caught(tmp_path):
    course = _course_with(tmp_path, "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION", "assert x == 1")
    report = check_assignment(course, "one")
    assert "the released blank notebook scores 2; it must score 0" in report.problems
