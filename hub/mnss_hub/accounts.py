"""Invitation-only accounts: usernames with bcrypt password hashes in the hub's database.

Accounts are created by an administrator (or an invitation), never by self sign-up. They are the
`mnss_accounts` table on the people store's URL (a 0600 SQLite file by default, or PostgreSQL);
passwords are never stored or logged in clear.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime

import bcrypt
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from mnss_foundation.database_full import refused_when_full

from .account_tables import accounts, engine_for, reader_for

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


def disk_full(folder: str) -> AccountError:
    return AccountError(
        f"账户库所在磁盘已满（{folder}），未做任何修改；请释放空间 / "
        f"the disk under the account store is full ({folder}): nothing was changed; free space there",
        "disk-full",
    )


class AccountStore:
    """The accounts on the SQLAlchemy URL `url` (the people store's: `apply.accounts_url(site)`)."""

    def __init__(self, url: str, min_password_length: int = 10):
        self.url = url
        self.min_password_length = min_password_length

    @property
    def engine(self) -> Engine:
        return engine_for(self.url)

    @contextmanager
    def _writing(self):
        """One write transaction. On a full disk the database rolls it back and keeps what it had;
        that becomes an AccountError naming where the data lies (code "disk-full")."""
        with refused_when_full(self.url, disk_full), self.engine.begin() as conn:
            yield conn

    def _row(self, name: str, *columns):
        with reader_for(self.url).connect() as conn:
            return conn.execute(select(*columns).where(accounts.c.name == name)).first()

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
        return self._row(name, accounts.c.name) is not None

    def enabled(self, name: str) -> bool:
        """The account exists and is not disabled (an SSO login needs no password state)."""
        row = self._row(name, accounts.c.disabled)
        return bool(row) and not row[0]

    def names(self) -> list[str]:
        with reader_for(self.url).connect() as conn:
            return list(conn.execute(select(accounts.c.name).order_by(accounts.c.name)).scalars())

    def create(self, name: str, password: str, must_change: bool = True) -> None:
        check_username(name)
        self.check_password(password)
        now = datetime.now(UTC).isoformat()
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        row = dict(name=name, pw_hash=pw_hash, must_change=must_change, disabled=False, created_at=now, updated_at=now)
        try:
            with self._writing() as conn:
                conn.execute(insert(accounts).values(**row))
        except IntegrityError:
            raise AccountError(f"account {name!r} already exists", "exists") from None

    def _update(self, name: str, **values) -> None:
        with self._writing() as conn:
            changed = conn.execute(
                update(accounts)
                .where(accounts.c.name == name)
                .values(**values, updated_at=datetime.now(UTC).isoformat())
            )
            if changed.rowcount != 1:
                raise AccountError(f"no account {name!r}", "no-account")

    def set_password(self, name: str, password: str, must_change: bool = False) -> None:
        self.check_password(password)
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS))
        self._update(name, pw_hash=pw_hash, must_change=must_change)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self._update(name, disabled=disabled)

    def remove(self, name: str) -> None:
        with self._writing() as conn:
            if conn.execute(delete(accounts).where(accounts.c.name == name)).rowcount != 1:
                raise AccountError(f"no account {name!r}", "no-account")

    def password_fingerprint(self, name: str) -> str:
        """Changes whenever the password does; names nothing about it."""
        row = self._row(name, accounts.c.pw_hash)
        return hashlib.sha256(row[0]).hexdigest()[:16] if row else ""

    def awaiting_new_password(self, name: str) -> bool:
        """Holds a one-time password and is not disabled: may choose a password of its own."""
        row = self._row(name, accounts.c.must_change, accounts.c.disabled)
        return bool(row) and bool(row[0]) and not row[1]

    def in_good_standing(self, name: str) -> bool:
        """May a session of this account go on? Not once it is disabled, removed or reset."""
        row = self._row(name, accounts.c.must_change, accounts.c.disabled)
        return bool(row) and not row[0] and not row[1]

    def check(self, name: str, password: str) -> Verdict:
        row = self._row(name, accounts.c.pw_hash, accounts.c.must_change, accounts.c.disabled)
        stored = bytes(row[0]) if row else _DUMMY_HASH
        raw = (password or "").encode()
        # Over 72 bytes can't be a password set here; still spend the same time on it.
        matches = bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], stored) and len(raw) <= MAX_PASSWORD_BYTES
        if not (matches and row) or row[2]:
            return Verdict.WRONG
        return Verdict.MUST_CHANGE if row[1] else Verdict.OK

    def verify(self, name: str, password: str) -> bool:
        """The password is this account's (one-time or not)."""
        return self.check(name, password) is not Verdict.WRONG
