"""The one result shape every probe returns, so service checks and pings fit in one DataFrame.

Network failures become a row with ok=False and a sentence a learner can act on; only wrong
arguments (a programming error, not a network state) raise.
"""

from __future__ import annotations

import errno
import math
import socket
import time

ROW_KEYS = ("service", "server", "port", "ok", "rtt_ms", "detail")

_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused (nothing is listening on that port)",
    errno.ECONNRESET: "connection reset by the server",
    errno.EHOSTUNREACH: "host unreachable (no route to it)",
    errno.ENETUNREACH: "network unreachable (no route to it)",
    errno.ETIMEDOUT: "timed out",
    errno.EPIPE: "connection closed by the server while sending",
}


def row(service: str, server: str, port: int, ok: bool, rtt_ms: float | None, detail: str) -> dict:
    """A probe result; rtt_ms is None whenever the exchange did not complete."""
    return {
        "service": service,
        "server": server,
        "port": port,
        "ok": bool(ok),
        "rtt_ms": None if rtt_ms is None else round(rtt_ms, 3),
        "detail": detail,
    }


def check_target(host: str, port: int, timeout: float) -> None:
    """Reject arguments no network could make sense of, before any packet is sent."""
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f"host must be a non-empty string, got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be an integer from 1 to 65535, got {port!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def describe_error(exc: BaseException, timeout: float) -> str:
    """A readable reason for a failed connection or exchange."""
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    if isinstance(exc, TimeoutError) and exc.errno in (None, errno.ETIMEDOUT):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_TEXT:
        return _ERRNO_TEXT[exc.errno]
    if isinstance(exc, ConnectionError) and exc.errno is None:
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class Deadline:
    """One time budget for a whole exchange, so a server that trickles bytes cannot stall a probe."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.perf_counter()

    def remaining(self) -> float:
        """Seconds left; raises TimeoutError once the budget is spent."""
        left = self.seconds - (time.perf_counter() - self.started)
        if left <= 0:
            raise TimeoutError(f"timed out after {self.seconds:g} s")
        return left

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0
