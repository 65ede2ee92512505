"""Checks a grader runs against a learner's topology on the real engine.

Each check either passes or raises AssertionError with a sentence the learner can act on; in
nbgrader every check is its own test cell with its own points, which gives partial credit per
check and the reason in the feedback. The learner's topology is validated first, so a broken
model fails with the model's own error text rather than a traceback.

    from mnss_kernel import grading
    with grading.live(ward) as net:
        net.expect_reachable("ns1", "emr1")
        net.expect_isolated("guest1", "pacs1")

In a hidden test, `check_reach(net, "ns1", "emr1", True)` is the form the sandboxed grader
measures itself: the kernel only says where the lab is (`where`), and the grader pings from its
own process inside the lab's namespaces, so no patched method in the kernel can change the
result. Run anywhere else (the instructor's lab, stock nbgrader) it measures here, like
`expect_reachable` / `expect_isolated`. `check_recovers(net, ("ra", "rdc"), "wsa", "emr1")` is
the grader-measured form of `expect_recovers` with the link taken down. `check_path(net, "wsa",
"emr1", ["ra", "rdc", "emr1"])` (the nodes a traceroute passes), `check_service(net, "ct1",
"pacs1", "dicom-echo", 11112, True)` (one application probe) and `check_shape(net, SHAPE)` (the lab
is the one the assignment asks for, `mnss_kernel.shape`) are measured by the grader the same way.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from . import faults as fault_kinds, measure, shape as lab_shape
from .runtime import Lab, commands
from .topology import Topology, TopologyError, load


def as_topology(value) -> Topology:
    """Accept a Topology, a dict, a canvas (anything with .topology) or a file path."""
    if hasattr(value, "topology") and isinstance(value.topology, Topology):
        value = value.topology
    try:
        if isinstance(value, Topology):
            return value.validated()
        if isinstance(value, dict):
            return Topology.from_dict(value)
        if isinstance(value, (str, Path)):
            return load(value).topology
    except TopologyError as err:
        raise AssertionError(f"your topology is not valid: {'; '.join(err.problems)}") from None
    raise AssertionError(f"expected a topology (Topology, dict, canvas or file), got {type(value).__name__}")


def expect_nodes(topology, kind: str, at_least: int) -> list[str]:
    """The topology has enough nodes of a kind (checked on the model, no emulation)."""
    topo = as_topology(topology)
    names = [n.name for n in topo.nodes if n.kind == kind]
    assert len(names) >= at_least, f"need at least {at_least} node(s) of kind '{kind}', found {len(names)}"
    return names


class LiveNetwork:
    def __init__(self, lab: Lab):
        self.lab = lab

    def _node(self, name: str) -> str:
        assert name in self.lab.topology.names(), f"your topology has no node named '{name}'"
        return name

    def loss(self, a: str, b: str, count: int = 3) -> float:
        return float(measure.ping(self.lab, self._node(a), self._node(b), count=count, timeout=1)["loss_pct"])

    def expect_reachable(self, a: str, b: str) -> None:
        loss = self.loss(a, b)
        assert loss == 0, f"{a} should reach {b}, but {loss:g}% of pings were lost"

    def expect_isolated(self, a: str, b: str) -> None:
        loss = self.loss(a, b, count=2)
        assert loss == 100, f"{a} must not reach {b}, but {100 - loss:g}% of pings got through"

    def expect_latency_below(self, a: str, b: str, ms: float) -> None:
        row = measure.ping(self.lab, self._node(a), self._node(b), count=5)
        assert row["rtt_avg_ms"] is not None, f"{a} cannot reach {b} at all"
        assert row["rtt_avg_ms"] < ms, f"round trip {a} -> {b} is {row['rtt_avg_ms']:.2f} ms, budget {ms} ms"

    def expect_bandwidth(self, a: str, b: str, at_least: float | None = None, at_most: float | None = None) -> float:
        mbps = float(measure.iperf(self.lab, self._node(a), self._node(b), seconds=1).iloc[0].mbps_received)
        if at_least is not None:
            assert mbps >= at_least, f"{a} -> {b} carries {mbps:.1f} Mbit/s, at least {at_least} needed"
        if at_most is not None:
            assert mbps <= at_most, f"{a} -> {b} carries {mbps:.1f} Mbit/s, at most {at_most} allowed"
        return mbps

    def expect_recovers(self, fault: fault_kinds.Fault, a: str, b: str) -> None:
        """After the fault, a still reaches b (redundancy works); the fault is repaired afterwards."""
        fault.inject(self.lab)
        try:
            loss = self.loss(a, b)
            assert loss == 0, f"after {fault.describe()} {a} no longer reaches {b} ({loss:g}% lost)"
        finally:
            fault.repair(self.lab)


def where(net, node: str) -> list[str]:
    """[lab name, address of `node`]: what a grader outside the kernel needs to find the lab's
    namespaces and measure them itself (it checks both against what it finds there). With node ""
    (a shape check) only the lab's name, and "" for the address."""
    lab = net.lab if isinstance(net, LiveNetwork) else net
    assert not node or node in lab.topology.names(), f"your topology has no node named '{node}'"
    assert lab.held, "the lab does not run in namespaces of its own holder, so no grader can measure it"
    return [f"{lab.owner}-{lab.lab_id}", lab.address(node) if node else ""]


