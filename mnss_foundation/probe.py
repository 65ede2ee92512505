"""Asking the machine whether it allows something (a namespace, a mount) by trying it once.

A refused kernel feature shows up later as a server that never answers or a kernel that died; a
short command tried up front gives the machine's own words for the refusal instead.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


def refusal(argv: Sequence[str], name: str = "", timeout: float = 30) -> str:
    """Why running `argv` failed here, or "" when it succeeded: its stderr, else its exit status,
    named `name` (what is being tried, when a wrapper such as setpriv runs first) or the program."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{name}: {err}" if name else str(err)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"{name or argv[0]} exited with {done.returncode}")
