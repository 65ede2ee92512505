"""Run one server as a process the engine can supervise: one READY line, then serve until SIGTERM."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable
from typing import TextIO

from .tcp import RunningServer

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve_until_signalled(
    kind: str, start: Callable[[], RunningServer], out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Start, announce `READY <kind> <port>`, block until SIGTERM/SIGINT, stop, return 0.

    A signal may land on any thread (numpy, imported by pydicom, starts OpenBLAS workers at
    import), so the wait is on the signal wakeup fd, which the handler writes from whichever
    thread caught it, rather than on sigwait in the main thread.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    previous_fd = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    previous = {sig: signal.signal(sig, lambda signum, frame: None) for sig in STOP_SIGNALS}
    try:
        server = start()
        for key, value in server.info.items():
            print(f"{kind}: {key} = {value}", file=err, flush=True)
        print(f"READY {kind} {server.port}", file=out, flush=True)
        while wake_r.recv(1)[0] not in STOP_SIGNALS:  # other handled signals also write here
            pass
        server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        wake_r.close()
        wake_w.close()
    return 0
