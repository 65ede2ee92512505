"""In the learner's kernel: record each cell execution of a course notebook (loaded at kernel
start) with the time on task since the previous one, so the learning record grows while the
learner works, not only when the kernel stops; record 'closed' when the kernel shuts down."""

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

    def cell_ran(self, now: float | None = None) -> float:
        """Count the time since the last cell (capped); return that part."""
        now = time.monotonic() if now is None else now
        spent = min(max(0.0, now - self.last), IDLE_GAP)
        self.seconds += spent
        self.last = now
        return spent


def register(ip, buffer: EventBuffer | None = None, at_exit=atexit.register, clock=time.monotonic) -> None:
    """Record an 'executed' event after each cell run in a notebook of a fetched assignment, with
    whether it raised and the time on task since the cell before (the record sums them), and
    'closed' when the kernel shuts down (JupyterLab closing the notebook)."""
    item = item_for(os.environ.get("JPY_SESSION_NAME"))
    if ip is None or item is None:
        return
    buffer = buffer or EventBuffer()
    on_task = TimeOnTask(now=clock())

    def after_cell(result) -> None:
        try:
            spent = on_task.cell_ran(now=clock())
            # score: 1 when the cell ran without an error, 0 when it raised (errors count too)
            failed = getattr(result, "error_in_exec", None)
            buffer.record(item, "executed", score=0.0 if failed else 1.0, duration=round(spent, 1))
        except Exception:  # never let bookkeeping break a learner's cell
            pass

    def on_shutdown() -> None:
        try:
            buffer.record(item, "closed")  # its time was counted cell by cell
        except Exception:
            pass

    ip.events.register("post_run_cell", after_cell)
    at_exit(on_shutdown)
