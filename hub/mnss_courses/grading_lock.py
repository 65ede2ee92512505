"""One grading step per course root at a time.

The round page and `mnss/api/*` (the instructor's CLI) both write the course's gradebook and its
release/, submitted/, autograded/ and feedback/ folders. Two steps at once (a collect while an
autograde runs, two autogrades) would interleave their writes, so a step takes this lock first and
a second one is refused at once with what is running, rather than waiting behind it for minutes
or writing half a gradebook.

The lock is an advisory `flock` on a hidden file in the course root: it holds across processes
too (a host-side `mnss course ... --root` on the same root, a formgrader restarted while its old
server still grades), and the kernel drops it when its holder dies, so a crash leaves no stale
lock. flock conflicts between two opens of the file in one process as well, so threads need
nothing more.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from mnss_foundation import i18n

LOCK_FILE = ".mnss-grading.lock"  # hidden: the formgrader's file view never shows it
# Holders that are done in a moment (the round page writing the learners' names into the
# gradebook) are waited for this long rather than refused; so is one that has not said what it is.
SHORT_ACTIONS, PATIENCE = {"names"}, 2.0


class Busy(Exception):
    """Another grading step holds the course root; `zh`/`en` say which one and since when."""

    def __init__(self, holder: dict):
        self.holder = holder
        texts = i18n.load(__package__)
        action, assignment = holder.get("action"), holder.get("assignment") or ""
        step = texts["grading_steps"].pair(action) if action in texts["grading_steps"] else ("?", "?")
        what = i18n.Both(f"{step[0]} {assignment}".strip(), f"{step[1]} {assignment}".strip())
        self.zh, self.en = texts["grading_lock"].pair("busy", step=what, started=holder.get("started") or "?")
        super().__init__(self.en)


@contextmanager
def one_step(root: str | Path, action: str, assignment: str):
    """Hold the course root's grading lock while `action` (a code of messages.yaml's
    grading_steps) runs on `assignment`; `Busy` at once if another step holds it."""
    path = Path(root) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _take(fd, action)
        started = time.strftime("%H:%M:%S", time.gmtime())
        _write(fd, {"action": action, "assignment": assignment, "started": started, "pid": os.getpid()})
        try:
            yield
        finally:
            _write(fd, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _take(fd: int, action: str) -> None:
    """The lock, or `Busy` naming its holder; a short holder is waited for up to PATIENCE."""
    until = time.monotonic() + PATIENCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(fd)
        if action in SHORT_ACTIONS or holder.get("action", "names") not in SHORT_ACTIONS:
            raise Busy(holder)
        if time.monotonic() > until:
            raise Busy(holder)
        time.sleep(0.05)


def _write(fd: int, holder: dict | None) -> None:
    os.ftruncate(fd, 0)
    if holder is not None:
        os.pwrite(fd, json.dumps(holder).encode(), 0)


def _holder(fd: int) -> dict:
    """What the holder wrote (it may not have yet: then nothing is known but that it runs)."""
    try:
        found = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
