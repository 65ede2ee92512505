"""The people database: one engine, its tables, the keyring, the audit log and the site policy.

`PeopleStore(url, keyring, directory)` opens (and creates) the `mnss_` tables on a SQLAlchemy
URL: a SQLite file (created 0600, written in `BEGIN IMMEDIATE` transactions so two writers wait
for each other instead of failing) or PostgreSQL. The operations live in `invitations.py` and
`profiles.py` as plain functions taking the store and an `Actor`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from mnss_foundation.database_full import refused_when_full

from . import tables
from .audit import AuditLog
from .consent import CONSENT_VERSION
from .crypto import Keyring, PiiKeyError
from .directory import Directory
from .errors import NotAllowed, StorageFull

ADMIN, INSTITUTION_ADMIN, MEMBER, SYSTEM = "admin", "institution_admin", "member", "system"
READ_ONLY = "mnss_read_only"  # execution option: a SQLite transaction that only reads
APPROVAL_POLICIES = ("immediate", "institution_admin")
T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who asks: a hub admin, an institution admin (of `institution`), a member, or the system (CLI)."""

    username: str
    role: str = MEMBER
    institution: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in (ADMIN, SYSTEM)

    def may_manage(self, institution: str) -> bool:
        return self.is_admin or (self.role == INSTITUTION_ADMIN and self.institution == institution)

    def require_manage(self, institution: str) -> None:
        if not self.may_manage(institution):
            raise NotAllowed(
                f"您只能管理本机构（{self.institution or '无'}）的邀请和账号，不能管理“{institution}”",
                f"you may only manage invitations and accounts of your own institution "
                f"({self.institution or 'none'}), not {institution!r}",
            )

    def listing_scope(self, institution: str | None) -> str | None:
        """The institution a listing is limited to: what was asked (None: all) for an admin, the
        actor's own for an institution admin (refused when another one was asked)."""
        if self.is_admin:
            return institution
        self.require_manage(institution or self.institution or "")
        return self.institution

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAllowed("只有管理员可以这样做", "only an administrator may do this")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def fetch_page(conn: Connection, table, where: list, order_by, offset: int, limit: int) -> tuple[int, list]:
    """(count of all rows matching `where`, the rows of one page of them in `order_by` order)."""
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rows = conn.execute(select(table).where(*where).order_by(order_by).offset(offset).limit(limit)).all()
    return total, rows


def one_of(name: str, value: str, allowed) -> str:
    """`value` if it is one of `allowed`, else a ValueError naming the setting and the choices."""
    if value not in allowed:
        raise ValueError(f"{name} {value!r}: use one of {', '.join(allowed)}")
    return value


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _private_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str) -> Engine:
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None:
        _private_sqlite(sqlite_file)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA secure_delete = ON")  # deleted personal data is zeroed, not left in free pages
        if sqlite_file is not None:
            dbapi_conn.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A reader (READ_ONLY) takes no write lock: in WAL mode it reads beside a writer, also
        # one holding its lock in the same thread (a check called inside a write transaction).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


@dataclass
class PeopleStore:
    """Everything an operation needs. `clock` is replaceable so tests can move time."""

    url: str
    keyring: Keyring
    directory: Directory
    approval: str = "immediate"
    clock: Callable[[], datetime] = tables.now
    consent_version: str = CONSENT_VERSION
    reveal_roles: frozenset[str] = frozenset({ADMIN, SYSTEM})
    key_loader: Callable[[], Keyring] | None = None  # re-reads the key file after another process rotated
    engine: Engine = field(init=False, repr=False)
    audit: AuditLog = field(init=False, repr=False)

    def __post_init__(self):
        if self.approval not in APPROVAL_POLICIES:
            raise ValueError(f"approval policy {self.approval!r}: use one of {', '.join(APPROVAL_POLICIES)}")
        self.engine = make_engine(self.url)
        tables.metadata.create_all(self.engine)
        self.audit = AuditLog(self.keyring.audit_key)
        try:
            with self.begin() as conn:
                if conn.execute(select(tables.pii_key.c.current)).scalar() is None:
                    conn.execute(tables.pii_key.insert().values(id=1, current=self.keyring.current))
                self.audit.ensure_head(conn)
        except IntegrityError:
            pass  # another process created them first
        with self.begin() as conn:
            current = conn.execute(select(tables.pii_key.c.current)).scalar_one()
        if current not in self.keyring.keys:
            self.engine.dispose()
            raise PiiKeyError(
                f"the personal data in this database is encrypted with key {current!r}, which the "
                "key given does not hold: use the key file (or $MNSS_PII_KEY) that belongs to it"
            )

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: `with store.begin() as conn:` commits on success, rolls back on error.
        On a full disk the database keeps what it had, and the write is refused with StorageFull."""
        with refused_when_full(self.url, StorageFull), self.engine.begin() as conn:
            yield conn

    def sealing_ring(self, conn: Connection) -> Keyring:
        """The keyring to encrypt (and hash ID numbers) with inside this transaction: its current key
        is the database's. Holds a shared lock on the key row until the transaction ends."""
        current = conn.execute(select(tables.pii_key.c.current).with_for_update(read=True)).scalar_one()
        if current not in self.keyring.keys and self.key_loader is not None:
            self.keyring = self.key_loader()
        if current not in self.keyring.keys:
            raise PiiKeyError(
                f"personal data is now encrypted with key {current!r} (rotated by another "
                "process); restart with the new key file"
            )
        # A key file may already name a newer key whose rotation has not committed (or failed): the
        # database's word counts, so nothing is written with a key the data has not moved to.
        return self.keyring if self.keyring.current == current else replace(self.keyring, current=current)

    def decrypt(self, token: str, column: str) -> str:
        """Decrypt with the keyring, re-reading the key file once if the token's key is new to it."""
        if self.keyring.key_id_of(token) not in self.keyring.keys and self.key_loader is not None:
            self.keyring = self.key_loader()
        return self.keyring.decrypt(token, column)

    def record_refusal(self, actor: Actor, attempt: str, subject: str, detail: dict | None = None) -> None:
        """Keep an attempt outside the actor's scope (another institution's invitation or account)
        in the audit log; the caller refuses it."""
        with self.begin() as conn:
            self.audit.append(
                conn,
                at=self.now(),
                actor=actor.username,
                action="refused",
                subject=subject,
                detail={"attempt": attempt, "role": actor.role, "institution": actor.institution, **(detail or {})},
            )

    def scrub_freed_space(self) -> None:
        """After erasing a person: on SQLite, write the log back and truncate it, so the erased
        rows' old page images do not linger in the -wal file (secure_delete zeroes the rest).
        PostgreSQL reclaims dead rows with its own VACUUM."""
        if self.engine.dialect.name != "sqlite":
            return
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    def verify_audit(self):
        with self.begin() as conn:
            return self.audit.verify(conn)

    def close(self) -> None:
        self.engine.dispose()
