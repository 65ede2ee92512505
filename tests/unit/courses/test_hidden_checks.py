"""Hidden `check(EXPR, EXPECTED)` tests: the kernel gets EXPR only, the grader keeps EXPECTED and
judges plain data with exact types; missing, repeated, foreign or wrong values fail the cell."""

import json

import pytest
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell

from mnss_courses import hidden_checks
from mnss_courses.hidden_checks import LiveCheck
from mnss_kernel import checks

CELL = (
    "from mnss_kernel.checks import check\n"
    "assert double(2) == 4\n"
    "### BEGIN HIDDEN TESTS\n"
    "check(double(-3), -6)\n"
    "assert double(0) == 0\n"
    "check(double(1.5), 3.0, 'floats double too')\n"
    "### END HIDDEN TESTS"
)


def _ran(plan, values) -> NotebookNode:
    """A cell as the kernel would leave it, the reporter having printed `values` ({index: value})."""
    lines = ["learner output\n"]
    for index, value in values.items():
        body = {"i": index, **({"error": value.name} if isinstance(value, Raised) else {"value": value})}
        lines.append(plan.tag + json.dumps(body) + "\n")
    cell = new_code_cell(CELL)
    cell.outputs = [NotebookNode(output_type="stream", name="stdout", text="".join(lines))]
    return cell


class Raised:
    def __init__(self, name):
        self.name = name


def test_expected_values_never_reach_the_kernel():
    plan = hidden_checks.plan(CELL)
    box = plan.box_source.replace(plan.tag, "<tag>")  # the random tag may itself read "mnss-check-6..."
    assert "-6" not in box and "3.0" not in box and "floats double" not in box
    assert "double(-3)" in plan.box_source and "assert double(0) == 0" in plan.box_source
    assert "BEGIN HIDDEN" not in plan.box_source
    assert plan.expected == {0: (-6, ""), 1: (3.0, "floats double too")}
    compile(plan.box_source, "cell", "exec")


def test_each_plan_has_its_own_tag():
    assert hidden_checks.plan(CELL).tag != hidden_checks.plan(CELL).tag


def test_right_values_pass_and_the_report_lines_are_removed():
    plan = hidden_checks.plan(CELL)
    cell = _ran(plan, {0: checks.encode(-6), 1: checks.encode(3.0)})
    assert hidden_checks.settle(cell, plan) == []
    assert [o.text for o in cell.outputs] == ["learner output\n"]


@pytest.mark.parametrize(
    "values, reason",
    [
        ({0: checks.encode(-5), 1: checks.encode(3.0)}, "not the expected one"),
        ({0: checks.encode(-6.0), 1: checks.encode(3.0)}, "not the expected one"),  # float is not int
        ({0: checks.encode(True), 1: checks.encode(3.0)}, "not the expected one"),  # bool is not int
        ({1: checks.encode(3.0)}, "no result"),
        ({0: Raised("NotPlainData"), 1: checks.encode(3.0)}, "not plain data"),
        ({0: Raised("NameError"), 1: checks.encode(3.0)}, "raised NameError"),
        ({0: ["Always", 1], 1: checks.encode(3.0)}, "not plain data"),
    ],
)
def test_wrong_missing_or_foreign_values_fail_the_cell(values, reason):
    plan = hidden_checks.plan(CELL)
    cell = _ran(plan, values)
    failures = hidden_checks.settle(cell, plan)
    assert len(failures) == 1 and reason in failures[0] and "check 1 of 2" in failures[0]
    assert cell.outputs[-1].output_type == "error"


def test_a_faked_second_report_fails_the_check():
    plan = hidden_checks.plan(CELL)
    cell = _ran(plan, {0: checks.encode(-6), 1: checks.encode(3.0)})
    fake = plan.tag + '{"i": 0, "value": ["int", -6]}\n'
    cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=fake))
    assert "more than one" in hidden_checks.settle(cell, plan)[0]


def test_the_authors_message_is_the_reason_shown():
    plan = hidden_checks.plan(CELL)
    failures = hidden_checks.settle(_ran(plan, {0: checks.encode(-6), 1: checks.encode(2.0)}), plan)
    assert failures == ["hidden check 2 of 2 failed: floats double too"]


