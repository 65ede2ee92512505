"""The password accounts, their SSO links and the login counters as tables of the hub's database.

They live beside the people tables (`mnss_hub.people`), on the same SQLAlchemy URL: a SQLite file
in the state folder by default, PostgreSQL when the site config names one. One engine per URL
and process, so a login does not pay for opening the database.
"""

from __future__ import annotations

import threading

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Engine

from .people.store import READ_ONLY, make_engine

metadata = MetaData()

accounts = Table(
    "mnss_accounts",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("pw_hash", LargeBinary(60), nullable=False),  # bcrypt, never the password
    Column("must_change", Boolean, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),  # ISO 8601, as the SQLite file kept them
    Column("updated_at", String(40), nullable=False),
)

# (issuer, subject) -> account; separate from the people store's `mnss_sso_links`, which ties an
# identity to a real-name profile.
account_links = Table(
    "mnss_account_links",
    metadata,
    Column("issuer", String(255), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("username", String(32), nullable=False),
    Column("how", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("issuer", "username", name="mnss_account_links_issuer_username"),
)

login_failures = Table(
    "mnss_login_failures",
    metadata,
    Column("key", String(100), primary_key=True),  # "account:" or "address:" + a keyed hash
    Column("failures", Integer, nullable=False),
    Column("last", Float, nullable=False),
    Column("refused_until", Float, nullable=False),
    Column("locked", Boolean, nullable=False),
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """The process's engine for `url`, with the account tables created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            metadata.create_all(engine)
            _engines[url] = engine
        return engine


def reader_for(url: str) -> Engine:
    """The same engine for transactions that only read: on SQLite they take no write lock, so a
    check made while another transaction on the file writes (even in this thread) never waits."""
    return engine_for(url).execution_options(**{READ_ONLY: True})


def dispose_all() -> None:
    """Close every pooled connection (tests that remove their database, forked children)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
