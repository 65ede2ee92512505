"""Parsing of the measurement tools' output (captured from real runs)."""

import pytest

from mnss_kernel.measure import parse_fping, parse_iperf3, parse_ping, parse_traceroute
from mnss_kernel.runtime.shell import EngineError
from tests.support.topologies import links, nodes

PING_OK = """PING 10.0.0.11 (10.0.0.11) 56(84) bytes of data.

--- 10.0.0.11 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 405ms
rtt min/avg/max/mdev = 0.035/0.061/0.099/0.027 ms
"""
PING_LOST = """PING 10.0.1.10 (10.0.1.10) 56(84) bytes of data.

--- 10.0.1.10 ping statistics ---
2 packets transmitted, 0 received, 100% packet loss, time 1020ms
"""
# `fping -q -C 3` from a guest device of the campus template (its firewall drops the first two);
# one reply of .11 taken out to show a partial loss, and the line fping adds for an unreachable target.
FPING = """10.0.0.1       : - - -
10.0.10.10     : - - -
192.168.100.10 : 0.020 0.018 0.020
192.168.100.11 : 0.042 - 0.023
ICMP Host Unreachable from 10.0.253.1 for ICMP Echo sent to 10.9.9.9
10.9.9.9       : - - -
"""
TRACE = """traceroute to 192.168.5.7 (192.168.5.7), 16 hops max, 60 byte packets
 1  10.0.0.1  0.034 ms
 2  *
 3  192.168.5.7  0.057 ms
"""


def test_ping_parsing():
    assert parse_ping(PING_OK) == (3, 3, 0.061)
    assert parse_ping(PING_LOST) == (2, 0, None)
    assert parse_ping("connect: Network is unreachable") == (0, 0, None)


def test_fping_parsing():
    assert parse_fping(FPING) == {
        "10.0.0.1": (3, 0, None),
        "10.0.10.10": (3, 0, None),
        "192.168.100.10": (3, 3, 0.019),
        "192.168.100.11": (3, 2, 0.033),
        "10.9.9.9": (3, 0, None),
    }
    assert parse_fping("fping: command not found") == {}


def test_traceroute_parsing():
    assert parse_traceroute(TRACE) == [
        {"hop": 1, "address": "10.0.0.1", "rtt_ms": 0.034},
        {"hop": 2, "address": None, "rtt_ms": None},
        {"hop": 3, "address": "192.168.5.7", "rtt_ms": 0.057},
    ]


def test_iperf3_parsing():
    report = {
        "end": {
            "sum_sent": {"bits_per_second": 2e7, "retransmits": 3},
            "sum_received": {"bits_per_second": 1.9e7, "seconds": 1.0},
        }
    }
    assert parse_iperf3(report) == {"mbps_sent": 20.0, "mbps_received": 19.0, "retransmits": 3, "seconds": 1.0}
    with pytest.raises(EngineError, match="unable to connect"):
        parse_iperf3({"error": "unable to connect to server"})


class RecordingLab:
    """A stand-in Lab that answers every fping with all replies and records each command."""

    def __init__(self, topo):
        from mnss_kernel.topology import plan

        self.topology, self.plan, self.commands = topo, plan(topo), []

    def address(self, node):
        return str(self.plan.address(node))

    def cmd(self, node, command, timeout=60):
        from types import SimpleNamespace

        self.commands.append((node, command))
        count = int(command.split(" -C ")[1].split()[0])
        ips = [word for word in command.split() if word.count(".") == 3 and word.replace(".", "").isdigit()]
        lines = "".join(f"{ip} : {' '.join(['0.050'] * count)}\n" for ip in ips)
        return SimpleNamespace(stdout="", stderr=lines, returncode=0)


def test_ping_matrix_includes_routers_sends_three_per_pair_in_the_c_locale():
    from mnss_kernel import measure
    from mnss_kernel.topology import Topology

    topo = Topology.from_dict(
        {
            "nodes": nodes("h1:host", "r1:router", "h2:host", "s1:switch"),
            "links": links("h1-s1", "r1-s1", "r1-h2"),
        }
    )
    lab = RecordingLab(topo)
    pings = measure.ping_matrix(lab)
    assert sorted(set(pings.src)) == ["h1", "h2", "r1"] and len(pings) == 6
    assert all(" -C 3 " in command and command.startswith("LC_ALL=C fping ") for _, command in lab.commands)
    assert set(pings.received) == {3} and set(pings.rtt_avg_ms) == {0.05}
    measure.ping_matrix(lab, count=5)
    assert " -C 5 " in lab.commands[-1][1]
    with pytest.raises(ValueError, match="count: 0 pings per pair"):
        measure.ping_matrix(lab, count=0)