def test_cells_without_checks_are_sent_unchanged_but_for_the_markers():
    source = "assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f() + 0 == 1\n### END HIDDEN TESTS"
    plan = hidden_checks.plan(source)
    assert plan.box_source == "assert f() == 1\nassert f() + 0 == 1" and plan.expected == {}
    cell = new_code_cell(source)
    assert hidden_checks.settle(cell, plan) == []


def test_a_check_with_a_computed_expectation_stays_a_plain_statement():
    """Only literals can be kept out of the kernel; anything else runs there, as stock nbgrader does."""
    plan = hidden_checks.plan("### BEGIN HIDDEN TESTS\ncheck(f(), g())\n### END HIDDEN TESTS")
    assert plan.expected == {} and plan.box_source == "check(f(), g())"


@pytest.mark.parametrize(
    "value",
    [None, True, 3, 2.5, float("inf"), "x", [1, "a"], (1, (2.0,)), {"a": [1, {"b": None}]}, []],
)
def test_plain_data_survives_the_round_trip_with_its_exact_type(value):
    back = checks.decode(json.loads(json.dumps(checks.encode(value))))
    assert checks.same(back, value) and type(back) is type(value)


@pytest.mark.parametrize("value", [object(), type("Int", (int,), {})(3), {1: 2}, {"a": {1, 2}}])
def test_anything_else_is_not_plain_data(value):
    with pytest.raises(checks.NotPlainData):
        checks.encode(value)


def test_check_in_the_kernel_rejects_an_always_equal_object():
    class Always:
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="plain data"):
        checks.check(Always(), 4)
    with pytest.raises(AssertionError, match="expected 4"):
        checks.check(4.0, 4)
    checks.check([1, (2, "x")], [1, (2, "x")])


REACH = (
    "from mnss_kernel import grading\n"
    "### BEGIN HIDDEN TESTS\n"
    "with grading.live(ward) as net:\n"
    "    for _ in range(1):\n"
    "        check_reach(net, 'ns1', 'emr1', True)\n"
    "    check_reach(net, 'guest1', 'emr1', False, 'guests stay out')\n"
    "### END HIDDEN TESTS"
)
WHERE = ["grader-ab12cd", "10.0.0.4"]


def _reach_ran(plan, losses, reported=(0, 1)):
    """The kernel's reports as they arrive (each measured by `losses` then), then the whole cell."""
    asked = []

    def measure(where, check, shapes):
        asked.append((where, check.a, check.b))
        return losses[(check.a, check.b)]

    text = "".join(plan.tag + json.dumps({"i": i, "value": checks.encode(WHERE)}) + "\n" for i in reported)
    hidden_checks.note_reports(text, plan, measure)
    cell = new_code_cell(REACH)
    cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=text)]
    return cell, asked


def test_a_network_check_sends_the_kernel_only_where_to_measure(tmp_path):
    plan = hidden_checks.plan(REACH, str(tmp_path))
    assert plan.live == {0: LiveCheck("reach", "ns1", "emr1"), 1: LiveCheck("reach", "guest1", "emr1")}
    assert plan.expected == {0: (True, ""), 1: (False, "guests stay out")}
    sent = plan.box_source.replace(hidden_checks.REPORTER, "")
    assert "check_reach" not in sent and "True" not in sent and "False" not in sent
    assert "stay out" not in sent and ".where(net, 'emr1')" in sent
    assert "with grading.live(ward) as net:" in plan.box_source  # the lab is up while it is measured
    compile(plan.box_source, "cell", "exec")


def test_network_checks_are_judged_on_what_the_grader_measured(tmp_path):
    plan = hidden_checks.plan(REACH, str(tmp_path))
    cell, asked = _reach_ran(plan, {("ns1", "emr1"): 0.0, ("guest1", "emr1"): 100.0})
    assert asked == [(WHERE, "ns1", "emr1"), (WHERE, "guest1", "emr1")]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{plan.tag[:-1]}-{i}.measured" for i in (0, 1)]
    assert hidden_checks.settle(cell, plan) == []


