"""Login throttling per account and per address: growing delays, then a temporary lock.

The counts live in the hub's database (`mnss_login_failures`), so restarting the hub forgives nothing, under keys
that are pseudonyms (see pseudonym.py): the table names no one. A name that has no account is
counted exactly like one that has, so the answers never tell whether an account exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from .account_tables import login_failures as failures_table
from .people.store import READ_ONLY


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


def _upsert(dialect: str):
    """INSERT ... ON CONFLICT for the engine's dialect (SQLite and PostgreSQL both have it)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(failures_table)


class LoginThrottle:
    def __init__(
        self,
        engine: Engine,
        policy: ThrottlePolicy,
        clock: Callable[[], float] = time.time,
    ):
        self.engine, self.policy, self.clock = engine, policy, clock

    def refusal(self, keys: list[str]) -> Refusal | None:
        """Why an attempt under these keys is refused right now without checking its password."""
        now = self.clock()
        t = failures_table.c
        with self.engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            rows = conn.execute(select(t.refused_until, t.locked).where(t.key.in_(keys))).all()
        waits = [(until - now, bool(locked)) for until, locked in rows if until > now]
        if not waits:
            return None
        return Refusal(retry_after=max(w for w, _ in waits), locked=any(lock for _, lock in waits))

    def record_failure(self, keyed_limits: dict[str, Limits]) -> Refusal | None:
        """Count one failure under each key; the refusal the next attempt will meet, if any.
        The count goes up in the database itself (an upsert that locks the row), so two failures
        at once are both counted, on PostgreSQL too."""
        now, worst = self.clock(), None
        t = failures_table.c
        with self.engine.begin() as conn:
            for key, limits in keyed_limits.items():
                upsert = _upsert(self.engine.dialect.name)
                fresh = upsert.excluded
                counted = case((now - t.last < self.policy.forget_after, t.failures + 1), else_=1)
                conn.execute(
                    upsert.values(key=key, failures=1, last=now, refused_until=now, locked=False).on_conflict_do_update(
                        index_elements=[t.key],
                        set_={"failures": counted, "last": fresh.last, "refused_until": fresh.refused_until},
                    )
                )
                failures = conn.execute(select(t.failures).where(t.key == key)).scalar_one()
                wait, locked = self.policy.wait_after(failures, limits)
                conn.execute(update(failures_table).where(t.key == key).values(refused_until=now + wait, locked=locked))
                if wait and (worst is None or wait > worst.retry_after):
                    worst = Refusal(retry_after=wait, locked=locked)
        return worst

    def forgive(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(failures_table).where(failures_table.c.key == key))
