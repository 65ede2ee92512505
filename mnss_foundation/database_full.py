"""Telling a full disk under a database apart from other write failures, and saying where it is.

The hub's account and people stores and the recommender's event store each turn a write that
failed for want of space into a refusal that names the folder (or server) to free, and keep what
they had: SQLite and PostgreSQL both roll the transaction back.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"


def is_disk_full(err: BaseException) -> bool:
    """A write failed because the disk (or quota) under the database is full."""
    orig = err.orig if isinstance(err, DBAPIError) else err
    return (
        getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(orig, "sqlstate", None) == POSTGRES_DISK_FULL
        or getattr(orig, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
    )


def where(url: str) -> str:
    """Where the database's data lies, for a message: a SQLite file's folder, else the server."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return str(Path(parsed.database).parent)
    return f"{parsed.get_backend_name()} {parsed.host or ''}/{parsed.database or ''}"


@contextmanager
def refused_when_full(url: str, refusal: Callable[[str], Exception]) -> Iterator[None]:
    """Around a write transaction on `url`: a failure for want of space becomes `refusal(folder)`
    (the database has rolled back); every other error passes unchanged."""
    try:
        yield
    except (DBAPIError, OSError) as err:
        if isinstance(err, IntegrityError) or not is_disk_full(err):
            raise
        raise refusal(where(url)) from None
