"""Login throttling per account and per address: growing delays, then a temporary lock.

The counts live in the accounts database, so restarting the hub forgives nothing, under keys
that are pseudonyms (see pseudonym.py): the table names no one. A name that has no account is
counted exactly like one that has, so the answers never tell whether an account exists.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    free_failures: int  # failures answered at once
    lock_after: int  # failures that lock the key for `ThrottlePolicy.lock_seconds`


@dataclass(frozen=True)
class ThrottlePolicy:
    account: Limits = Limits(free_failures=3, lock_after=10)
    # Many staff share a hospital's address: its limits are looser than one account's.
    address: Limits = Limits(free_failures=20, lock_after=100)
    base_delay: float = 1.0  # seconds to wait after the first failure past the free ones; doubles
    max_delay: float = 30.0
    lock_seconds: float = 900.0
    forget_after: float = 3600.0  # quiet time after which a key's failures are forgotten

    def wait_after(self, failures: int, limits: Limits) -> tuple[float, bool]:
        """(seconds to refuse attempts for, whether that is a lock) after `failures` failures."""
        if failures >= limits.lock_after:
            return self.lock_seconds, True
        past_free = failures - limits.free_failures
        if past_free <= 0:
            return 0.0, False
        return min(self.base_delay * 2 ** (past_free - 1), self.max_delay), False


@dataclass(frozen=True)
class Refusal:
    retry_after: float
    locked: bool


def ensure_table(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS login_failures ("
        " key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last REAL NOT NULL,"
        " refused_until REAL NOT NULL, locked INTEGER NOT NULL)"
    )


class LoginThrottle:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        policy: ThrottlePolicy,
        clock: Callable[[], float] = time.time,
    ):
        self.connect, self.policy, self.clock = connect, policy, clock

    def refusal(self, keys: list[str]) -> Refusal | None:
        """Why an attempt under these keys is refused right now without checking its password."""
        now = self.clock()
        with closing(self.connect()) as db:
            rows = db.execute(
                f"SELECT refused_until, locked FROM login_failures WHERE key IN ({','.join('?' * len(keys))})",
                keys,
            ).fetchall()
        waits = [(until - now, bool(locked)) for until, locked in rows if until > now]
        if not waits:
            return None
        return Refusal(retry_after=max(w for w, _ in waits), locked=any(lock for _, lock in waits))

    def record_failure(self, keyed_limits: dict[str, Limits]) -> Refusal | None:
        """Count one failure under each key; the refusal the next attempt will meet, if any."""
        now, worst = self.clock(), None
        with closing(self.connect()) as db, db:
            db.execute("BEGIN IMMEDIATE")
            for key, limits in keyed_limits.items():
                row = db.execute("SELECT failures, last FROM login_failures WHERE key = ?", (key,)).fetchone()
                failures = 1 + (row[0] if row and now - row[1] < self.policy.forget_after else 0)
                wait, locked = self.policy.wait_after(failures, limits)
                db.execute(
                    "INSERT INTO login_failures VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
                    " failures = excluded.failures, last = excluded.last,"
                    " refused_until = excluded.refused_until, locked = excluded.locked",
                    (key, failures, now, now + wait, int(locked)),
                )
                if wait and (worst is None or wait > worst.retry_after):
                    worst = Refusal(retry_after=wait, locked=locked)
        return worst

    def forgive(self, key: str) -> None:
        with closing(self.connect()) as db, db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))
