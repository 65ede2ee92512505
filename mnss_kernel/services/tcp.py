"""Plain TCP plumbing shared by the socket-based servers and probes (MLLP, HTTP, echo)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .rows import Deadline

IDLE_TIMEOUT = 60.0  # a server drops a client that says nothing for this long


@dataclass
class RunningServer:
    """A server started in background threads: where it listens and how to stop it."""

    port: int
    stop: Callable[[], None]
    info: dict = field(default_factory=dict)  # e.g. the PACS storage directory


def address_family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def start_socketserver(
    server_cls: type[socketserver.TCPServer], host: str, port: int, handler: type[socketserver.BaseRequestHandler]
) -> RunningServer:
    """Bind (port 0 picks a free one), serve in a daemon thread, return the bound port."""
    cls = type(
        server_cls.__name__,
        (server_cls,),
        {"address_family": address_family(host), "allow_reuse_address": True, "daemon_threads": True},
    )
    server = cls((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{port}", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return RunningServer(port=server.server_address[1], stop=stop)


def connect(host: str, port: int, deadline: Deadline) -> socket.socket:
    """A connected socket, or the OSError/TimeoutError that says why not."""
    return socket.create_connection((host, port), timeout=deadline.remaining())


def recv_until(sock: socket.socket, done: Callable[[bytes], bool], deadline: Deadline, limit: int = 1 << 20) -> bytes:
    """Read until done(received) holds; EOF first or more than `limit` bytes is an error."""
    data = b""
    while not done(data):
        sock.settimeout(deadline.remaining())
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"server closed the connection after {len(data)} bytes")
        data += chunk
        if len(data) > limit:
            raise ConnectionError(f"reply larger than {limit} bytes")
    return data
