"""The revision nbgrader stamps on each new gradebook, read in this process.

nbgrader's `Gradebook` stamps a new database with the head of its own alembic migrations, which it
learns by running the `alembic heads` command: a fresh interpreter importing SQLAlchemy and alembic,
seconds of CPU for every new gradebook (every course root, every `mnss course validate`, every
formgrader of a new site starting at once). alembic's own `ScriptDirectory` reads the same head from
the same migration scripts here, once per process; `install()` makes nbgrader use it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import nbgrader.api
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(nbgrader.api.__file__).parent / "alembic"


@functools.cache
def head_revision() -> str:
    """The head revision of nbgrader's migrations, as `alembic heads` prints it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def install() -> None:
    """Let nbgrader's `Gradebook` stamp new databases with `head_revision` (no subprocess)."""
    nbgrader.api.get_alembic_version = head_revision
