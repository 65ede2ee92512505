"""Files written whole or not at all: a crash or a full disk never leaves half a file, and a
private file is never readable by others, not even for a moment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_PREFIX = ".tmp-"  # readers that list a folder skip names starting with this


def write_atomic(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Replace `path` with `data` (str is written as UTF-8): written and synced to a temporary file
    of mode `mode` beside it, then renamed over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)  # created 0600
    try:
        if mode != 0o600:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
