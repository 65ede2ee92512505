"""The grader's own network measurement (`mnss_courses.live_checks`) on a real lab: it finds the
lab's holder only below the process it is given and running as the given uid, takes only
namespaces owned within the box's user namespace and an address of b alone, pulls a cable at both
ends, and the kernel's `relink` puts it back. A second, routed lab: the grader traces a path,
probes a service and reads the lab's shape (nodes, cables, addresses) itself, also a cable added
behind the plan's back. Two small labs, a few seconds."""

import os
import subprocess
import sys
import time

import pytest

from mnss_courses import live_checks, live_measure
from mnss_courses.hidden_checks import LiveCheck
from mnss_kernel import grading, measure
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import Topology

pytestmark = [pytest.mark.integration]
if os.geteuid() != 0:
    pytest.skip(
        "the grader measures as root on the host here (a rootless one: test_formgrader_security)",
        allow_module_level=True,
    )

LINE = {
    "name": "line",
    "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}, {"name": "s1", "kind": "switch"}],
    "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}],
}


@pytest.fixture(scope="module")
def lab():
    with Lab(Topology.from_dict(LINE)) as running:
        assert running.held, "the lab runs in a holder of its own"
        yield running


def _name(lab) -> str:
    return f"{lab.owner}-{lab.lab_id}"


def test_the_holder_is_found_below_the_given_process_only(lab):
    assert live_checks.find_holder(os.getpid(), os.getuid(), _name(lab)) == lab.holder_pid
    other = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(live_checks.LiveCheckError, match="no running lab"):
            live_checks.find_holder(other.pid, os.getuid(), _name(lab))
    finally:
        other.kill()
        other.wait()
    with pytest.raises(live_checks.LiveCheckError, match="no running lab"):
        live_checks.find_holder(os.getpid(), 12345, _name(lab))  # not the box's uid


def test_the_grader_measures_and_an_address_that_is_not_b_alone_is_refused(lab):
    where = grading.where(lab, "h2")
    assert live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h2") == 0.0
    with pytest.raises(live_checks.LiveCheckError, match="not an address of h2 alone"):
        live_checks.reach(os.getpid(), os.getuid(), False, [_name(lab), lab.address("h1")], "h1", "h2")
    with pytest.raises(live_checks.LiveCheckError, match="no node h9"):
        live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h9")


