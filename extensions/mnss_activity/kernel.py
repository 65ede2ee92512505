"""In the learner's kernel: count cell executions of course notebooks (loaded at kernel start),
and when the kernel shuts down, record 'closed' with the time spent on the notebook."""

from __future__ import annotations

import atexit
import os
import time

from .buffer import EventBuffer
from .items import item_for

# A pause longer than this between two cells is not time on task (the learner was away).
IDLE_GAP = 300.0


class TimeOnTask:
    """Seconds of work on one notebook: from the kernel's start, the gaps between cell runs,
    each capped at IDLE_GAP."""

    def __init__(self, now: float | None = None):
        self.last = time.monotonic() if now is None else now
        self.seconds = 0.0

    def cell_ran(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.seconds += min(max(0.0, now - self.last), IDLE_GAP)
        self.last = now


def register(ip, buffer: EventBuffer | None = None, at_exit=atexit.register) -> None:
    """Record an 'executed' event after each cell run in a notebook of a fetched assignment (with
    whether it raised), and
    'closed' with the time on task when the kernel shuts down (JupyterLab closing the notebook)."""
    item = item_for(os.environ.get("JPY_SESSION_NAME"))
    if ip is None or item is None:
        return
    buffer = buffer or EventBuffer()
    clock = TimeOnTask()

    def after_cell(result) -> None:
        try:
            clock.cell_ran()
            # score: 1 when the cell ran without an error, 0 when it raised (errors count too)
            buffer.record(item, "executed", score=0.0 if getattr(result, "error_in_exec", None) else 1.0)
        except Exception:  # never let bookkeeping break a learner's cell
            pass

    def on_shutdown() -> None:
        try:
            buffer.record(item, "closed", duration=round(clock.seconds, 1))
        except Exception:
            pass

    ip.events.register("post_run_cell", after_cell)
    at_exit(on_shutdown)
