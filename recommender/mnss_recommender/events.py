"""Learner activity events and where they are kept.

An event says that one learner (a pseudonym, never a login name) did one thing to one notebook
("course-id/assignment-id") at one time. Producers give every event an id; the store keeps each id
once per learner, so a producer that retries after a lost answer does no harm, and no learner's
event is ever dropped because another learner's server chose the same id.

The store is plain SQLAlchemy Core: SQLite by default, any SQLAlchemy URL (PostgreSQL, ...) works.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from mnss_foundation.database_full import refused_when_full

from .profiles import LearnerProfile

KINDS = ("opened", "executed", "submitted", "graded", "topology_run", "closed", "fetched")
MAX_ID_LENGTH = 128  # the width of the event_id, learner and item columns


class EventError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a learner did. `timestamp` is seconds since the epoch (UTC); `score` is 0..1
    (graded events); `duration` is seconds spent (closed or executed events), both optional."""

    event_id: str
    learner: str
    item: str
    kind: str
    timestamp: float
    score: float | None = None
    duration: float | None = None

    def __post_init__(self):
        problems = []
        if not self.event_id:
            problems.append("event_id: must not be empty")
        if len(self.event_id) > MAX_ID_LENGTH:
            problems.append(f"event_id: {len(self.event_id)} characters, at most {MAX_ID_LENGTH}")
        if not self.learner:
            problems.append("learner: must not be empty")
        if len(self.learner) > MAX_ID_LENGTH:
            problems.append(f"learner: {len(self.learner)} characters, at most {MAX_ID_LENGTH}")
        if len(self.item) > MAX_ID_LENGTH:
            problems.append(f"item: {len(self.item)} characters, at most {MAX_ID_LENGTH}")
        elif self.item.count("/") != 1 or not all(self.item.split("/")):
            problems.append(f"item: {self.item!r} must be course-id/assignment-id")
        if self.kind not in KINDS:
            problems.append(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if not math.isfinite(self.timestamp):
            problems.append("timestamp: must be a finite number of seconds")
        if self.score is not None and not 0.0 <= self.score <= 1.0:
            problems.append(f"score: {self.score} must be between 0 and 1")
        if self.duration is not None and not self.duration >= 0.0:
            problems.append(f"duration: {self.duration} must be >= 0 seconds")
        if problems:
            raise EventError("; ".join(problems))

    @classmethod
    def from_dict(cls, data: dict) -> Event:
        """From JSON as a producer sends it; `timestamp` may be epoch seconds or ISO 8601."""
        unknown = set(data) - {"event_id", "learner", "item", "kind", "timestamp", "score", "duration"}
        if unknown:
            raise EventError(f"unknown keys: {', '.join(sorted(unknown))}")
        try:
            ts = data["timestamp"]
            if isinstance(ts, str):
                parsed = datetime.fromisoformat(ts)
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=UTC)
                ts = parsed.timestamp()
            return cls(
                event_id=str(data["event_id"]),
                learner=str(data["learner"]),
                item=str(data["item"]),
                kind=str(data["kind"]),
                timestamp=float(ts),
                score=None if data.get("score") is None else float(data["score"]),
                duration=None if data.get("duration") is None else float(data["duration"]),
            )
        except KeyError as err:
            raise EventError(f"{err.args[0]}: missing") from None
        except (TypeError, ValueError) as err:
            if isinstance(err, EventError):
                raise
            raise EventError(str(err)) from None

    def to_dict(self) -> dict:
        return asdict(self)


