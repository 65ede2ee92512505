"""Append-only, hash-chained audit log of who saw, exported, changed or deleted personal data.

Each entry's hash is HMAC-SHA-256 (keyed with the key file's audit key; plain SHA-256 when no key
is given) over the canonical JSON of the entry, which includes its sequence number and the
previous entry's hash. `verify` walks the chain and reports the first entry that does not fit:
a changed entry no longer matches its hash, a deleted or inserted one breaks the sequence or the
link to its predecessor, and a deleted newest entry no longer matches the head row. With the key
kept outside the database, rewriting the whole chain consistently needs that key too.

Entries are written with `append(conn, ...)` inside the caller's transaction, so an action and
its entry are committed together or not at all. Never put personal data in clear in `detail`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .messages import CATALOGUES
from .tables import audit_head, audit_log

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    reason: str
    detail: dict
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Broken:
    """The first entry where the chain fails, and how (`code`, one of the catalogue's
    audit_problems: out_of_sequence, not_linked, changed, missing, not_head)."""

    seq: int
    code: str

    @property
    def problem(self) -> str:
        return CATALOGUES["audit_problems"].text(self.code, "en")

    def pair(self) -> tuple[str, str]:
        """What does not fit, as (zh-CN, en)."""
        return CATALOGUES["audit_problems"].pair(self.code)

    def __str__(self) -> str:
        return f"audit log broken at entry {self.seq}: {self.problem}"


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class AuditLog:
    def __init__(self, key: bytes | None = None):
        self.key = key

    def _hash(self, seq, at, actor, action, subject, reason, detail_json, prev_hash) -> str:
        body = canonical(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "reason": reason,
                "detail": detail_json,
                "prev": prev_hash,
            }
        )
        if self.key:
            return hmac.new(self.key, body, hashlib.sha256).hexdigest()
        return hashlib.sha256(body).hexdigest()

    def ensure_head(self, conn: Connection) -> None:
        """Create the head row of an empty log (done once, when the store opens)."""
        if conn.execute(select(audit_head.c.id)).first() is None:
            conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))

    def append(
        self,
        conn: Connection,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str = "",
        reason: str = "",
        detail: dict | None = None,
    ) -> AuditEntry:
        head = conn.execute(select(audit_head).where(audit_head.c.id == 1).with_for_update()).one()
        seq, prev = head.seq + 1, head.hash
        at_text = at.isoformat(timespec="microseconds")
        detail_json = canonical(detail or {}).decode("utf-8")
        digest = self._hash(seq, at_text, actor, action, subject, reason, detail_json, prev)
        entry = AuditEntry(seq, at_text, actor, action, subject, reason, detail or {}, prev, digest)
        # the entry's fields are the table's columns; the detail is stored as the JSON that was hashed
        conn.execute(audit_log.insert().values(**(asdict(entry) | {"detail": detail_json})))
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
        return entry

    def verify(self, conn: Connection) -> Broken | None:
        """None when the whole chain is intact, else the first entry that is not."""
        expected_seq, prev = 1, GENESIS
        for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
            if row.seq != expected_seq:
                return Broken(min(row.seq, expected_seq), "out_of_sequence")
            if row.prev_hash != prev:
                return Broken(row.seq, "not_linked")
            if (
                self._hash(row.seq, row.at, row.actor, row.action, row.subject, row.reason, row.detail, row.prev_hash)
                != row.hash
            ):
                return Broken(row.seq, "changed")
            expected_seq, prev = row.seq + 1, row.hash
        head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
        last = expected_seq - 1
        recorded = (head.seq, head.hash) if head else (0, GENESIS)
        if recorded[0] > last:
            return Broken(last + 1, "missing")
        if recorded != (last, prev):
            return Broken(
                recorded[0] + 1 if recorded[0] < last else last,
                "not_head",
            )
        return None

    def entries(
        self, conn: Connection, *, subject: str | None = None, limit: int = 100, before: int | None = None
    ) -> list[AuditEntry]:
        """Newest first, for an admin page; `before` pages back by sequence number."""
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        if before is not None:
            query = query.where(audit_log.c.seq < before)
        return [
            AuditEntry(r.seq, r.at, r.actor, r.action, r.subject, r.reason, json.loads(r.detail), r.prev_hash, r.hash)
            for r in conn.execute(query)
        ]