def test_only_namespaces_owned_within_the_boxs_user_namespace_pass():
    """What `open_netns` asks of every namespace it opens, whatever path (a planted symlink, a bind
    mount) led to it: a box's network passes, the grader's own does not."""
    box = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "sleep", "30"])
    try:
        for _ in range(100):
            if os.stat(f"/proc/{box.pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino:
                break
            time.sleep(0.02)
        box_userns = os.stat(f"/proc/{box.pid}/ns/user").st_ino
        inside, own = (os.open(f"/proc/{pid}/ns/net", os.O_RDONLY) for pid in (box.pid, os.getpid()))
        try:
            assert live_checks._owned_below(inside, box_userns)
            assert not live_checks._owned_below(own, box_userns)
        finally:
            os.close(inside)
            os.close(own)
    finally:
        box.kill()
        box.wait()


def test_the_grader_pulls_the_cable_and_relink_puts_it_back(lab):
    where = grading.where(lab, "h2")
    lost = live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h2", cut_first=("h2", "s1"))
    assert lost == 100.0
    assert measure.ping(lab, "h1", "h2", count=2)["loss_pct"] == 100.0  # it stays down until put back
    grading.relink(lab, "h2", "s1")
    assert measure.ping(lab, "h1", "h2")["loss_pct"] == 0.0


ROUTED = {
    "name": "routed",
    "nodes": [
        {"name": "h1", "kind": "host"},
        {"name": "h2", "kind": "host"},
        {"name": "r1", "kind": "router"},
        {"name": "s1", "kind": "switch"},
        {"name": "s2", "kind": "switch"},
    ],
    "links": [{"a": "h1", "b": "s1"}, {"a": "s1", "b": "r1"}, {"a": "r1", "b": "s2"}, {"a": "s2", "b": "h2"}],
}
SHAPE = {
    "links": [["h1", "s1"], ["s1", "r1"], ["r1", "s2"], ["s2", "h2"]],
    "addresses": {"h1": "10.0.0.0/24", "h2": "10.0.1.10/24", "r1": ["10.0.0.1/24", "10.0.1.1/24"]},
}


@pytest.fixture(scope="module")
def routed():
    with Lab(Topology.from_dict(ROUTED)) as running:
        server = running.popen(
            "h2",
            [sys.executable, "-m", "mnss_kernel.services", "serve", "tcp-echo", "--port", "7007"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout.readline().startswith("READY")
        yield running


def _measure(lab, check, shapes=()):
    return live_measure.measure(os.getpid(), os.getuid(), False, grading.where(lab, check.b), check, list(shapes))


def _in(lab, node: str) -> str:
    return f"/proc/{lab.holder_pid}/root/run/netns/{lab.ns(node)}"


def test_the_grader_traces_the_path_and_names_hops_by_what_the_lab_holds(routed):
    assert _measure(routed, LiveCheck("path", "h1", "h2")) == ["r1", "h2"]
    assert _measure(routed, LiveCheck("path", "h2", "h1")) == ["r1", "h1"]


def test_the_grader_probes_a_service_itself(routed):
    assert _measure(routed, LiveCheck("service", "h1", "h2", service=("tcp-echo", 7007, 3)))["ok"] is True
    assert _measure(routed, LiveCheck("service", "h2", "h2", service=("tcp-echo", 7007, 3)))["ok"] is True  # its own
    closed = _measure(routed, LiveCheck("service", "h1", "h2", service=("tcp-echo", 7008, 1)))
    assert closed["ok"] is False and "refused" in closed["detail"]
    assert _measure(routed, LiveCheck("service", "h1", "h2", service=("tcp", 7007, 3))) == {
        "ok": True,
        "detail": "connection opened",
    }
    assert "refused" in _measure(routed, LiveCheck("service", "h1", "h2", service=("tcp", 7008, 1)))["detail"]


def test_the_grader_reads_the_labs_shape_and_tells_another_lab_apart(routed):
    assert _measure(routed, LiveCheck("shape", shape=SHAPE)) == []
    other = {**SHAPE, "links": [["h1", "s1"], ["s1", "r1"], ["r1", "s2"], ["s1", "h2"]]}
    differs = ["missing links: h2-s1", "links the assignment does not have: h2-s2"]
    assert _measure(routed, LiveCheck("shape", shape=other)) == differs
    moved = {**SHAPE, "addresses": {"h2": "10.0.1.11/24"}}
    assert _measure(routed, LiveCheck("shape", shape=moved)) == ["h2 does not have the address 10.0.1.11/24"]
    with pytest.raises(live_checks.LiveCheckError, match="not the one the assignment asks for"):
        _measure(routed, LiveCheck("reach", "h1", "h2"), [other])  # a cell's shape binds its other checks
    assert _measure(routed, LiveCheck("reach", "h1", "h2"), [SHAPE]) == 0.0


def test_a_cable_added_behind_the_plans_back_is_seen(routed):
    """The kernel (root in its lab) can add a shortcut the topology does not have; the grader reads
    the cables from the namespaces, so the shape no longer holds."""
    add = ["nsenter", f"--net={_in(routed, 'h1')}", "ip", "link", "add", "cheat0", "type", "veth", "peer"]
    subprocess.run([*add, "name", "cheat1", "netns", _in(routed, "h2")], check=True)
    try:
        assert _measure(routed, LiveCheck("shape", shape=SHAPE)) == ["links the assignment does not have: h1-h2"]
    finally:
        subprocess.run(["nsenter", f"--net={_in(routed, 'h1')}", "ip", "link", "del", "cheat0"], check=True)
    outside = subprocess.Popen(["unshare", "--net", "sleep", "30"])
    try:
        for _ in range(100):
            if os.stat(f"/proc/{outside.pid}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino:
                break
            time.sleep(0.02)
        subprocess.run([*add, "name", "leak1", "netns", f"/proc/{outside.pid}/ns/net"], check=True)
        found = _measure(routed, LiveCheck("shape", shape=SHAPE))
        assert found == ["h1's interface cheat0 leads outside the lab's nodes"], found
    finally:
        subprocess.run(["nsenter", f"--net={_in(routed, 'h1')}", "ip", "link", "del", "cheat0"], check=False)
        outside.kill()
        outside.wait()
    assert _measure(routed, LiveCheck("shape", shape=SHAPE)) == []