def check_reach(net, a: str, b: str, expected: bool, message: str = "") -> None:
    """`a` reaches `b` (expected True: no ping lost) or not at all (False: every ping lost)."""
    live_net = net if isinstance(net, LiveNetwork) else LiveNetwork(net)
    try:
        (live_net.expect_reachable if expected else live_net.expect_isolated)(a, b)
    except AssertionError as err:
        raise AssertionError(message or str(err)) from None


def check_recovers(net, link: tuple[str, str], a: str, b: str, message: str = "") -> None:
    """With the link x-y down, `a` still reaches `b` (redundancy works); the link comes back."""
    live_net = net if isinstance(net, LiveNetwork) else LiveNetwork(net)
    try:
        live_net.expect_recovers(fault_kinds.LinkDown(*link), a, b)
    except AssertionError as err:
        raise AssertionError(message or str(err)) from None


TRACE_HOPS = 8  # the longest path a check follows (the grader's traceroute stops there too)
PROBE_TIMEOUT = 3  # seconds a service check that must work waits for the answer
BLOCKED_TIMEOUT = 1  # seconds one that must fail waits: a dropped connection costs this much
BLOCKED = "blocked"  # check_service's third outcome: no answer at all (dropped), not refused


def path_of(lab, a: str, b: str) -> list[str]:
    """The nodes a packet from a passes on its way to b (traceroute; hops that stay silent left out)."""
    lab.cmd(b, commands.answer_every_probe())
    hops = measure.traceroute(lab, a, b, max_hops=TRACE_HOPS)
    return [name for name in hops["node"] if isinstance(name, str)]


def service_verdict(row: dict, expected) -> str:
    """ "" when a probe's row is the outcome expected (True: it worked; False: it failed; "blocked":
    nothing answered, as behind a firewall that drops, rather than refused), else why not."""
    ok, detail = row.get("ok") is True, str(row.get("detail", ""))
    if expected is True:
        return "" if ok else f"the probe failed: {detail}"
    if ok:
        return "the probe succeeded, but it must not"
    if expected == BLOCKED and "refused" in detail.lower():
        return f"the server refused it, but a firewall must drop it: {detail}"
    return ""


def check_path(net, a: str, b: str, hops: list[str], message: str = "") -> None:
    """Packets from `a` to `b` pass exactly `hops` (node names, b last), as traceroute sees it."""
    lab = net.lab if isinstance(net, LiveNetwork) else net
    seen = path_of(lab, a, b)
    assert seen == list(hops), message or f"{a} -> {b} went {seen}, expected {list(hops)}"


def probe_timeout(expected) -> int:
    """Seconds a service check waits for an answer, by the outcome it expects."""
    return PROBE_TIMEOUT if expected is True else BLOCKED_TIMEOUT


def probe_row(lab, client: str, server: str, kind: str, port: int, timeout: int = PROBE_TIMEOUT) -> dict:
    """One application probe (`mnss_kernel.services`) from `client` to `server`'s address."""
    argv = f"{sys.executable} -m mnss_kernel.services probe {kind} {lab.address(server)} {int(port)}"
    out = lab.cmd(client, f"{argv} --timeout {timeout}", timeout=timeout + 30)
    lines = out.stdout.strip().splitlines()
    assert lines, f"the {kind} probe from {client} printed nothing: {out.stderr.strip()[-300:]}"
    return json.loads(lines[-1])


def check_service(net, client: str, server: str, kind: str, port: int, expected, message: str = "") -> None:
    """A `kind` probe from `client` to `server`:`port` works (True), fails (False) or is dropped
    without an answer ("blocked")."""
    lab = net.lab if isinstance(net, LiveNetwork) else net
    why = service_verdict(probe_row(lab, client, server, kind, port, probe_timeout(expected)), expected)
    assert not why, message or f"{kind} from {client} to {server}:{port}: {why}"


def check_shape(net, shape: dict, message: str = "") -> None:
    """The lab has the nodes, links and addresses of `shape` (see `mnss_kernel.shape`)."""
    lab = net.lab if isinstance(net, LiveNetwork) else net
    problems = lab_shape.differences(shape, *lab_shape.of_lab(lab))
    assert not problems, message or "this is not the network the assignment asks for: " + "; ".join(problems)


def relink(net, x: str, y: str) -> None:
    """The link x-y as planned again (up, its nodes' routes back), after a grader outside the
    kernel took it down at both ends for `check_recovers`."""
    lab = net.lab if isinstance(net, LiveNetwork) else net
    index = lab.topology.links.index(lab.topology.link(*sorted((x, y))))
    lab._set_admin(lab.plan.interfaces_of_link(index))


@contextmanager
def live(topology):
    """Run the learner's topology for the checks in the block; always torn down."""
    with Lab(as_topology(topology)) as lab:
        yield LiveNetwork(lab)
