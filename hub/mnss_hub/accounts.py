"""Invitation-only accounts: usernames with bcrypt password hashes in a small SQLite file.

Accounts are created by an administrator (or an import), never by self sign-up. The file is
kept with mode 0600; passwords are never stored or logged in clear.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import bcrypt

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
# Work factor 11: above the common minimum of 10, yet a class logging in at once stays cheap on 2 cores.
BCRYPT_ROUNDS = 11
# Hash checked when the account does not exist, so a missing name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(BCRYPT_ROUNDS))


class AccountError(ValueError):
    """A request about an account was refused; the message says why."""


def generate_password() -> str:
    """A random password that is easy to type once: 4 groups of 4 characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def check_username(name: str) -> str:
    if not USERNAME.match(name or ""):
        raise AccountError(
            f"username {name!r} is not allowed: use 1-32 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class AccountStore:
    def __init__(self, path: str | os.PathLike, min_password_length: int = 10):
        self.path = Path(path)
        self.min_password_length = min_password_length

    def _connect(self) -> sqlite3.Connection:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(self.path, timeout=30)
        if new:
            os.chmod(self.path, 0o600)
        db.execute(
            "CREATE TABLE IF NOT EXISTS accounts ("
            " name TEXT PRIMARY KEY, pw_hash BLOB NOT NULL, must_change INTEGER NOT NULL,"
            " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        return db

    def check_password(self, password: str) -> None:
        if len(password or "") < self.min_password_length:
            raise AccountError(f"password too short: at least {self.min_password_length} characters")
        if len(password.encode()) > 72:
            raise AccountError("password too long: at most 72 bytes")

    def exists(self, name: str) -> bool:
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone() is not None

    def must_change(self, name: str) -> bool:
        with closing(self._connect()) as db:
            row = db.execute("SELECT must_change FROM accounts WHERE name = ?", (name,)).fetchone()
        return bool(row and row[0])

    def create(self, name: str, password: str, must_change: bool = True) -> None:
        check_username(name)
        self.check_password(password)
        now = datetime.now(UTC).isoformat()
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        with closing(self._connect()) as db, db:
            try:
                db.execute(
                    "INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", (name, pw_hash, int(must_change), now, now)
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"account {name!r} already exists") from None

    def set_password(self, name: str, password: str, must_change: bool = False) -> None:
        self.check_password(password)
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "UPDATE accounts SET pw_hash = ?, must_change = ?, updated_at = ? WHERE name = ?",
                (pw_hash, int(must_change), datetime.now(UTC).isoformat(), name),
            )
            if cur.rowcount != 1:
                raise AccountError(f"no account {name!r}")

    def verify(self, name: str, password: str) -> bool:
        with closing(self._connect()) as db:
            row = db.execute("SELECT pw_hash FROM accounts WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row else _DUMMY_HASH
        ok = bcrypt.checkpw((password or "").encode()[:72], stored)
        return ok and row is not None
