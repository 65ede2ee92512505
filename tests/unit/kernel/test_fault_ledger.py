"""The fault ledger and the commands the Lab derives from it, without a kernel.

The kernel parts are replaced by a recorder (and, for tc, a small model that refuses what the
kernel refuses), so these check the logic: repairs compose in any order and end in the plan."""

from itertools import permutations

import pytest

from mnss_kernel import faults
from mnss_kernel.runtime import EngineError, Lab, lab as lab_module
from mnss_kernel.runtime.ledger import Ledger, LinkAdminDown, PortInVlan, RateCap, RouteWithdrawn, ends
from mnss_kernel.runtime.shaping import Shape, install_lines, of_link, reshape_lines
from mnss_kernel.topology import Topology
from tests.support.topologies import nodes


def test_same_fault_twice_is_refused_and_repairing_one_not_in_effect_too():
    book = Ledger()
    book.add(LinkAdminDown(ends("a", "b")))
    with pytest.raises(EngineError, match="already in effect.*该故障已在生效中"):
        book.add(LinkAdminDown(ends("b", "a")))
    book.remove(LinkAdminDown(ends("b", "a")))
    with pytest.raises(EngineError, match="not in effect.*该故障未生效"):
        book.remove(LinkAdminDown(ends("a", "b")))


def test_a_port_cannot_be_in_two_wrong_vlans_at_once():
    book = Ledger()
    book.add(PortInVlan("s1", "s1-eth1", 20))
    with pytest.raises(EngineError, match="contradicts.*VLAN 20"):
        book.add(PortInVlan("s1", "s1-eth1", 30))
    book.add(PortInVlan("s1", "s1-eth2", 30))
    assert book.port_vlan("s1", "s1-eth1") == 20 and book.vlans_borrowed("s1") == {20, 30}


def test_the_tightest_rate_cap_holds_whatever_order_caps_come_and_go():
    link = ends("a", "b")
    for order in permutations([5.0, 1.0, 3.0]):
        book = Ledger()
        for mbit in order:
            book.add(RateCap(link, mbit))
        assert book.rate_cap(link) == 1.0
        book.remove(RateCap(link, 1.0))
        assert book.rate_cap(link) == 3.0
    assert Ledger().rate_cap(link) is None


# -- tc: a model of the qdisc tree that refuses what the kernel refuses ----------------------------
def tc(state: dict, lines: list[str]) -> None:
    """Apply our own tc lines to {dev: Shape-like dict}; raise where the kernel would."""
    for line in lines:
        words = line.split()
        dev = words[3]
        now = state.setdefault(dev, {})
        if words[:2] == ["qdisc", "del"]:
            assert now, f"{line}: no root qdisc to delete"
            now.clear()
        elif words[:2] == ["qdisc", "add"] and words[4] == "root":
            assert not now, f"{line}: Exclusivity flag on, cannot modify (root qdisc exists)"
            now["root"] = words[7]
            if words[7] == "netem":
                now["netem"] = tuple(words[8:])
        elif words[:2] == ["qdisc", "add"]:  # netem under the htb class
            assert "rate" in now and "netem" not in now, f"{line}: no class 1:1 or netem already there"
            now["netem"] = tuple(words[9:])
        elif words[:2] == ["class", "add"]:
            assert now.get("root") == "htb" and "rate" not in now, f"{line}: no htb root or class exists"
            now["rate"] = words[words.index("rate") + 1]
        elif words[:2] == ["class", "change"]:
            assert "rate" in now, f"{line}: no class to change"
            now["rate"] = words[words.index("rate") + 1]
        else:
            raise AssertionError(f"unexpected tc line {line}")
        if not now:  # the kernel's default qdisc
            del state[dev]


def installed(shape: Shape) -> dict:
    state: dict = {}
    tc(state, install_lines("eth0", shape))
    return state


@pytest.mark.parametrize(
    "planned",
    [
        Shape(),
        Shape(rate=50.0),
        Shape(netem=("delay", "10ms")),
        Shape(rate=50.0, netem=("delay", "10ms", "loss", "1%")),
    ],
    ids=["plain", "rate", "delay-only", "rate+delay"],
)
def test_throttle_and_its_repair_keep_the_rest_of_the_links_shape(planned):
    state = installed(planned)
    throttled = planned.capped(1.0)
    tc(state, reshape_lines("eth0", planned, throttled))
    assert state == installed(throttled)
    assert state["eth0"]["rate"] == "1mbit" and state["eth0"].get("netem") == (planned.netem or None)
    tc(state, reshape_lines("eth0", throttled, planned))
    assert state == installed(planned)


