"""The engine on real network namespaces: what a topology says is what the network does."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from mnss_kernel import faults, measure
from mnss_kernel.runtime import EngineError, Lab
from mnss_kernel.runtime.capabilities import has_qdisc
from mnss_kernel.runtime.registry import records
from mnss_kernel.runtime.shell import existing_namespaces
from mnss_kernel.topology import Topology
from tests.support.lab_report import CLINIC_LAN_LINKS, CLINIC_LAN_NODES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]


def linear(n: int, **link) -> Topology:
    nodes = [{"name": f"h{i}", "kind": "host"} for i in range(1, n + 1)]
    nodes += [{"name": f"s{i}", "kind": "switch"} for i in range(1, n + 1)]
    links = [{"a": f"h{i}", "b": f"s{i}", **link} for i in range(1, n + 1)]
    links += [{"a": f"s{i}", "b": f"s{i + 1}"} for i in range(1, n)]
    return Topology.from_dict({"name": f"linear{n}", "nodes": nodes, "links": links})


HOSPITAL = Topology.from_dict(
    {"name": "clinic", "nodes": CLINIC_LAN_NODES, "links": [*CLINIC_LAN_LINKS, {"a": "core", "b": "emr1"}]}
)


def loss(lab, src, dst) -> float:
    return measure.ping(lab, src, dst, count=2, timeout=1)["loss_pct"]


def test_linear_network_pings_all_and_leaves_nothing():
    with Lab(linear(4)) as lab:
        pings = measure.ping_matrix(lab)
        assert len(pings) == 12
        assert (pings.loss_pct == 0).all(), pings
        assert pings.rtt_avg_ms.notna().all()
    assert not lab.running


def test_a_host_whose_link_is_down_by_the_plan_builds_without_its_route():
    """Its default route cannot exist while its only link is down, and the lab builds without it
    (it used to fail: "Nexthop has invalid gateway")."""
    topo = Topology.from_dict(
        {
            "nodes": [{"name": "r1", "kind": "router"}, {"name": "s1", "kind": "switch"}]
            + [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
            "links": [{"a": "r1", "b": "s1"}, {"a": "s1", "b": "h1", "up": False}, {"a": "s1", "b": "h2"}],
        }
    )
    with Lab(topo) as lab:
        assert "default" not in lab.cmd("h1", "ip route").stdout
        assert "default via 10.0.0.1" in lab.cmd("h2", "ip route").stdout
        assert loss(lab, "h2", "r1") == 0 and loss(lab, "h1", "r1") == 100


def test_hospital_vlans_routing_and_firewall():
    with Lab(HOSPITAL) as lab:
        # same VLAN across the trunk: the ward reaches the PACS
        assert loss(lab, "ward1", "pacs1") == 0
        # guests share VLAN 20 across the trunk, but VLAN 10 is not theirs
        assert loss(lab, "guest1", "guest2") == 0
        assert loss(lab, "guest1", "ward1") == 100
        # routed: ward -> core -> EMR
        assert loss(lab, "ward1", "emr1") == 0
        path = measure.traceroute(lab, "ward1", "emr1")
        assert list(path.node) == ["core", "emr1"]
        # the firewall lets guests reach the EMR, but not the clinical subnet 10.0.1.0/24
        assert loss(lab, "guest1", "emr1") == 0
        assert loss(lab, "guest1", "pacs1") == 100
        # stateful: clinical staff may start connections towards guests and get replies
        assert loss(lab, "ward1", "guest1") == 0


def test_nat_masquerades_towards_the_outside(tmp_path):
    topo = Topology.from_dict(
        {
            "nodes": [
                {"name": "inside", "kind": "host"},
                {"name": "gw", "kind": "nat", "outside": "out"},
                {"name": "out", "kind": "host"},
            ],
            "links": [{"a": "inside", "b": "gw"}, {"a": "gw", "b": "out"}],
        }
    )
    with Lab(topo) as lab:
        with measure.capture(lab, "out", tmp_path / "out.pcap", bpf="icmp"):
            assert loss(lab, "inside", "out") == 0
        seen = subprocess.run(["tcpdump", "-nr", str(tmp_path / "out.pcap")], capture_output=True, text=True).stdout
        gw_outside = next(str(i.ip.ip) for i in lab.plan.interfaces["gw"] if i.peer_node == "out")
        assert f"IP {gw_outside} > {lab.address('out')}: ICMP echo request" in seen
        assert lab.address("inside") not in seen


def test_bandwidth_limit_is_measured():
    with Lab(linear(2, bw=20)) as lab:
        result = measure.iperf(lab, "h1", "h2", seconds=2).iloc[0]
    assert 12 < result.mbps_received < 22, result


def test_netem_properties_work_or_are_refused_by_name():
    topo = linear(2, delay=20)
    if has_qdisc("netem"):
        with Lab(topo) as lab:
            assert measure.ping(lab, "h1", "h2", count=3)["rtt_avg_ms"] >= 80  # 4 links x 20 ms one-way... per RTT
    else:
        print("this kernel has no netem: checking the refusal instead")
        with pytest.raises(EngineError, match=r"link h1-s1: delay need the kernel's netem qdisc \(sch_netem\)"):
            Lab(topo).start()


def test_commands_resolve_node_names_and_capture_writes_pcap(tmp_path):
    with Lab(linear(2)) as lab:
        out = lab.cmd("h1", "ping -c1 -W1 h2")
        assert out.ok and f"bytes from h2 ({lab.address('h2')})" in out.stdout
        assert lab.cmd("h1", "exit 3").returncode == 3
        with measure.capture(lab, "h2", tmp_path / "h2.pcap") as pcap:
            measure.ping(lab, "h1", "h2", count=2)
        seen = subprocess.run(["tcpdump", "-nr", str(pcap)], capture_output=True, text=True).stdout
        assert seen.count("ICMP echo request") >= 2


@pytest.mark.parametrize(
    "fault, src, dst",
    [
        (faults.LinkDown("s1", "s2"), "h1", "h2"),
        (faults.NodeDown("h2"), "h1", "h2"),
        (faults.WrongVlan("s2", "h2", 99), "h1", "h2"),
    ],
)
def test_l2_faults_break_and_repairs_restore(fault, src, dst):
    with Lab(linear(2)) as lab:
        assert loss(lab, src, dst) == 0
        fault.inject(lab)
        assert loss(lab, src, dst) == 100
        fault.repair(lab)
        assert loss(lab, src, dst) == 0


def test_route_and_firewall_faults():
    with Lab(HOSPITAL) as lab:
        emr_net = next(str(s.subnet) for s in lab.plan.segments if any(m.node == "emr1" for m in s.members))
        for fault in (faults.RouteRemoved("fw1", emr_net), faults.FirewallBlock("fw1", "10.0.9.0/24", emr_net)):
            assert loss(lab, "guest1", "emr1") == 0
            fault.inject(lab)
            assert loss(lab, "guest1", "emr1") == 100, fault
            fault.repair(lab)
        assert loss(lab, "guest1", "emr1") == 0


def test_throttle_fault_and_repair():
    with Lab(linear(2)) as lab:
        fault = faults.Throttle("s1", "s2", 5)
        fault.inject(lab)
        assert measure.iperf(lab, "h1", "h2", seconds=1).iloc[0].mbps_received < 8
        fault.repair(lab)
        assert measure.iperf(lab, "h1", "h2", seconds=1).iloc[0].mbps_received > 100


def test_status_reflects_faults():
    with Lab(linear(2)) as lab:
        lab.set_link("s1", "s2", up=False)
        state = lab.status()
        assert state["links"]["s1-s2"] is False and state["links"]["h1-s1"] is True
        lab.set_node("h1", up=False)
        assert lab.status()["nodes"]["h1"] is False and lab.status()["links"]["h1-s1"] is False
    assert lab.status()["running"] is False


def test_teardown_runs_when_the_body_raises():
    with pytest.raises(RuntimeError, match="boom"):
        with Lab(linear(2)) as lab:
            raise RuntimeError("boom")
    assert not lab.running


OWNER_SCRIPT = textwrap.dedent("""
    import sys, time
    from mnss_kernel.runtime import Lab
    from mnss_kernel.topology import Topology
    t = Topology.from_dict({"nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
                            "links": [{"a": "h1", "b": "h2"}]})
    lab = Lab(t, owner=sys.argv[1], holder={"auto": None, "host": False}[sys.argv[2]]).start()
    print("UP", flush=True)
    time.sleep(120)
