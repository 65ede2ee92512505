"""Which hub account an institutional (OpenID Connect) identity logs in as.

An identity is the pair (issuer, subject): the provider's immutable, verified `sub` claim, never
a display name or an e-mail address that a person or a directory can change. The links live in
their own table of the hub's database (`mnss_account_links`), one account per identity and at most one
identity per account and issuer, so two people can never end up sharing a name, a container or
a volume.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from .account_tables import account_links as links, engine_for, reader_for
from .accounts import AccountError, check_username

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
    """(issuer, subject) -> username, in the `mnss_account_links` table on the SQLAlchemy URL `url`."""

    def __init__(self, url: str):
        self.url = url

    @property
    def engine(self) -> Engine:
        return engine_for(self.url)

    def _value(self, column, **match) -> str | None:
        """The one value of `column` in the link matching `match`, or None."""
        with reader_for(self.url).connect() as conn:
            return conn.execute(select(column).where(*(links.c[k] == v for k, v in match.items()))).scalar()

    def username_for(self, issuer: str, subject: str) -> str | None:
        return self._value(links.c.username, issuer=issuer, subject=subject)

    def subject_of(self, issuer: str, username: str) -> str | None:
        return self._value(links.c.subject, issuer=issuer, username=username)

    def link(self, issuer: str, subject: str, username: str, how: str) -> Link:
        """Link an identity to an account; refuses (changing nothing) if either side is taken."""
        if not issuer or not subject:
            raise LinkError("issuer and subject must not be empty")
        if how not in HOW:
            raise LinkError(f"how={how!r}: must be one of {', '.join(HOW)}")
        username = normalise_username(username)
        created = Link(issuer, subject, username, how, datetime.now(UTC).isoformat())
        with self.engine.begin() as conn:
            taken = conn.execute(
                select(links.c.username).where(links.c.issuer == issuer, links.c.subject == subject)
            ).scalar()
            if taken:
                raise LinkError(f"subject {subject!r} of {issuer} is already linked to account {taken!r}")
            other = conn.execute(
                select(links.c.subject).where(links.c.issuer == issuer, links.c.username == username)
            ).scalar()
            if other:
                raise LinkError(f"account {username!r} is already linked to subject {other!r} of {issuer}")
            conn.execute(insert(links).values(**asdict(created)))
        return created

    def unlink(self, issuer: str, subject: str) -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(links).where(links.c.issuer == issuer, links.c.subject == subject))
            if gone.rowcount != 1:
                raise LinkError(f"no link for subject {subject!r} of {issuer}")

    def unlink_account(self, username: str) -> int:
        """Remove every link to an account (it is being deleted); returns how many went."""
        with self.engine.begin() as conn:
            return conn.execute(delete(links).where(links.c.username == username)).rowcount

    def all(self) -> list[Link]:
        with reader_for(self.url).connect() as conn:
            rows = conn.execute(
                select(links.c.issuer, links.c.subject, links.c.username, links.c.how, links.c.created_at).order_by(
                    links.c.issuer, links.c.username
                )
            ).all()
        return [Link(*row) for row in rows]