@pytest.mark.parametrize(
    "losses, reported, reason",
    [
        ({("ns1", "emr1"): 100.0, ("guest1", "emr1"): 100.0}, (0, 1), "check 1 of 2 failed: the grader measured 100%"),
        ({("ns1", "emr1"): 0.0, ("guest1", "emr1"): 33.3}, (0, 1), "check 2 of 2 failed: guests stay out"),
        ({("ns1", "emr1"): "unmeasured", ("guest1", "emr1"): 100.0}, (0, 1), "could not measure the network"),
        ({("ns1", "emr1"): 0.0, ("guest1", "emr1"): 100.0}, (0, 0, 1), "more than one"),
        ({("ns1", "emr1"): 0.0, ("guest1", "emr1"): 100.0}, (1,), "check 1 of 2 failed: it gave no result"),
    ],
)
def test_a_network_that_does_not_measure_right_fails_the_cell(tmp_path, losses, reported, reason):
    plan = hidden_checks.plan(REACH, str(tmp_path))
    cell, _ = _reach_ran(plan, losses, reported)
    failures = hidden_checks.settle(cell, plan)
    assert len(failures) == 1 and reason in failures[0], failures


def test_a_report_the_grader_did_not_measure_fails_even_with_the_right_kernel_value(tmp_path):
    plan = hidden_checks.plan(REACH, str(tmp_path))
    text = "".join(plan.tag + json.dumps({"i": i, "value": checks.encode(WHERE)}) + "\n" for i in (0, 1))
    cell = new_code_cell(REACH)
    cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=text)]
    failures = hidden_checks.settle(cell, plan)
    assert len(failures) == 2 and "could not measure" in failures[0], failures


def test_without_a_box_check_reach_stays_a_statement_that_measures_in_the_kernel():
    plan = hidden_checks.plan(REACH)
    assert plan.live == {} and "check_reach(net, 'ns1', 'emr1', True)" in plan.box_source


def test_checks_in_a_hidden_block_inside_the_visible_with_are_judged_by_the_grader_too(tmp_path):
    source = (
        "with grading.live(ward) as net:\n"
        "    net.expect_reachable('ns1', 'emrweb')\n"
        "    ### BEGIN HIDDEN TESTS\n"
        "    check_reach(net, 'guest1', 'db1', False)\n"
        "    check(len(net.lab.topology.nodes), 7)\n"
        "    ### END HIDDEN TESTS"
    )
    plan = hidden_checks.plan(source, str(tmp_path))
    assert plan.expected == {0: (False, ""), 1: (7, "")} and plan.live == {0: LiveCheck("reach", "guest1", "db1")}
    lines = plan.box_source.splitlines()
    assert lines[:2] == source.splitlines()[:2] and all(line.startswith("    ") for line in lines[1:])
    compile(plan.box_source, "cell", "exec")


def test_a_recovery_check_has_the_grader_cut_the_link_and_the_kernel_put_it_back(tmp_path):
    source = (
        "### BEGIN HIDDEN TESTS\nwith grading.live(c) as net:\n    check_recovers(net, ('ra', 'rb'), 'wsa', 'wsb')\n"
    )
    plan = hidden_checks.plan(source + "### END HIDDEN TESTS", str(tmp_path))
    assert plan.expected == {0: (True, "")} and plan.live == {0: LiveCheck("reach", "wsa", "wsb", cut=("ra", "rb"))}
    sent = plan.box_source.replace(hidden_checks.REPORTER, "")
    assert "check_recovers" not in sent and ".relink(net, 'ra', 'rb')" in sent.splitlines()[-1]
    asked = []
    text = plan.tag + json.dumps({"i": 0, "value": checks.encode(WHERE)}) + "\n"
    hidden_checks.note_reports(text, plan, lambda *args: asked.append(args) or 0.0)
    assert asked == [(WHERE, LiveCheck("reach", "wsa", "wsb", cut=("ra", "rb")), [])]


