"""Invitation-only accounts: usernames with bcrypt password hashes in a small SQLite file.

Accounts are created by an administrator (or an import), never by self sign-up. The file is
kept with mode 0600; passwords are never stored or logged in clear.
"""

from __future__ import annotations

import enum
import errno
import hashlib
import os
import re
import secrets
import sqlite3
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import bcrypt

from .throttle import ensure_table as ensure_throttle_table

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
# Work factor 10, OWASP's minimum for bcrypt: about 60 ms a check here, so a login stays under
# 300 ms (p95) even with a class logging in at once on 2 cores; 11 doubled that and missed it under
# load. Guessing is held back by the login throttle, not by the hash alone.
BCRYPT_ROUNDS = 10
MAX_PASSWORD_BYTES = 72
# Hash checked when the account does not exist, so a missing name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(BCRYPT_ROUNDS))


class AccountError(ValueError):
    """A request about an account was refused; the message says why, `code` names the reason."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.code = code


class Verdict(enum.Enum):
    """What a name and password prove."""

    OK = "ok"
    MUST_CHANGE = "must-change"  # the right one-time password: it only lets its holder set a new one
    WRONG = "wrong"  # wrong password, no such account, or a disabled account: told apart nowhere


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


def connect_private(path: Path) -> sqlite3.Connection:
    """A SQLite file only its owner can read (created 0600 in a 0700 folder): accounts and links."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = sqlite3.connect(path, timeout=30)
    if new:
        os.chmod(path, 0o600)
    return db


class AccountStore:
    def __init__(self, path: str | os.PathLike, min_password_length: int = 10):
        self.path = Path(path)
        self.min_password_length = min_password_length

    def _connect(self) -> sqlite3.Connection:
        db = connect_private(self.path)
        db.execute(
            "CREATE TABLE IF NOT EXISTS accounts ("
            " name TEXT PRIMARY KEY, pw_hash BLOB NOT NULL, must_change INTEGER NOT NULL,"
            " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        columns = {row[1] for row in db.execute("PRAGMA table_info(accounts)")}
        if "disabled" not in columns:  # stores made before accounts could be disabled
            db.execute("ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0")
        ensure_throttle_table(db)
        return db

    @contextmanager
    def _writing(self):
        """One write transaction. On a full disk SQLite rolls it back and the file stays as it was;
        that becomes an AccountError naming the folder (code "disk-full")."""
        try:
            with closing(self._connect()) as db, db:
                yield db
        except (sqlite3.OperationalError, OSError) as err:
            full = getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or getattr(err, "errno", None) in (
                errno.ENOSPC,
                errno.EDQUOT,
            )
            if not full:
                raise
            folder = self.path.parent
            raise AccountError(
                f"账户库所在磁盘已满（{folder}），未做任何修改；请释放空间 / "
                f"the disk under the account store is full ({folder}): nothing was changed; free space there",
                "disk-full",
            ) from None

    def check_password(self, password: str) -> None:
        if len(password or "") < self.min_password_length:
            raise AccountError(
                f"password too short: at least {self.min_password_length} characters", "password-too-short"
            )
        # bcrypt reads only the first 72 bytes; a longer password would be silently cut.
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise AccountError(
                f"password too long: at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (a Chinese character takes 3)",
                "password-too-long",
            )

    def exists(self, name: str) -> bool:
        with closing(self._connect()) as db:
            return db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone() is not None

    def enabled(self, name: str) -> bool:
        """The account exists and is not disabled (an SSO login needs no password state)."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT disabled FROM accounts WHERE name = ?", (name,)).fetchone()
        return bool(row) and not row[0]

    def create(self, name: str, password: str, must_change: bool = True) -> None:
        check_username(name)
        self.check_password(password)
        now = datetime.now(UTC).isoformat()
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        with self._writing() as db:
            try:
                db.execute(
                    "INSERT INTO accounts (name, pw_hash, must_change, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (name, pw_hash, int(must_change), now, now),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"account {name!r} already exists", "exists") from None

    def set_password(self, name: str, password: str, must_change: bool = False) -> None:
        self.check_password(password)
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        with self._writing() as db:
            cur = db.execute(
                "UPDATE accounts SET pw_hash = ?, must_change = ?, updated_at = ? WHERE name = ?",
                (pw_hash, int(must_change), datetime.now(UTC).isoformat(), name),
            )
            if cur.rowcount != 1:
                raise AccountError(f"no account {name!r}", "no-account")

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        with self._writing() as db:
            cur = db.execute(
                "UPDATE accounts SET disabled = ?, updated_at = ? WHERE name = ?",
                (int(disabled), datetime.now(UTC).isoformat(), name),
            )
            if cur.rowcount != 1:
                raise AccountError(f"no account {name!r}", "no-account")

    def remove(self, name: str) -> None:
        with self._writing() as db:
            if db.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount != 1:
                raise AccountError(f"no account {name!r}", "no-account")

    def password_fingerprint(self, name: str) -> str:
        """Changes whenever the password does; names nothing about it."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT pw_hash FROM accounts WHERE name = ?", (name,)).fetchone()
        return hashlib.sha256(row[0]).hexdigest()[:16] if row else ""

    def awaiting_new_password(self, name: str) -> bool:
        """Holds a one-time password and is not disabled: may choose a password of its own."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT must_change, disabled FROM accounts WHERE name = ?", (name,)).fetchone()
        return bool(row) and bool(row[0]) and not row[1]

    def in_good_standing(self, name: str) -> bool:
        """May a session of this account go on? Not once it is disabled, removed or reset."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT must_change, disabled FROM accounts WHERE name = ?", (name,)).fetchone()
        return bool(row) and not row[0] and not row[1]

    def check(self, name: str, password: str) -> Verdict:
        with closing(self._connect()) as db:
            row = db.execute("SELECT pw_hash, must_change, disabled FROM accounts WHERE name = ?", (name,)).fetchone()
        stored = row[0] if row else _DUMMY_HASH
        raw = (password or "").encode()
        # Over 72 bytes can't be a password set here; still spend the same time on it.
        matches = bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], stored) and len(raw) <= MAX_PASSWORD_BYTES
        if not (matches and row) or row[2]:
            return Verdict.WRONG
        return Verdict.MUST_CHANGE if row[1] else Verdict.OK

    def verify(self, name: str, password: str) -> bool:
        """The password is this account's (one-time or not)."""
        return self.check(name, password) is not Verdict.WRONG
