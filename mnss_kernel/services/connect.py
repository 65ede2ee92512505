"""The plainest service check: can a TCP connection to HOST:PORT be opened at all?

For a port whose server speaks no protocol the engine knows (a firewall exercise's listener that
accepts and closes): `ok` says something listens there and the path lets the connection through;
a firewall that drops it times out, one with nothing behind it is refused.
"""

from __future__ import annotations

from .rows import Deadline, check_target, describe_error, row
from .tcp import connect

SERVICE = "tcp"


def tcp_connect(host: str, port: int, timeout: float = 5.0) -> dict:
    """Open a TCP connection and close it again; rtt_ms is the time to connect."""
    check_target(host, port, timeout)
    deadline = Deadline(timeout)
    try:
        with connect(host, port, deadline):
            rtt = deadline.elapsed_ms()
    except OSError as exc:
        return row(SERVICE, host, port, False, None, describe_error(exc, timeout))
    return row(SERVICE, host, port, True, rtt, "connection opened")