ROUTES = (
    "### BEGIN HIDDEN TESTS\n"
    "with grading.live(campus(routes)) as net:\n"
    "    check_shape(net, {'links': [['wsa', 'ra'], ['ra', 'emr1']], 'addresses': {'wsa': '10.0.1.10/24'}})\n"
    "    check_path(net, 'wsa', 'emr1', ['ra', 'emr1'], 'wsa goes through ra')\n"
    "    check_service(net, 'wsa', 'emr1', 'http', 8080, 'blocked')\n"
    "### END HIDDEN TESTS"
)


def test_path_service_and_shape_checks_send_the_kernel_only_where_to_measure(tmp_path):
    plan = hidden_checks.plan(ROUTES, str(tmp_path))
    shape = {"links": [["wsa", "ra"], ["ra", "emr1"]], "addresses": {"wsa": "10.0.1.10/24"}}
    assert plan.live == {
        0: LiveCheck("shape", shape=shape),
        1: LiveCheck("path", "wsa", "emr1"),
        2: LiveCheck("service", "wsa", "emr1", service=("http", 8080, 1)),
    }
    assert plan.shapes == [shape]
    assert plan.expected == {0: (True, ""), 1: (["ra", "emr1"], "wsa goes through ra"), 2: ("blocked", "")}
    sent = plan.box_source.replace(hidden_checks.REPORTER, "")
    for secret in ("check_path", "check_s", "10.0.1.10", "'ra'", "blocked", "8080", "through"):
        assert secret not in sent, secret
    assert sent.count(".where(net, 'emr1')") == 2 and ".where(net, '')" in sent
    compile(plan.box_source, "cell", "exec")


def _judged(plan, found: dict) -> list[str]:
    text = "".join(plan.tag + json.dumps({"i": i, "value": checks.encode(WHERE)}) + "\n" for i in plan.live)
    seen = []

    def measure(where, check, shapes):
        seen.append(shapes)
        return found[check.kind]

    hidden_checks.note_reports(text, plan, measure)
    assert all(s == plan.shapes for s in seen)  # every measurement is told the cell's shapes
    cell = new_code_cell(ROUTES)
    cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=text)]
    return hidden_checks.settle(cell, plan)


GOOD = {"shape": [], "path": ["ra", "emr1"], "service": {"ok": False, "detail": "timed out after 2 s"}}


def test_what_the_grader_measured_is_judged_against_the_literals(tmp_path):
    assert _judged(hidden_checks.plan(ROUTES, str(tmp_path)), GOOD) == []


@pytest.mark.parametrize(
    "found, reason",
    [
        ({"shape": ["missing links: ra-emr1"]}, "check 1 of 3 failed: the lab is not the one the assignment asks for"),
        ({"path": ["rb", "ra", "emr1"]}, "check 2 of 3 failed: wsa goes through ra"),
        ({"service": {"ok": False, "detail": "connection refused"}}, "check 3 of 3 failed: the server refused it"),
        ({"service": {"ok": True, "detail": "HTTP 200"}}, "check 3 of 3 failed: the probe succeeded"),
        ({"path": "unmeasured"}, "check 2 of 3 failed: wsa goes through ra"),
    ],
)
def test_a_measurement_that_differs_fails_its_check(tmp_path, found, reason):
    failures = _judged(hidden_checks.plan(ROUTES, str(tmp_path)), {**GOOD, **found})
    assert len(failures) == 1 and reason in failures[0], failures


@pytest.mark.parametrize(
    "statement",
    [
        "check_service(net, 'a', 'b', 'http', 0, True)",  # no such port
        "check_service(net, 'a', 'b', 'http', 80, 'maybe')",  # not an outcome
        "check_service(net, 'a', 'b', 'http', True, True)",  # a bool is not a port
        "check_path(net, 'a', 'b', 'r1')",  # hops must be a list
        "check_shape(net, {'links': [['a']]})",  # not a pair: the kernel's check_shape says so
        "check_shape(net, shape_of_mine)",  # not a literal
    ],
)
def test_malformed_network_checks_stay_plain_statements(tmp_path, statement):
    plan = hidden_checks.plan(f"### BEGIN HIDDEN TESTS\n{statement}\n### END HIDDEN TESTS", str(tmp_path))
    assert plan.live == {} and plan.box_source == statement
