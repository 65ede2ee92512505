"""Run one server as a process the engine can supervise: one READY line, then serve until SIGTERM."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TextIO

from .tcp import RunningServer

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def serve_until_signalled(kind: str, start: Callable[[], RunningServer], out: TextIO | None = None,
                          err: TextIO | None = None) -> int:
    """Start, announce `READY <kind> <port>`, block until SIGTERM/SIGINT, stop, return 0.

    The stop signals are blocked before any server thread exists (threads inherit the mask), so
    only the sigwait below ever sees them: no handler runs in the middle of a request.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        server = start()
        for key, value in server.info.items():
            print(f"{kind}: {key} = {value}", file=err, flush=True)
        print(f"READY {kind} {server.port}", file=out, flush=True)
        signal.sigwait(STOP_SIGNALS)
        server.stop()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return 0
