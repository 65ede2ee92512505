"""What every cgroup owner here (the hub for servers, the engine for labs) does alike to cgroupfs."""

from __future__ import annotations

import errno
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
