"""Build the 3-router clinic (VLANs, firewall, NAT, an htb-shaped link), measure it, print JSON.

Run as root and as an unprivileged account by tests/integration/test_rootless_engine.py, which
compares the reports: `python lab_report.py OWNER [auto|host]`.
"""

from __future__ import annotations

import json
import os
import sys
import time

from mnss_kernel import faults, measure
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import Topology

SHAPED_MBIT = 20
# The clinic's LAN, also built by tests/integration/test_engine.py: a ward and a PACS on VLAN 10,
# guests on VLAN 20 across two switches, a core router, and a firewall keeping guests off the ward.
CLINIC_LAN_NODES = [
    {"name": "ward1", "kind": "nurse_station"},
    {"name": "pacs1", "kind": "pacs"},
    {"name": "guest1", "kind": "guest"},
    {"name": "guest2", "kind": "guest"},
    {"name": "emr1", "kind": "emr"},
    {"name": "s1", "kind": "switch"},
    {"name": "s2", "kind": "switch"},
    {"name": "core", "kind": "router"},
    {"name": "fw1", "kind": "firewall", "rules": [{"action": "deny", "src": "10.0.9.0/24", "dst": "10.0.1.0/24"}]},
]
CLINIC_LAN_LINKS = [
    {"a": "ward1", "b": "s1", "vlan": 10, "ip_a": "10.0.1.10/24"},
    {"a": "guest1", "b": "s1", "vlan": 20},
    {"a": "s1", "b": "s2", "vlans": [10, 20]},
    {"a": "pacs1", "b": "s2", "vlan": 10, "ip_a": "10.0.1.20/24"},
    {"a": "guest2", "b": "s2", "vlan": 20},
    {"a": "core", "b": "s2", "vlan": 10, "ip_a": "10.0.1.1/24"},
    {"a": "fw1", "b": "s2", "vlan": 20, "ip_a": "10.0.9.1/24"},
    {"a": "core", "b": "fw1"},
]
# The 3-router clinic: the EMR behind a data-centre router over a shaped link, and a NAT edge.
CLINIC = {
    "name": "clinic3",
    "nodes": [
        *CLINIC_LAN_NODES,
        {"name": "dc", "kind": "router"},
        {"name": "edge", "kind": "router"},
        {"name": "gw", "kind": "nat", "outside": "inet"},
        {"name": "inet", "kind": "host"},
    ],
    "links": [
        *CLINIC_LAN_LINKS,
        {"a": "core", "b": "dc", "bw": SHAPED_MBIT},
        {"a": "dc", "b": "emr1"},
        {"a": "core", "b": "edge"},
        {"a": "edge", "b": "gw"},
        {"a": "gw", "b": "inet"},
    ],
}

# Print the address a TCP connection to port 7000 comes from.
PEER = (
    "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
    "s.bind(('', 7000)); s.listen(); print('LISTENING', flush=True); c, a = s.accept(); print(a[0], flush=True)"
)


def loss(lab: Lab, src: str, dst: str) -> float:
    return measure.ping(lab, src, dst, count=2, timeout=1)["loss_pct"]


def seen_by_inet(lab: Lab) -> str:
    """The source address the outside host sees for a connection from the ward."""
    server = lab.popen("inet", [sys.executable, "-c", PEER], stdout=__import__("subprocess").PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "LISTENING"
        lab.cmd("ward1", f"{sys.executable} -c \"import socket; socket.create_connection(('inet', 7000), 5)\"")
        return server.stdout.readline().strip()
    finally:
        server.kill()
        server.wait(5)


def report(owner: str, holder: bool | None) -> dict:
    topo = Topology.from_dict(CLINIC)
    started = time.perf_counter()
    with Lab(topo, owner=owner, holder=holder) as lab:
        built = time.perf_counter() - started
        pings = measure.ping_matrix(lab)
        emr_net = next(str(s.subnet) for s in lab.plan.segments if any(m.node == "emr1" for m in s.members))
        trials = [
            (faults.LinkDown("core", "dc"), "ward1", "emr1"),
            (faults.NodeDown("fw1"), "guest1", "emr1"),
            (faults.FirewallBlock("fw1", "10.0.9.0/24", emr_net), "guest1", "emr1"),
            (faults.RouteRemoved("core", emr_net), "ward1", "emr1"),
        ]
        fault_results = []
        for fault, src, dst in trials:
            before = loss(lab, src, dst)
            fault.inject(lab)
            during = loss(lab, src, dst)
            fault.repair(lab)
            fault_results.append({"fault": fault.describe(), "loss": [before, during, loss(lab, src, dst)]})
        gw_outside = next(str(i.ip.ip) for i in lab.plan.interfaces["gw"] if i.peer_node == "inet")
        holder_pid = lab.holder_pid
        return {
            "uid": os.geteuid(),
            "rootless": lab.rootless,
            "held": lab.held,
            "uid_map": open(f"/proc/{holder_pid}/uid_map").read().split() if holder_pid else None,
            "build_seconds": built,
            "pings": {f"{r.src}>{r.dst}": r.loss_pct for r in pings.itertuples()},
            "iperf_mbps": float(measure.iperf(lab, "ward1", "emr1", seconds=2).iloc[0].mbps_received),
            "nat": {"seen": seen_by_inet(lab), "gw_outside": gw_outside, "ward": lab.address("ward1")},
            "faults": fault_results,
        }


if __name__ == "__main__":
    mode = sys.argv[2] if len(sys.argv) > 2 else "auto"
    print(json.dumps(report(sys.argv[1], {"auto": None, "host": False}[mode])))