def test_a_delay_only_link_throttled_gets_htb_with_its_netem_under_it():
    lines = reshape_lines("eth0", Shape(netem=("delay", "10ms")), Shape(rate=1.0, netem=("delay", "10ms")))
    assert lines == [
        "qdisc del dev eth0 root",
        "qdisc add dev eth0 root handle 1: htb default 1",
        "class add dev eth0 parent 1: classid 1:1 htb rate 1mbit burst 15k",
        "qdisc add dev eth0 parent 1:1 handle 10: netem delay 10ms",
    ]
    assert reshape_lines("eth0", Shape(rate=1.0, netem=("delay", "10ms")), Shape(netem=("delay", "10ms"))) == [
        "qdisc del dev eth0 root",
        "qdisc add dev eth0 root handle 10: netem delay 10ms",
    ]


def test_a_cap_looser_than_the_planned_rate_changes_nothing():
    assert Shape(rate=0.5).capped(1.0) == Shape(rate=0.5)
    assert reshape_lines("eth0", Shape(rate=0.5), Shape(rate=0.5).capped(1.0)) == []


# -- the Lab's commands, with the kernel recorded ------------------------------------------------
TOPO = Topology.from_dict(
    {
        "nodes": nodes("h1:host", "s1:switch", "r1:router", "r2:router", "h2:host"),
        "links": [
            {"a": "h1", "b": "s1", "vlan": 10},
            {"a": "s1", "b": "r1", "vlan": 10},
            {"a": "r1", "b": "r2", "delay": 10},
            {"a": "r2", "b": "h2"},
        ],
    }
)


class Kernel:
    """Records what the Lab runs, and keeps a tc model per device."""

    def __init__(self, monkeypatch, lab):
        self.calls: list[tuple[str, str, list[str]]] = []  # (namespace, tool, lines)
        self.tc: dict = {}
        for node in lab.topology.nodes:  # the build installed the planned shapes
            tc(self.tc, lab._shaping_lines(node.name))
        monkeypatch.setattr(lab_module, "batch", self.batch)
        monkeypatch.setattr(lab_module, "run", self.run)
        monkeypatch.setattr(Lab, "_wait_for_bridges", lambda lab, switches=None: None)

    def batch(self, lines, netns=None, tool="ip", what=""):
        self.calls.append((netns, tool, list(lines)))
        if tool == "tc":
            tc(self.tc, lines)
        return ""

    def run(self, args, stdin=None, check=True, what="", timeout=120):
        self.calls.append((args[1].rsplit("/", 1)[-1], args[2], (stdin or " ".join(args[2:])).splitlines()))

    def lines(self, lab, node: str) -> list[str]:
        return [line for ns, _, lines in self.calls if ns == lab.ns(node) for line in lines]


@pytest.fixture
def lab(monkeypatch):
    lab = Lab(TOPO)
    lab.running = True  # the kernel is the recorder below
    lab.kernel = Kernel(monkeypatch, lab)
    return lab


def test_repairing_a_link_keeps_a_route_another_fault_removed(lab):
    net, via = lab.plan.routes["r1"][0]
    removed, cable = faults.RouteRemoved("r1", str(net)), faults.LinkDown("r1", "r2")
    removed.inject(lab)
    cable.inject(lab)
    lab.kernel.calls.clear()
    cable.repair(lab)
    lines = lab.kernel.lines(lab, "r1")
    assert f"route del {net}" in lines and f"route replace {net} via {via}" not in lines
    removed.repair(lab)
    assert lab.kernel.lines(lab, "r1")[-len(lab.plan.routes["r1"]) :][0] == f"route replace {net} via {via}"


