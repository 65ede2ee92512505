"""`python -m mnss_foundation.with_parent MODULE ARGS...`: run MODULE so that it ends with its parent.

The hub starts its services (exchange, recommender, formgraders, idle culler) as its children.
When the hub is killed outright (`kill -9`, the OOM killer) nothing stops them: they keep their
ports, and the restarted hub's copies fail with "Address already in use" and are restarted
forever. Linux's parent-death signal (prctl PR_SET_PDEATHSIG) has the kernel send SIGTERM the
moment the parent dies; it survives exec, so the module then runs exactly as it would alone.
Elsewhere (no prctl) the module simply runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel for `sig` when the parent dies; True if it will. If the parent died before
    the request took effect, `sig` is sent at once."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)
    return True


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        sys.exit("usage: python -m mnss_foundation.with_parent MODULE [ARGS...]")
    die_with_parent()
    os.execv(sys.executable, [sys.executable, "-m", *args])


if __name__ == "__main__":
    main()
