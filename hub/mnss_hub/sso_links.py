"""Which hub account an institutional (OpenID Connect) identity logs in as.

An identity is the pair (issuer, subject): the provider's immutable, verified `sub` claim, never
a display name or an e-mail address that a person or a directory can change. The links live in
their own table of the accounts database (mode 0600), one account per identity and at most one
identity per account and issuer, so two people can never end up sharing a name, a container or
a volume.
"""

from __future__ import annotations

import os
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .accounts import AccountError, check_username, connect_private

HOW = ("admin", "invitation", "preferred_username")


class LinkError(ValueError):
    """A link was refused; the message says why."""


def normalise_username(name: str) -> str:
    """NFKC then casefold, so 'Ｌｉ.Wei' and 'li.wei' are one name, then the project's username rules."""
    folded = unicodedata.normalize("NFKC", name or "").casefold().strip()
    try:
        return check_username(folded)
    except AccountError as err:
        raise LinkError(str(err)) from None


@dataclass(frozen=True)
class Link:
    issuer: str
    subject: str
    username: str
    how: str
    created_at: str


class LinkStore:
    """(issuer, subject) -> username, in the `sso_links` table of the SQLite file at `path`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        db = connect_private(self.path)
        db.execute(
            "CREATE TABLE IF NOT EXISTS sso_links ("
            " issuer TEXT NOT NULL, subject TEXT NOT NULL, username TEXT NOT NULL,"
            " how TEXT NOT NULL, created_at TEXT NOT NULL,"
            " PRIMARY KEY (issuer, subject), UNIQUE (issuer, username))"
        )
        return db

    def _value(self, query: str, args: tuple) -> str | None:
        """The one value `query` selects, or None."""
        with closing(self._connect()) as db:
            row = db.execute(query, args).fetchone()
        return row[0] if row else None

    def username_for(self, issuer: str, subject: str) -> str | None:
        return self._value("SELECT username FROM sso_links WHERE issuer = ? AND subject = ?", (issuer, subject))

    def subject_of(self, issuer: str, username: str) -> str | None:
        return self._value("SELECT subject FROM sso_links WHERE issuer = ? AND username = ?", (issuer, username))

    def link(self, issuer: str, subject: str, username: str, how: str) -> Link:
        """Link an identity to an account; refuses (changing nothing) if either side is taken."""
        if not issuer or not subject:
            raise LinkError("issuer and subject must not be empty")
        if how not in HOW:
            raise LinkError(f"how={how!r}: must be one of {', '.join(HOW)}")
        username = normalise_username(username)
        created = Link(issuer, subject, username, how, datetime.now(UTC).isoformat())
        with closing(self._connect()) as db, db:
            taken = db.execute(
                "SELECT username FROM sso_links WHERE issuer = ? AND subject = ?", (issuer, subject)
            ).fetchone()
            if taken:
                raise LinkError(f"subject {subject!r} of {issuer} is already linked to account {taken[0]!r}")
            other = db.execute(
                "SELECT subject FROM sso_links WHERE issuer = ? AND username = ?", (issuer, username)
            ).fetchone()
            if other:
                raise LinkError(f"account {username!r} is already linked to subject {other[0]!r} of {issuer}")
            db.execute(
                "INSERT INTO sso_links VALUES (?, ?, ?, ?, ?)",
                (created.issuer, created.subject, created.username, created.how, created.created_at),
            )
        return created

    def unlink(self, issuer: str, subject: str) -> None:
        with closing(self._connect()) as db, db:
            if db.execute("DELETE FROM sso_links WHERE issuer = ? AND subject = ?", (issuer, subject)).rowcount != 1:
                raise LinkError(f"no link for subject {subject!r} of {issuer}")

    def unlink_account(self, username: str) -> int:
        """Remove every link to an account (it is being deleted); returns how many went."""
        with closing(self._connect()) as db, db:
            return db.execute("DELETE FROM sso_links WHERE username = ?", (username,)).rowcount

    def all(self) -> list[Link]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT issuer, subject, username, how, created_at FROM sso_links ORDER BY issuer, username"
            ).fetchall()
        return [Link(*row) for row in rows]
