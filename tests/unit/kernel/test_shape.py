"""The shape an assignment asks of a lab (`mnss_kernel.shape`) and the service outcomes of
`check_service`, compared without a lab."""

import pytest

from mnss_kernel import grading, shape

SHAPE = {
    "links": [["ct1", "sw"], ["sw", "r1"], ["r1", "pacs1"]],
    "addresses": {"ct1": "10.0.1.0/24", "pacs1": "10.0.9.10/24", "r1": ["10.0.1.1/24", "10.0.9.1/24"]},
}
NODES = {"ct1", "sw", "r1", "pacs1"}
LINKS = [("sw", "ct1"), ("r1", "sw"), ("pacs1", "r1")]
ADDRESSES = {"ct1": {"10.0.1.7/24"}, "pacs1": {"10.0.9.10/24"}, "r1": {"10.0.1.1/24", "10.0.9.1/24"}}


def test_the_lab_the_assignment_asks_for_has_its_shape():
    assert shape.differences(SHAPE, NODES, LINKS, ADDRESSES) == []
    trunk = [*LINKS, ("r1", "sw")]  # a VLAN trunk is one cable per VLAN: the pair is still one link
    assert shape.differences(SHAPE, NODES, trunk, ADDRESSES) == []


@pytest.mark.parametrize(
    "nodes, links, addresses, problem",
    [
        (NODES | {"x"}, LINKS, ADDRESSES, "nodes the assignment does not have: x"),
        (NODES - {"sw"}, LINKS, ADDRESSES, "missing nodes: sw"),
        (NODES, LINKS[:2], ADDRESSES, "missing links: pacs1-r1"),
        (NODES, [*LINKS, ("ct1", "pacs1")], ADDRESSES, "links the assignment does not have: ct1-pacs1"),
        (NODES, LINKS, {**ADDRESSES, "ct1": {"10.0.9.7/24"}}, "ct1 has no address in 10.0.1.0/24"),
        (NODES, LINKS, {**ADDRESSES, "ct1": {"10.0.1.7/16"}}, "ct1 has no address in 10.0.1.0/24"),
        (NODES, LINKS, {**ADDRESSES, "pacs1": {"10.0.9.11/24"}}, "pacs1 does not have the address 10.0.9.10/24"),
        (NODES, LINKS, {**ADDRESSES, "r1": {"10.0.1.1/24"}}, "r1 does not have the address 10.0.9.1/24"),
    ],
)
def test_a_different_lab_is_told_apart(nodes, links, addresses, problem):
    assert shape.differences(SHAPE, nodes, links, addresses) == [problem]


@pytest.mark.parametrize(
    "bad",
    [
        [["a", "b"]],
        {"links": [["a"]]},
        {"links": [["a", 1]]},
        {"addresses": {"a": "10.0.0.300/24"}},
        {"addresses": {"a": 10}},
        {"nodes": "a"},
        {"link": []},
    ],
)
def test_a_malformed_shape_is_the_authors_mistake_and_says_so(bad):
    with pytest.raises(shape.ShapeError, match="shape"):
        shape.required_nodes(bad)


@pytest.mark.parametrize(
    "row, expected, passes",
    [
        ({"ok": True, "detail": "C-ECHO status 0x0000"}, True, True),
        ({"ok": False, "detail": "timed out after 2 s"}, True, False),
        ({"ok": False, "detail": "connection refused (nothing is listening)"}, False, True),
        ({"ok": False, "detail": "connection refused (nothing is listening)"}, "blocked", False),
        ({"ok": False, "detail": "timed out after 2 s"}, "blocked", True),
        ({"ok": True, "detail": "HTTP 200"}, "blocked", False),
        ({"ok": "yes", "detail": ""}, True, False),  # only True is success
    ],
)
def test_service_outcomes(row, expected, passes):
    assert (grading.service_verdict(row, expected) == "") is passes
