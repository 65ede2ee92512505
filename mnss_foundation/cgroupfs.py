"""What every cgroup owner here (the hub for servers, the engine for labs) does alike to cgroupfs."""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def rmdir_cgroup(folder: Path) -> bool:
    """Remove a cgroup folder (its control files go with it); a missing one counts as removed, one
    that still holds a process or a child cgroup gives False."""
    try:
        folder.rmdir()
    except FileNotFoundError:
        return True
    except OSError as err:
        if err.errno in (errno.EBUSY, errno.ENOTEMPTY):
            return False
        raise
    return True


def remove_cgroups(
    folders: Iterable[Path], wait: float, poll: float, rmdir: Callable[[Path], bool] = rmdir_cgroup
) -> bool:
    """Remove `folders` once their last process is gone: a process that is exiting holds its cgroup
    for a moment, so the busy ones are tried again every `poll` s for `wait` s; returns whether none
    is left."""
    deadline, left = time.monotonic() + wait, list(folders)
    while left:
        left = [folder for folder in left if not rmdir(folder)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    return not left
