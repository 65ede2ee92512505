"""`check_reach` / `check_recovers` run in the kernel itself where no sandboxed grader takes them
apart (the instructor's lab, stock nbgrader): the same verdicts as expect_reachable/_isolated."""

from types import SimpleNamespace

import pytest

from mnss_kernel import grading


class Measured(grading.LiveNetwork):
    """A network whose ping losses are given (no emulation in a unit test)."""

    def __init__(self, losses):
        super().__init__(SimpleNamespace(topology=SimpleNamespace(names=lambda: ["a", "b", "c"])))
        self.losses = losses

    def loss(self, a, b, count=3):
        return self.losses[(self._node(a), self._node(b))]


def test_reachable_needs_no_loss_and_isolated_needs_all_lost():
    net = Measured({("a", "b"): 0.0, ("a", "c"): 100.0})
    grading.check_reach(net, "a", "b", True)
    grading.check_reach(net, "a", "c", False)
    with pytest.raises(AssertionError, match="a should reach c"):
        grading.check_reach(net, "a", "c", True)
    with pytest.raises(AssertionError, match="the author's words"):
        grading.check_reach(Measured({("a", "b"): 33.3}), "a", "b", False, "the author's words")


def test_a_node_that_is_not_there_is_named():
    with pytest.raises(AssertionError, match="no node named 'z'"):
        grading.check_reach(Measured({}), "a", "z", True)
