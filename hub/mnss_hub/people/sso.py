"""Institutional SSO logins tied to real-name profiles by (issuer, subject).

The OpenID Connect `sub` claim is unique and never reassigned within its issuer, unlike a
display name or an email, so it is the only thing matched on. A person's first SSO login either
redeems an invitation (register, then `link`) or is linked by an admin to an existing profile.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import NotAllowed
from .profiles import audit_profile, profile_row
from .store import Actor, PeopleStore
from .tables import sso_links


def linked_username(store: PeopleStore, issuer: str, sub: str) -> str | None:
    """The profile an SSO identity is linked to, or None (then: invitation or admin link)."""
    with store.begin() as conn:
        return conn.execute(
            select(sso_links.c.username).where(sso_links.c.issuer == issuer, sso_links.c.subject == sub)
        ).scalar()


def link(store: PeopleStore, actor: Actor, username: str, issuer: str, sub: str) -> None:
    """Tie an SSO identity to a profile: by the person (right after registering) or their admin.

    Refused when the identity or the profile is already linked, so one login never reaches two
    accounts and an account is never taken over by a second identity.
    """
    if not issuer or not sub:
        raise ValueError("issuer and subject are both required")
    now = store.now()
    try:
        with store.begin() as conn:
            row = profile_row(conn, username, lock=True)
            if actor.username != username:
                actor.require_manage(row.institution)
            conn.execute(sso_links.insert().values(issuer=issuer, subject=sub, username=username, linked_at=now))
            audit_profile(store, conn, now, actor.username, "link_sso", username, detail={"issuer": issuer})
    except IntegrityError:
        raise NotAllowed(
            "该统一身份认证账号或本账号已经绑定过", "this SSO identity or this account is already linked"
        ) from None


def unlink(store: PeopleStore, actor: Actor, username: str, reason: str = "") -> int:
    """Remove the account's SSO link (e.g. the person changed institution); returns links removed."""
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, username, lock=True)
        actor.require_manage(row.institution)
        removed = conn.execute(sso_links.delete().where(sso_links.c.username == username)).rowcount
        audit_profile(
            store, conn, now, actor.username, "unlink_sso", username, reason=reason, detail={"removed": removed}
        )
    return removed