""")


def _lab_owner(owner: str, userns: str = "auto") -> subprocess.Popen:
    """A Python process that starts a lab and keeps it."""
    proc = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT, owner, userns], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "UP"
    return proc


def test_sigterm_tears_down():
    proc = _lab_owner("sigtermtest")
    assert len(records("sigtermtest")) == 1
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)
    assert records("sigtermtest") == []


@pytest.mark.skipif(os.geteuid() != 0, reason="labs directly on the host (no user namespace) need root")
def test_sweep_removes_a_killed_runs_leftovers_of_the_same_owner_only():
    """Labs built directly on the host (root without user namespaces) leave namespaces when their
    process is killed; the next lab of the same owner sweeps them, and only them."""
    victim, bystander = _lab_owner("sweepme", "host"), _lab_owner("otheruser", "host")
    try:
        victim.kill()
        victim.wait(10)
        assert len(records("sweepme")) == 1, "a killed run leaves its record behind"
        assert any(ns.startswith("mnss-sweepme-") for ns in existing_namespaces())
        with Lab(linear(1), owner="sweepme"):
            assert records("sweepme")[0].alive()
            assert len(records("sweepme")) == 1, "the dead run's record and namespaces were swept"
            assert not any(ns.startswith("mnss-sweepme-") for ns in existing_namespaces())
            assert len(records("otheruser")) == 1 and records("otheruser")[0].alive()
    finally:
        bystander.send_signal(signal.SIGTERM)
        bystander.wait(20)


def test_topology_size_cap_is_refused_with_the_numbers():
    with pytest.raises(Exception, match="the topology has 8 nodes; your limit is 5"):
        Lab(linear(4), max_nodes=5)


def test_random_faults_are_reproducible():
    lab = Lab(HOSPITAL)
    first = faults.random_faults(lab.topology, lab.plan, seed=7, count=3)
    again = faults.random_faults(lab.topology, lab.plan, seed=7, count=3)
    other = faults.random_faults(lab.topology, lab.plan, seed=8, count=3)
    assert first == again and first != other


def test_hospital_application_traffic_crosses_the_network_and_the_firewall():
    """A modality stores an image on the PACS (DICOM), the ward talks HL7 to the HIS and HTTP to the
    EMR across the router, the HIS queries its database (SQL); a guest's DICOM to the PACS is blocked."""
    topo = Topology.from_dict(
        {
            "nodes": HOSPITAL.to_dict()["nodes"]
            + [
                {"name": "ct1", "kind": "modality"},
                {"name": "his1", "kind": "his"},
                {"name": "db1", "kind": "database"},
            ],
            "links": HOSPITAL.to_dict()["links"]
            + [
                {"a": "ct1", "b": "s2", "vlan": 10, "ip_a": "10.0.1.30/24"},
                {"a": "his1", "b": "core"},
                {"a": "db1", "b": "core"},
            ],
        }
    )
    with Lab(topo) as lab:
        rows = measure.app_matrix(
            lab,
            [("ct1", "pacs1"), ("ward1", "his1"), ("ward1", "emr1"), ("his1", "db1"), ("guest1", "pacs1")],
            timeout=3,
        )
    by_pair = {(r.src, r.dst): r for r in rows.itertuples()}
    for pair in (("ct1", "pacs1"), ("ward1", "his1"), ("ward1", "emr1"), ("his1", "db1")):
        assert by_pair[pair].ok, by_pair[pair].detail
        assert by_pair[pair].rtt_ms > 0
    assert by_pair[("ct1", "pacs1")].probe == "dicom-store" and "C-STORE" in by_pair[("ct1", "pacs1")].detail
    assert not by_pair[("guest1", "pacs1")].ok


