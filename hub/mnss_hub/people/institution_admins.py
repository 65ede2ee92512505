"""Institution admins: who may manage the invitations and accounts of one institution.

Two sources, read together: the site config's `accounts.institution_admins` (fixed, changed by
editing the config) and grants in `mnss_institution_admins` made with
`mnss-hub institution-admin grant|revoke` without a restart. Each grant and revocation is an
entry of the audit log, like every other change to who may see personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine

from .errors import NotAllowed, NotFound
from .store import READ_ONLY, Actor, PeopleStore
from .tables import institution_admins as grants

CONFIG = "site config"
GRANTED = "granted"


@dataclass(frozen=True)
class InstitutionAdmin:
    username: str
    institution: str
    source: str  # CONFIG or GRANTED
    granted_by: str = ""
    granted_at: datetime | None = None


def _granted(conn: Connection, username: str):
    return conn.execute(select(grants).where(grants.c.username == username)).first()


def institution_of(engine: Engine, username: str) -> str | None:
    """The institution a grant (not the site config) makes `username` an admin of."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        return conn.execute(select(grants.c.institution).where(grants.c.username == username)).scalar()


def _in_config(configured: Mapping[str, str], username: str) -> NotAllowed:
    institution = configured[username]
    return NotAllowed(
        f"{username} 是站点配置 accounts.institution_admins 中“{institution}”的机构管理员，请在站点配置中修改",
        f"{username} is the institution admin of {institution!r} by the site config "
        "(accounts.institution_admins): change it there",
    )


def grant(
    store: PeopleStore,
    actor: Actor,
    username: str,
    institution: str,
    *,
    is_user: Callable[[str], bool],
    configured: Mapping[str, str],
) -> InstitutionAdmin:
    """Make an existing account the admin of a directory institution (replacing an earlier grant)."""
    actor.require_admin()
    if not is_user(username):
        raise NotFound("profile", username)
    if institution not in store.directory.institutions:
        raise NotFound("institution", institution)
    if username in configured:
        raise _in_config(configured, username)
    at = store.now()
    with store.begin() as conn:
        earlier = _granted(conn, username)
        if earlier:
            conn.execute(delete(grants).where(grants.c.username == username))
        row = {"username": username, "institution": institution, "granted_by": actor.username, "granted_at": at}
        conn.execute(insert(grants).values(**row))
        detail = {"institution": institution, **({"replaces": earlier.institution} if earlier else {})}
        store.audit.append(
            conn, at=at, actor=actor.username, action="grant_institution_admin", subject=username, detail=detail
        )
    return InstitutionAdmin(username, institution, GRANTED, actor.username, at)


def revoke(store: PeopleStore, actor: Actor, username: str, *, configured: Mapping[str, str]) -> InstitutionAdmin:
    """Take a grant back; the person keeps their account."""
    actor.require_admin()
    if username in configured:
        raise _in_config(configured, username)
    at = store.now()
    with store.begin() as conn:
        earlier = _granted(conn, username)
        if earlier is None:
            raise NotFound("institution_admin", username)
        conn.execute(delete(grants).where(grants.c.username == username))
        store.audit.append(
            conn,
            at=at,
            actor=actor.username,
            action="revoke_institution_admin",
            subject=username,
            detail={"institution": earlier.institution},
        )
    return InstitutionAdmin(username, earlier.institution, GRANTED, earlier.granted_by, earlier.granted_at)


def list_all(store: PeopleStore, configured: Mapping[str, str]) -> list[InstitutionAdmin]:
    """Every institution admin, from the site config and granted, by institution then name."""
    with store.begin() as conn:
        rows = conn.execute(select(grants)).all()
    found = [InstitutionAdmin(name, inst, CONFIG) for name, inst in configured.items()]
    found += [InstitutionAdmin(r.username, r.institution, GRANTED, r.granted_by, r.granted_at) for r in rows]
    return sorted(found, key=lambda a: (a.institution, a.username))
