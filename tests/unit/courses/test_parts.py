"""Automatic and hand-graded points of an assignment, from its cells (nbgrader's max_code_score
also counts manually graded code answers, which the autograder never scores)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

from mnss_courses import parts


def _cell(kind, grade_id, points, solution=False, task=False, grade=True):
    make = new_code_cell if kind == "code" else new_markdown_cell
    meta = {"grade": grade, "solution": solution, "task": task, "locked": False, "grade_id": grade_id}
    return make("x", metadata={"nbgrader": {**meta, "points": points, "schema_version": 3}})


def test_only_autograder_tests_are_automatic():
    cells = [
        _cell("code", "answer", 0, solution=True, grade=False),  # an ungraded answer: no part
        _cell("code", "tests", 2),
        _cell("code", "manual-code", 3, solution=True),
        _cell("markdown", "written", 1, solution=True),
        _cell("markdown", "task", 4, task=True, grade=False),
    ]
    found = parts.parts_of(cells, "nb")
    assert [(p.grade_id, p.automatic) for p in found] == [
        ("tests", True),
        ("manual-code", False),
        ("written", False),
        ("task", False),
    ]
    assert (parts.automatic_points(found), parts.manual_points(found)) == (2, 8)


def test_a_scored_submission_sums_its_parts():
    tests, more = parts.Part("nb", "t1", 1, True), parts.Part("nb", "t2", 2, True)
    result = parts.Scored("ann", ((tests, 1.0), (more, 0.0)))
    assert (result.score, result.max_score) == (1.0, 3.0)
