"""Fault localisation on a real lab: faults of every kind are seeded into one running network (two
of each, picked by seed), and the diagnosis, reading only the nodes (ip, iptables, tc) and measuring
(fping, traceroute), ranks each seeded fault first; a pair of faults gives both. `mnss diagnose`
runs a drill end to end on a lab built from a file with a mistyped gateway, judged against the
intended file. The lab is torn down by `with Lab(...)`, also when an assertion fails."""

import copy

import pytest

from mnss_kernel import cli, faults
from mnss_kernel.diagnose import fault_key
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import Topology
from tests.support.topologies import links, nodes

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]

KINDS = ["link_down", "node_down", "wrong_vlan", "wrong_gateway", "route_removed", "firewall_block", "throttle"]
NET = {
    "name": "diagmix",
    "nodes": [
        *nodes("h1:host", "h2:workstation", "s1:switch", "r1:router", "r2:router"),
        {"name": "fw1", "kind": "firewall", "rules": [{"action": "deny", "src": "10.0.0.0/24", "dst": "10.0.3.0/24"}]},
        *nodes("h3:host", "pacs:pacs"),
    ],
    "links": [
        {"a": "h1", "b": "s1", "vlan": 10},
        {"a": "h2", "b": "s1", "vlan": 10},
        {"a": "s1", "b": "r1", "vlan": 10, "bw": 50},
        *links("r1-r2", "r2-fw1", "fw1-h3", "fw1-pacs"),
    ],
}


def test_every_fault_kind_seeded_into_a_running_lab_is_the_top_suspect(tmp_path, capsys):
    with Lab(Topology.from_dict(NET)) as lab:
        intact = lab.diagnose()
        assert intact.suspects == [] and intact.failing_pairs == 0 and intact.blocked_by_design > 0
        offered = faults.candidates(lab.topology, lab.plan)
        assert {f.kind for f in offered} == set(KINDS)
        slowest = 0.0
        for n, kind in enumerate(KINDS):
            for fault in faults.random_faults(lab.topology, lab.plan, seed=n, count=2, kinds={kind}):
                fault.inject(lab)
                try:
                    result = lab.diagnose()
                finally:
                    fault.repair(lab)
                slowest = max(slowest, result.seconds)
                keys = [s.key for s in result.suspects]
                assert keys[:1] == [fault_key(fault)], f"{fault}: {result.text('en')}"
                assert result.suspects[0].evidence, fault
        pair = [faults.LinkDown("r2", "fw1"), faults.WrongVlan("s1", "h2", 20)]
        for fault in pair:
            fault.inject(lab)
        try:
            result = lab.diagnose()
        finally:
            for fault in pair:
                fault.repair(lab)
        assert {s.key for s in result.suspects[:2]} == {fault_key(f) for f in pair}, result.text("en")
        assert "traceroute" in result.text("en") and "链路断开" in result.text("zh-CN")
        assert lab.diagnose().suspects == [], "every repair restored the plan"
    print(f"slowest diagnosis {slowest:.1f} s")

    # A lab built from a file with a mistyped gateway, judged against the intended file, plus a drill fault.
    good, broken = tmp_path / "good.yaml", tmp_path / "broken.yaml"
    Topology.from_dict(NET).save(good)
    mistyped = copy.deepcopy(NET)
    mistyped["nodes"][0]["gateway"] = "10.0.0.254"
    Topology.from_dict(mistyped).save(broken)
    argv = ["diagnose", str(broken), "--intended", str(good), "--inject", "route_removed:r1,10.0.3.0/24"]
    argv += ["--faults", "1", "--seed", "3"]
    assert cli.main([*argv, "--language", "en"]) == 0
    out, err = capsys.readouterr()
    assert "missing route: r1 has no route to 10.0.3.0/24" in out
    assert "wrong gateway: h1's default gateway is 10.0.0.254, planned 10.0.0.1" in out
    assert "3 suspect(s)" in out
    assert "RouteRemoved(router='r1', network='10.0.3.0/24'): suspect #" in err
    assert err.count(": suspect #") == 2, err  # the injected fault and the one seeded by --seed