def test_repaired_faults_restore_routes_on_a_routed_network():
    """Linux drops routes with their interface; after a repair the routed path works again."""
    with Lab(HOSPITAL) as lab:
        for fault in (faults.NodeDown("ward1"), faults.LinkDown("core", "fw1"), faults.NodeDown("fw1")):
            assert loss(lab, "ward1", "emr1") == 0 and loss(lab, "guest1", "emr1") == 0
            fault.inject(lab)
            fault.repair(lab)
            assert loss(lab, "ward1", "emr1") == 0, f"after {fault}"
            assert loss(lab, "guest1", "emr1") == 0, f"after {fault}"


def test_a_labs_service_files_live_and_die_with_the_lab():
    """The PACS stores received images in the lab's working folder, removed when the lab stops."""
    topo = Topology.from_dict(
        {
            **HOSPITAL.to_dict(),
            "nodes": HOSPITAL.to_dict()["nodes"] + [{"name": "ct1", "kind": "modality"}],
            "links": HOSPITAL.to_dict()["links"] + [{"a": "ct1", "b": "s2", "vlan": 10, "ip_a": "10.0.1.30/24"}],
        }
    )
    with Lab(topo) as lab:
        assert measure.app_probe(lab, "ct1", "pacs1")["ok"]
        stored = list((lab.workdir / "pacs1").glob("*.dcm"))
        assert len(stored) == 1, "the image the modality sent is on the PACS"
    assert not lab.workdir.exists()


def test_a_network_started_in_a_course_notebook_is_a_learning_event(tmp_path, monkeypatch):
    from mnss_activity.buffer import EventBuffer

    monkeypatch.setenv("MNSS_RECOMMENDER_URL", "http://127.0.0.1:9/unused")
    monkeypatch.setenv("JPY_SESSION_NAME", "hospital-lan/lan-build/lan-build.ipynb")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with Lab(linear(2)):
        pass
    assert [(e["item"], e["kind"]) for e in EventBuffer().pending()] == [("hospital-lan/lan-build", "topology_run")]


@pytest.mark.skipif(os.geteuid() != 0, reason="building on the host is root's fallback")
def test_root_builds_on_the_host_where_no_holder_can_be_entered(monkeypatch):
    """A container's root may lack what entering a holder's namespaces takes (CAP_SYS_CHROOT):
    then the lab is built directly on the host, as before holders existed."""
    from mnss_kernel.runtime import holder

    def refuse(*args, **kwargs):
        raise EngineError("could not enter the lab's namespaces: Operation not permitted")

    monkeypatch.setattr(holder, "start", refuse)
    with Lab(linear(2)) as lab:
        assert not lab.held and lab.ns("h1") in existing_namespaces()
        assert loss(lab, "h1", "h2") == 0
    with pytest.raises(EngineError, match="could not enter"):
        Lab(linear(2), holder=True).start()
