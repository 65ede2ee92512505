"""A TCP echo service standing in for a database server: it proves the port is reachable end to end."""

from __future__ import annotations

import socketserver
import uuid

from .rows import Deadline, check_target, describe_error, row
from .tcp import IDLE_TIMEOUT, RunningServer, connect, recv_until, start_socketserver

SERVICE = "tcp-echo"
DEFAULT_PORT = 5432  # the PostgreSQL port, so firewall exercises look like a real database


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(IDLE_TIMEOUT)
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass


def start_echo_server(host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> RunningServer:
    return start_socketserver(socketserver.ThreadingTCPServer, host, port, _EchoHandler)


def tcp_echo(host: str, port: int, timeout: float = 5.0) -> dict:
    """Send a unique line and expect it back byte for byte; rtt_ms covers connect to full echo."""
    check_target(host, port, timeout)
    payload = f"MNSS-ECHO {uuid.uuid4().hex}\n".encode()
    deadline = Deadline(timeout)
    try:
        with connect(host, port, deadline) as sock:
            sock.sendall(payload)
            echoed = recv_until(sock, lambda got: len(got) >= len(payload), deadline, limit=1 << 16)
            rtt = deadline.elapsed_ms()
    except OSError as exc:
        return row(SERVICE, host, port, False, None, describe_error(exc, timeout))
    if echoed != payload:
        return row(SERVICE, host, port, False, rtt, f"echo differs: sent {payload!r}, got {echoed!r}")
    return row(SERVICE, host, port, True, rtt, f"echoed {len(payload)} bytes")
