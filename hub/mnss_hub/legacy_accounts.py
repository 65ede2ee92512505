"""Moving an upgraded site's `accounts.sqlite` into the hub's database, once.

Versions before the account tables kept the password accounts, their SSO links and the login
counters in `state_dir/accounts.sqlite`. Whatever opens the accounts (the hub at start, each
`mnss-hub` command) calls `import_once` first: all rows are copied in one transaction, then the
file is renamed `accounts.sqlite.migrated` (kept, never deleted). If anything fails, the
transaction is rolled back, the file keeps its name and the error says why, so the next start
tries again.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from mnss_foundation.database_full import where

from .account_tables import account_links, accounts, engine_for, login_failures
from .accounts import AccountError

MIGRATED_SUFFIX = ".migrated"


def migrated_path(path: Path) -> Path:
    return path.with_name(path.name + MIGRATED_SUFFIX)


def _read(path: Path) -> dict[str, list[dict]]:
    """Every row of the old file's three tables (a table the old version never made is empty)."""
    with closing(sqlite3.connect(path, timeout=30)) as db:
        db.row_factory = sqlite3.Row
        present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if present and "accounts" not in present:  # (an empty file holds nothing to lose)
            raise sqlite3.DatabaseError("it has no accounts table")

        def rows(table: str) -> list[dict]:
            return [dict(r) for r in db.execute(f"SELECT * FROM {table}")] if table in present else []  # noqa: S608

        return {"accounts": rows("accounts"), "sso_links": rows("sso_links"), "login_failures": rows("login_failures")}


def _failed(path: Path, url: str, why: str) -> AccountError:
    return AccountError(
        f"旧账户文件 {path} 未能导入数据库（{where(url)}）：{why}。该文件和数据库均未改动；"
        f"请排除问题后重新启动 / the old account file {path} could not be imported into the database "
        f"({where(url)}): {why}. Neither the file nor the database was changed; fix this and start again",
        "import-failed",
    )


def import_once(path: str | Path, url: str) -> int | None:
    """Import the old file at `path` into the tables on `url` and rename it; the number of
    accounts imported, or None when there is no old file (already imported, or a new site)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        old = _read(path)
    except sqlite3.DatabaseError as err:
        raise _failed(path, url, f"it is not a readable account file ({err})") from None
    try:
        with engine_for(url).begin() as conn:
            for row in old["accounts"]:
                conn.execute(
                    insert(accounts).values(
                        name=row["name"],
                        pw_hash=bytes(row["pw_hash"]),
                        must_change=bool(row["must_change"]),
                        disabled=bool(row.get("disabled", 0)),
                        created_at=row["created_at"],
                        updated_at=row["updated_at"],
                    )
                )
            if old["sso_links"]:
                conn.execute(insert(account_links), old["sso_links"])
            if old["login_failures"]:
                conn.execute(
                    insert(login_failures),
                    [{**row, "locked": bool(row["locked"])} for row in old["login_failures"]],
                )
    except IntegrityError as err:
        raise _failed(path, url, f"a row is already in the database ({err.orig})") from None
    except DBAPIError as err:
        raise _failed(path, url, str(err.orig)) from None
    path.rename(migrated_path(path))
    return len(old["accounts"])


def imported_message(path: Path, count: int) -> str:
    return (
        f"已将 {count} 个账户从 {path} 导入数据库，原文件已改名为 {migrated_path(path).name} / "
        f"imported {count} account(s) from {path} into the database; the file is now {migrated_path(path).name}"
    )


def import_at_start(path: str, url: str, log) -> None:
    """The hub's start: import the old file if there is one, and log what happened."""
    if not path:
        return
    count = import_once(path, url)
    if count is not None:
        log.info(imported_message(Path(path), count))
