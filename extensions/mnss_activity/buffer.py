"""Events waiting to be delivered, on disk, so nothing is lost while the recommender is down.

A small SQLite file in the user's home: kernels append, the server extension sends and deletes
only what the service confirmed. Event ids make a resend harmless (the service stores each once).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path

from mnss_foundation.server_settings import ENV

KINDS = ("opened", "executed", "submitted", "graded", "topology_run", "closed", "fetched")


def record_if_enabled(item: str | None, kind: str, event_id: str | None = None) -> None:
    """Record a learning event, when this server reports activity ($MNSS_RECOMMENDER_URL is set)."""
    if item and os.environ.get(ENV["recommender_url"]):
        EventBuffer().record(item, kind, event_id=event_id)


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mnss" / "activity.sqlite"


class EventBuffer:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or default_path())

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("CREATE TABLE IF NOT EXISTS pending (event_id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        return db

    def record(
        self,
        item: str,
        kind: str,
        score: float | None = None,
        duration: float | None = None,
        event_id: str | None = None,
    ) -> str:
        """Append an event. A caller that can name the event (e.g. from its content) passes
        `event_id`, so the same thing recorded twice is pending once here and stored once by the service."""
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        event = {"event_id": event_id or uuid.uuid4().hex, "item": item, "kind": kind, "timestamp": time.time()}
        if score is not None:
            event["score"] = score
        if duration is not None:
            event["duration"] = duration
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO pending VALUES (?, ?)", (event["event_id"], json.dumps(event)))
        return event["event_id"]

    def pending(self, limit: int = 500) -> list[dict]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT body FROM pending ORDER BY rowid LIMIT ?", (limit,)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def delivered(self, event_ids: list[str]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("DELETE FROM pending WHERE event_id = ?", [(e,) for e in event_ids])
