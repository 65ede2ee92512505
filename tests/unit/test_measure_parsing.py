"""Parsing of the measurement tools' output (captured from real runs)."""

import pytest

from mnss_kernel.measure import parse_iperf3, parse_ping, parse_traceroute
from mnss_kernel.runtime.shell import EngineError

PING_OK = """PING 10.0.0.11 (10.0.0.11) 56(84) bytes of data.

--- 10.0.0.11 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 405ms
rtt min/avg/max/mdev = 0.035/0.061/0.099/0.027 ms
"""
PING_LOST = """PING 10.0.1.10 (10.0.1.10) 56(84) bytes of data.

--- 10.0.1.10 ping statistics ---
2 packets transmitted, 0 received, 100% packet loss, time 1020ms
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


def test_traceroute_parsing():
    assert parse_traceroute(TRACE) == [{"hop": 1, "address": "10.0.0.1", "rtt_ms": 0.034},
                                       {"hop": 2, "address": None, "rtt_ms": None},
                                       {"hop": 3, "address": "192.168.5.7", "rtt_ms": 0.057}]


def test_iperf3_parsing():
    report = {"end": {"sum_sent": {"bits_per_second": 2e7, "retransmits": 3},
                      "sum_received": {"bits_per_second": 1.9e7, "seconds": 1.0}}}
    assert parse_iperf3(report) == {"mbps_sent": 20.0, "mbps_received": 19.0, "retransmits": 3, "seconds": 1.0}
    with pytest.raises(EngineError, match="unable to connect"):
        parse_iperf3({"error": "unable to connect to server"})
