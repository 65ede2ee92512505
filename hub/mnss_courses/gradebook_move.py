"""A course root's own gradebook.db moved into the gradebook database the site names, once.

Before `courses.gradebook_url`, each formgrader kept its grades in gradebook.db in its course root.
When the site (each course in a schema of its own) or course.yaml then names another database, as
an upgrade of a provisioned server does, the formgrader's launcher copies the file's rows there
before the server starts, in one transaction, and renames the file so it is neither read nor
copied again. Nothing is deleted, and rows the database already has (the course, a learner of
several courses) are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

MOVED = "gradebook.db.moved"  # what gradebook.db is renamed to once its rows are in the database


def with_schema(url: str) -> str:
    """`url`, the PostgreSQL schema its search_path names made first if missing (for_course)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    options = make_url(url).query.get("options", "")
    if not options.startswith("-csearch_path="):
        return url
    engine = create_engine(url)
    try:
        with engine.begin() as db:
            db.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{options.split("=", 1)[1]}"'))
    finally:
        engine.dispose()
    return url


def move_into(root: Path, course: str, url: str) -> int | None:
    """Copy root/gradebook.db into `url` and rename it: the rows copied, or None when there is no
    file or `url` is that file."""
    old = root / "gradebook.db"
    if not old.is_file() or url == f"sqlite:///{old}":
        return None
    from nbgrader.api import Base, Gradebook
    from sqlalchemy import create_engine, inspect, select

    Gradebook(url, course).close()  # nbgrader's tables and its schema version, as the formgrader makes them
    source, target = create_engine(f"sqlite:///{old}"), create_engine(url)
    copied = 0
    try:
        present = set(inspect(source).get_table_names())
        with source.connect() as read, target.begin() as write:
            for table in Base.metadata.sorted_tables:  # parents before the rows that refer to them
                if table.name not in present:
                    continue
                keys = list(table.primary_key.columns)
                have = {tuple(row) for row in write.execute(select(*keys))}
                rows = [
                    dict(row._mapping)
                    for row in read.execute(select(table))
                    if tuple(row._mapping[k.name] for k in keys) not in have
                ]
                if rows:
                    write.execute(table.insert(), rows)
                    copied += len(rows)
    finally:
        source.dispose()
        target.dispose()
    old.rename(root / MOVED)
    return copied