def pseudonym(username: str, key: bytes) -> str:
    """A stable pseudonym for a hub user: the recommender never stores login names."""
    return hmac.new(key, username.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


metadata = sa.MetaData()

events_table = sa.Table(
    "recommender_events",
    metadata,
    sa.Column("learner", sa.String(MAX_ID_LENGTH), primary_key=True),
    sa.Column("event_id", sa.String(MAX_ID_LENGTH), primary_key=True),
    sa.Column("item", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("duration", sa.Float),
    sa.Index("ix_recommender_events_learner_ts", "learner", "ts"),
    sa.Index("ix_recommender_events_ts", "ts"),
)

profiles_table = sa.Table(
    "recommender_profiles",
    metadata,
    sa.Column("learner", sa.String(128), primary_key=True),
    sa.Column("department", sa.String(64)),
    sa.Column("categories", sa.String(256), nullable=False, default=""),
)

_COLUMNS = ("event_id", "learner", "item", "kind", "ts", "score", "duration")
KEY = ["learner", "event_id"]


def _key_events_by_learner(engine: sa.Engine) -> None:
    """Move a store made when event ids were unique on their own to the (learner, event_id) key,
    keeping every row; a store already keyed so, or a new one, is left as it is."""
    inspector = sa.inspect(engine)
    if not inspector.has_table(events_table.name):
        return
    primary = inspector.get_pk_constraint(events_table.name)
    if sorted(primary["constrained_columns"]) == sorted(KEY):
        return
    table, old, columns = events_table.name, events_table.name + "_by_id", ", ".join(_COLUMNS)
    with engine.begin() as conn:
        if engine.dialect.name != "sqlite":  # SQLite cannot change a primary key in place
            conn.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{primary["name"]}"'))
            conn.execute(sa.text(f"ALTER TABLE {table} ADD PRIMARY KEY (learner, event_id)"))
            return
        for index in inspector.get_indexes(events_table.name):
            conn.execute(sa.text(f"DROP INDEX {index['name']}"))
        conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {old}"))
        events_table.create(conn)
        conn.execute(sa.text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old}"))
        conn.execute(sa.text(f"DROP TABLE {old}"))


def _row(event: Event) -> dict:
    return {
        "event_id": event.event_id,
        "learner": event.learner,
        "item": event.item,
        "kind": event.kind,
        "ts": event.timestamp,
        "score": event.score,
        "duration": event.duration,
    }


class StoreFull(Exception):
    """The disk under the event store is full: the events of that batch were not stored."""

    def __init__(self, folder: str):
        self.folder = folder
        super().__init__(
            f"推荐服务的事件库所在磁盘已满（{folder}），这些事件未存入，发送方会保留并重发 / "
            f"the disk under the recommender's event store is full ({folder}): these events were not "
            f"stored; the sender keeps them and sends them again"
        )


class EventStore:
    """Events in a SQL database. `url` is any SQLAlchemy URL; the default keeps them in memory."""

    def __init__(self, url: str = "sqlite://", **engine_options):
        self.url = url
        if url.startswith("sqlite") and url in ("sqlite://", "sqlite:///:memory:"):
            engine_options.setdefault("poolclass", sa.pool.StaticPool)
            engine_options.setdefault("connect_args", {"check_same_thread": False})
        self.engine = sa.create_engine(url, **engine_options)
        _key_events_by_learner(self.engine)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- writing ---------------------------------------------------------------------------------

    def add(self, events: Iterable[Event], batch: int = 5000) -> int:
        """Store the events whose (learner, id) are new; returns how many were new. Sending the
        same event again (a retry) changes nothing; within one call the first of equal keys wins."""
        added = 0
        pending: dict[tuple[str, str], Event] = {}
        for event in events:
            pending.setdefault((event.learner, event.event_id), event)
            if len(pending) >= batch:
                added += self._add_batch(list(pending.values()))
                pending.clear()
        if pending:
            added += self._add_batch(list(pending.values()))
        return added

    def _add_batch(self, batch: list[Event]) -> int:
        with refused_when_full(self.url, StoreFull):
            return self._insert_new(batch)

    def _insert_new(self, batch: list[Event]) -> int:
        ids = sorted({e.event_id for e in batch})
        table = events_table.c
        with self.engine.begin() as conn:
            known = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = sa.select(table.learner, table.event_id).where(table.event_id.in_(chunk))
                known.update(tuple(row) for row in conn.execute(query))
            rows = [_row(e) for e in batch if (e.learner, e.event_id) not in known]
            if rows:
                conn.execute(self._insert_ignoring_duplicates(), rows)
        return len(rows)

    def _insert_ignoring_duplicates(self):
        """INSERT that skips ids stored meanwhile by another writer (a race the pre-check can miss)."""
        name = self.engine.dialect.name
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert

            return insert(events_table).on_conflict_do_nothing(index_elements=KEY)
        if name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert

            return insert(events_table).on_conflict_do_nothing(index_elements=KEY)
        if name in ("mysql", "mariadb"):
            return events_table.insert().prefix_with("IGNORE")
        return events_table.insert()

    def set_profile(self, learner: str, department: str | None = None, categories: Iterable[str] = ()) -> None:
        """What a learner told us (department, categories of interest), for their first recommendations."""
        values = {"learner": learner, "department": department, "categories": ",".join(categories)}
        with self.engine.begin() as conn:
            updated = conn.execute(
                profiles_table.update()
                .where(profiles_table.c.learner == learner)
                .values(department=department, categories=values["categories"])
            )
            if not updated.rowcount:
                conn.execute(profiles_table.insert(), [values])

    # --- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(events_table))

    def interactions(
        self,
        since: float | None = None,
        until: float | None = None,
        learner: str | None = None,
        items: Iterable[str] | None = None,
    ) -> list[Event]:
        """Events in time order (ties by id), optionally in [since, until), of one learner, or on some items."""
        return list(self.iter_interactions(since, until, learner, items))

    def iter_interactions(
        self,
        since: float | None = None,
        until: float | None = None,
        learner: str | None = None,
        items: Iterable[str] | None = None,
        chunk: int = 20000,
    ) -> Iterator[Event]:
        query = sa.select(*(events_table.c[c] for c in _COLUMNS))
        if since is not None:
            query = query.where(events_table.c.ts >= since)
        if until is not None:
            query = query.where(events_table.c.ts < until)
        if learner is not None:
            query = query.where(events_table.c.learner == learner)
        if items is not None:
            query = query.where(events_table.c.item.in_(list(items)))
        query = query.order_by(events_table.c.ts, events_table.c.event_id)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=chunk).execute(query)
            for event_id, who, item, kind, ts, score, duration in result:
                yield Event(event_id, who, item, kind, ts, score, duration)

    def events_of(self, learners: Iterable[str], kinds: Iterable[str] | None = None) -> dict[str, list[Event]]:
        """learner -> their events in time order (optionally only some kinds), for many learners at
        once (the training office's table); learners without events map to []."""
        wanted = list(dict.fromkeys(learners))
        found: dict[str, list[Event]] = {who: [] for who in wanted}
        query = sa.select(*(events_table.c[c] for c in _COLUMNS))
        if kinds is not None:
            query = query.where(events_table.c.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = query.where(events_table.c.learner.in_(wanted[start : start + 500]))
                for event_id, who, item, kind, ts, score, duration in conn.execute(
                    chunk.order_by(events_table.c.ts, events_table.c.event_id)
                ):
                    found[who].append(Event(event_id, who, item, kind, ts, score, duration))
        return found

    def log(self, since: float | None = None, until: float | None = None):
        """Events as columns (an interactions.EventLog), without building Event objects: for training."""
        import numpy as np

        from .interactions import EventLog

        query = sa.select(
            events_table.c.learner, events_table.c.item, events_table.c.kind, events_table.c.ts, events_table.c.score
        )
        if since is not None:
            query = query.where(events_table.c.ts >= since)
        if until is not None:
            query = query.where(events_table.c.ts < until)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(events_table.c.ts, events_table.c.event_id)).all()
        code = {k: n for n, k in enumerate(KINDS)}
        return EventLog(
            np.array([r[0] for r in rows], dtype=object),
            np.array([r[1] for r in rows], dtype=object),
            np.fromiter((code[r[2]] for r in rows), np.int8, len(rows)),
            np.fromiter((r[3] for r in rows), np.float64, len(rows)),
            np.fromiter((np.nan if r[4] is None else r[4] for r in rows), np.float64, len(rows)),
        )

    def learners(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(sa.select(events_table.c.learner).distinct().order_by(events_table.c.learner)))

    def time_range(self) -> tuple[float, float] | None:
        with self.engine.connect() as conn:
            low, high = conn.execute(sa.select(sa.func.min(events_table.c.ts), sa.func.max(events_table.c.ts))).one()
        return None if low is None else (low, high)

    def profiles(self) -> dict[str, LearnerProfile]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(profiles_table.c.learner, profiles_table.c.department, profiles_table.c.categories)
            )
            return {
                who: LearnerProfile(dept, tuple(c for c in (cats or "").split(",") if c)) for who, dept, cats in rows
            }