def test_repairing_a_link_of_a_node_still_down_leaves_its_end_down(lab):
    node, cable = faults.NodeDown("r2"), faults.LinkDown("r1", "r2")
    node.inject(lab)
    cable.inject(lab)
    lab.kernel.calls.clear()
    cable.repair(lab)
    r1_end, r2_end = sorted(lab.plan.interfaces_of_link(2), key=lambda i: i.node)
    assert f"link set dev {r1_end.name} up" in lab.kernel.lines(lab, "r1")
    assert f"link set dev {r2_end.name} down" in lab.kernel.lines(lab, "r2")
    assert lab.status()["nodes"]["r2"] is False and lab.status()["links"]["r1-r2"] is False
    node.repair(lab)
    assert f"link set dev {r2_end.name} up" in lab.kernel.lines(lab, "r2")
    assert lab.status()["links"]["r1-r2"] is True


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_throttles_on_a_delay_link_repaired_in_any_order_restore_its_qdiscs(lab, order):
    planned = {dev: dict(state) for dev, state in lab.kernel.tc.items()}
    assert any(state.get("netem") == ("delay", "10ms") for state in planned.values())
    applied = [faults.Throttle("r1", "r2", 5), faults.Throttle("r2", "r1", 1), faults.LinkDown("r1", "r2")]
    for fault in applied:
        fault.inject(lab)
    assert all(s.get("rate") == "1mbit" for d, s in lab.kernel.tc.items() if s.get("netem"))
    for i in order:
        applied[i].repair(lab)
    assert lab.kernel.tc == planned


def test_wrong_vlan_bridge_is_added_and_removed_with_the_fault(lab):
    fault = faults.WrongVlan("s1", "h1", 99)
    fault.inject(lab)
    assert "link add br99 type bridge forward_delay 0" in lab.kernel.lines(lab, "s1")
    with pytest.raises(EngineError, match="contradicts"):
        faults.WrongVlan("s1", "h1", 98).inject(lab)
    fault.repair(lab)
    assert lab.kernel.lines(lab, "s1")[-1] == "link del br99"
    port = next(i for i in lab.plan.interfaces["s1"] if i.peer_node == "h1")
    assert f"link set dev {port.name} master br10" in lab.kernel.lines(lab, "s1")[-3:]


def test_a_fault_the_kernel_refuses_is_not_left_in_the_ledger(lab, monkeypatch):
    def refuse(*args, **kwargs):
        raise EngineError("tc batch failed: RTNETLINK answers: No such device")

    monkeypatch.setattr(lab_module, "batch", refuse)
    with pytest.raises(EngineError, match="No such device"):
        faults.Throttle("r1", "r2", 1).inject(lab)
    assert len(lab.faults) == 0


def test_faults_name_what_is_wrong(lab):
    with pytest.raises(EngineError, match="has no route to 10.9.9.0/24"):
        faults.RouteRemoved("r1", "10.9.9.0/24").inject(lab)
    with pytest.raises(KeyError, match="no link between 'h1' and 'r2'"):
        faults.LinkDown("h1", "r2").inject(lab)
    with pytest.raises(ValueError, match="above 0"):
        faults.Throttle("r1", "r2", 0).inject(lab)
    with pytest.raises(EngineError, match="not a switch"):
        faults.WrongVlan("r1", "h1", 20).inject(lab)


def test_equal_faults_are_one_fault_whichever_way_round_their_link_is_named(lab):
    assert faults.LinkDown("r1", "r2").effect(lab) == faults.LinkDown("r2", "r1").effect(lab)
    assert faults.RouteRemoved("r1", str(lab.plan.routes["r1"][0][0])).effect(lab) == RouteWithdrawn(
        "r1", str(lab.plan.routes["r1"][0][0])
    )
    assert of_link(TOPO.link("r1", "r2")) == Shape(netem=("delay", "10ms"))


def test_a_link_down_by_the_plan_stays_down_when_a_link_down_fault_on_it_is_repaired(monkeypatch):
    links = [*TOPO.to_dict()["links"][:3], {"a": "r2", "b": "h2", "up": False}]
    topo = Topology.from_dict({**TOPO.to_dict(), "links": links})
    lab = Lab(topo)
    lab.running = True
    kernel = Kernel(monkeypatch, lab)
    cable = faults.LinkDown("h2", "r2")
    cable.inject(lab)
    cable.repair(lab)
    r2_end = next(i for i in lab.plan.interfaces["r2"] if i.peer_node == "h2")
    assert kernel.lines(lab, "r2") == [f"link set dev {r2_end.name} down"] * 2
    assert lab.status()["links"]["r2-h2"] is False
