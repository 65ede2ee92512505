"""In the learner's kernel: count cell executions of course notebooks (loaded at kernel start)."""

from __future__ import annotations

import os

from .buffer import EventBuffer
from .items import item_for


def register(ip, buffer: EventBuffer | None = None) -> None:
    """Record an 'executed' event after each cell run in a notebook of a fetched assignment."""
    item = item_for(os.environ.get("JPY_SESSION_NAME"))
    if ip is None or item is None:
        return
    buffer = buffer or EventBuffer()

    def after_cell(result) -> None:
        try:
            buffer.record(item, "executed")
        except Exception:  # never let bookkeeping break a learner's cell
            pass

    ip.events.register("post_run_cell", after_cell)
