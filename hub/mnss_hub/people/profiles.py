"""Real-name profiles: registration through an invitation, approval, masked views, audited access.

`register` validates the form, then in one transaction checks the invitation, encrypts the ID
number, mobile and WeChat, creates the profile, marks the invitation used and writes the audit
entry; it returns the username for the hub account the caller creates next. Views are masked;
the full ID number, mobile or WeChat comes only from `reveal`, for allowed roles, with a reason,
and each reveal and export is in the audit log.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from . import masking
from .errors import FieldError, InvitationRefused, NotAllowed, NotFound, ReasonRequired, ValidationFailed
from .invitations import open_invitation_row, redeem
from .registration import Registration, validate
from .store import Actor, Page, PeopleStore, fetch_page, one_of
from .tables import audit_log, invitations as inv, profiles as prof

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
STATUSES = ("active", "pending", "disabled")
SECRET_FIELDS = ("id_number", "mobile", "wechat")


@dataclass(frozen=True)
class Registered:
    username: str
    status: str  # "active", or "pending" when an institution admin must approve first
    institution: str
    courses: tuple[str, ...]


@dataclass(frozen=True)
class ProfileView:
    """What a page shows: the ID number, mobile and WeChat masked."""

    username: str
    name: str
    gender: str
    id_number: str
    mobile: str
    wechat: str
    email: str
    institution: str
    department: str
    position: str
    title: str
    remarks: str
    status: str
    courses: tuple[str, ...]
    created_at: datetime
    approved_at: datetime | None
    deletion_requested_at: datetime | None


def subject(username: str) -> str:
    return f"profile {username}"


def audit_profile(
    store: PeopleStore, conn, at: datetime, actor: str, action: str, username: str, reason: str = "", detail=None
) -> None:
    """Record `action` on `username`'s profile in the audit log, in the caller's transaction."""
    store.audit.append(conn, at=at, actor=actor, action=action, subject=subject(username), reason=reason, detail=detail)


def _decrypt(store: PeopleStore, row, field_name: str) -> str:
    token = getattr(row, f"{field_name}_enc")
    return store.decrypt(token, field_name) if token else ""


def _view(store: PeopleStore, row) -> ProfileView:
    return ProfileView(
        row.username,
        row.name,
        row.gender,
        masking.mask_id_number(_decrypt(store, row, "id_number")),
        masking.mask_mobile(_decrypt(store, row, "mobile")),
        masking.mask_wechat(_decrypt(store, row, "wechat")),
        row.email,
        row.institution,
        row.department,
        row.position,
        row.title,
        row.remarks,
        row.status,
        tuple(json.loads(row.courses)),
        row.created_at,
        row.approved_at,
        row.deletion_requested_at,
    )


def profile_row(conn, username: str, lock: bool = False):
    query = select(prof).where(prof.c.username == username)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("profile", username)
    return row


# -- registration --------------------------------------------------------------------------


def username_base(email: str) -> str:
    """A username from the email's local part: NFKC, lower case, only a-z 0-9 . _ -."""
    local = unicodedata.normalize("NFKC", email.partition("@")[0]).lower()
    base = re.sub(r"[^a-z0-9._-]", "", local).lstrip("._-")[:28]
    return base or "user"


def _deleted_usernames(conn, prefix: str) -> set[str]:
    """Names of deleted profiles (kept in the audit log). Never given again: learning events stay
    under the pseudonym of the name, so a new person with it would inherit someone else's record."""
    subjects = conn.execute(
        select(audit_log.c.subject).where(
            audit_log.c.action == "delete_profile", audit_log.c.subject.like(f"{subject(prefix)}%")
        )
    ).scalars()
    return {text.removeprefix(subject("")) for text in subjects}


def _choose_username(conn, wanted: str | None, email: str, is_taken: Callable[[str], bool]) -> str:
    if wanted:
        name = unicodedata.normalize("NFKC", wanted).strip().lower()
        if not USERNAME.match(name):
            raise ValidationFailed([FieldError("username", "bad_characters")])
        taken = conn.execute(select(prof.c.id).where(prof.c.username == name)).first()
        if is_taken(name) or taken or name in _deleted_usernames(conn, name):
            raise ValidationFailed([FieldError("username", "username_taken")])
        return name
    base = username_base(email)
    used = set(conn.execute(select(prof.c.username).where(prof.c.username.like(f"{base}%"))).scalars())
    used |= _deleted_usernames(conn, base)
    for n in range(1, 10_000):
        name = base if n == 1 else f"{base}{n}"
        if name not in used and not is_taken(name):
            return name
    raise ValidationFailed([FieldError("username", "username_taken")])


def register(
    store: PeopleStore,
    code: str,
    form: Mapping,
    *,
    username: str | None = None,
    is_taken: Callable[[str], bool] = lambda name: False,
) -> Registered:
    """Create the profile for an open invitation, or raise ValidationFailed / InvitationRefused.

    `is_taken(name)` lets the caller refuse names its hub accounts already use; without
    `username`, one is derived from the email (alice@h.cn -> alice, alice2, ...).
    """
    redeem(store, code)  # a refused invitation is said before any field error
    data: Registration = validate(form, store.directory)
    now = store.now()
    with store.begin() as conn:
        keyring = store.sealing_ring(conn)
        id_hash = keyring.lookup_hash(data.id_number, "id_number")
        invitation = open_invitation_row(conn, code, now, lock=True)
        if data.institution != invitation.institution:
            raise ValidationFailed([FieldError("institution", "not_invited_institution")])
        if conn.execute(select(prof.c.id).where(prof.c.id_number_hash == id_hash)).first():
            raise ValidationFailed([FieldError("id_number", "id_registered")])
        name = _choose_username(conn, username, data.email, is_taken)
        status = "active" if store.approval == "immediate" else "pending"
        marked = conn.execute(
            inv.update()
            .where(inv.c.id == invitation.id, inv.c.used_at.is_(None), inv.c.revoked_at.is_(None))
            .values(used_at=now, used_by=name)
        )
        if marked.rowcount != 1:
            raise InvitationRefused("used")
        try:
            conn.execute(
                prof.insert().values(
                    username=name,
                    name=data.name,
                    gender=data.gender,
                    id_number_enc=keyring.encrypt(data.id_number, "id_number"),
                    id_number_hash=id_hash,
                    mobile_enc=keyring.encrypt(data.mobile, "mobile"),
                    wechat_enc=keyring.encrypt(data.wechat, "wechat") if data.wechat else None,
                    email=data.email,
                    institution=data.institution,
                    department=data.department,
                    position=data.position,
                    title=data.title,
                    remarks=data.remarks,
                    courses=invitation.courses,
                    status=status,
                    invitation_id=invitation.id,
                    consent_at=now,
                    consent_version=store.consent_version,
                    created_at=now,
                    approved_at=now if status == "active" else None,
                    approved_by="policy" if status == "active" else None,
                )
            )
        except IntegrityError:  # a concurrent registration with the same ID number or name won the race
            raise ValidationFailed([FieldError("id_number", "id_registered")]) from None
        audit_profile(
            store,
            conn,
            now,
            name,
            "register",
            name,
            detail={"invitation": invitation.id, "status": status, "consent_version": store.consent_version},
        )
    return Registered(name, status, data.institution, tuple(json.loads(invitation.courses)))


# -- administration ------------------------------------------------------------------------


def _set_status(
    store: PeopleStore,
    actor: Actor,
    username: str,
    status: str,
    action: str,
    reason: str,
    allowed_from: tuple[str, ...],
) -> ProfileView:
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, username, lock=True)
        actor.require_manage(row.institution)
        if row.status not in allowed_from:
            raise NotAllowed(
                f"账号 {username} 当前状态为 {row.status}，不能执行此操作",
                f"account {username!r} is {row.status}; this cannot be done from there",
            )
        values = {"status": status}
        if status == "active":
            values.update(approved_at=now, approved_by=actor.username)
        conn.execute(prof.update().where(prof.c.id == row.id).values(**values))
        audit_profile(
            store, conn, now, actor.username, action, username, reason=reason, detail={"from": row.status, "to": status}
        )
        return _view(store, profile_row(conn, username))


def approve(store: PeopleStore, actor: Actor, username: str) -> ProfileView:
    """Pending -> active, by an admin or the person's institution admin."""
    return _set_status(store, actor, username, "active", "approve", "", ("pending",))


def disable(store: PeopleStore, actor: Actor, username: str, reason: str = "") -> ProfileView:
    """The caller then stops the person's server and revokes their tokens (the hub's part)."""
    return _set_status(store, actor, username, "disabled", "disable", reason, ("active", "pending"))


def enable(store: PeopleStore, actor: Actor, username: str, reason: str = "") -> ProfileView:
    return _set_status(store, actor, username, "active", "enable", reason, ("disabled",))


def status_of(store: PeopleStore, username: str) -> str | None:
    """The profile's status, or None for a hub account without a profile (e.g. the first admin)."""
    with store.begin() as conn:
        return conn.execute(select(prof.c.status).where(prof.c.username == username)).scalar()


def get_profile(store: PeopleStore, actor: Actor, username: str) -> ProfileView:
    with store.begin() as conn:
        row = profile_row(conn, username)
    if actor.username != username:
        actor.require_manage(row.institution)
    return _view(store, row)


def real_names(store: PeopleStore, usernames: list[str]) -> dict[str, str]:
    """username -> registered real name, for those of `usernames` with a profile. Names only: the
    course's formgrader shows its learners by name, and needs nothing else of their data."""
    if not usernames:
        return {}
    with store.begin() as conn:
        rows = conn.execute(select(prof.c.username, prof.c.name).where(prof.c.username.in_(usernames)))
        return {row.username: row.name for row in rows if row.name}


def list_profiles(
    store: PeopleStore,
    actor: Actor,
    *,
    status: str | None = None,
    institution: str | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
) -> Page[ProfileView]:
    """One page, ordered by username; institution admins see only their institution.

    `search` matches the start of the username or the name (or a full email).
    """
    where = []
    institution = actor.listing_scope(institution)
    if institution:
        where.append(prof.c.institution == institution)
    if status:
        where.append(prof.c.status == one_of("status", status, STATUSES))
    search = unicodedata.normalize("NFKC", search or "").strip()
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            or_(
                prof.c.username.like(f"{escaped.lower()}%", escape="\\"),
                prof.c.name.like(f"{escaped}%", escape="\\"),
                prof.c.email == search,
            )
        )
    with store.begin() as conn:
        total, rows = fetch_page(conn, prof, where, prof.c.username, offset, limit)
    return Page([_view(store, r) for r in rows], total, offset, limit)


# -- personal data -------------------------------------------------------------------------


def reveal(store: PeopleStore, actor: Actor, username: str, field: str, reason: str) -> str:
    """The full ID number, mobile or WeChat, for an allowed role with a reason; audited first."""
    if field not in SECRET_FIELDS:
        raise ValidationFailed([FieldError("reveal_field", "bad_choice")])
    if not (reason or "").strip():
        raise ReasonRequired()
    if actor.role not in store.reveal_roles:
        raise NotAllowed("您的角色不能查看完整的个人信息", "your role may not see full personal data")
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, username)
        actor.require_manage(row.institution)
        audit_profile(
            store, conn, now, actor.username, "reveal", username, reason=reason.strip(), detail={"field": field}
        )
    return _decrypt(store, row, field)


def export_personal_data(
    store: PeopleStore, actor: Actor, username: str, reason: str = "本人下载 / own data download"
) -> dict:
    """Everything held about a person, in clear, as JSON-ready data: for that person (or an admin
    answering their request). Includes who accessed their data (the audit entries about them)."""
    if actor.username != username and not actor.is_admin:
        raise NotAllowed("只能下载本人的数据", "you may only download your own data")
    if not (reason or "").strip():
        raise ReasonRequired()
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, username)
        audit_profile(store, conn, now, actor.username, "export_personal_data", username, reason=reason.strip())
        history = store.audit.entries(conn, subject=subject(username), limit=10_000)
    data = {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in row._mapping.items()
        if not k.endswith(("_enc", "_hash")) and k not in ("id", "invitation_id")
    }
    data["courses"] = json.loads(row.courses)
    for name in SECRET_FIELDS:
        data[name] = _decrypt(store, row, name)
    data["access_log"] = [
        {"at": e.at, "actor": e.actor, "action": e.action, "reason": e.reason} for e in reversed(history)
    ]
    return data


def request_deletion(store: PeopleStore, actor: Actor, reason: str = "") -> ProfileView:
    """The person asks for their account and data to be deleted; an admin completes it."""
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, actor.username, lock=True)
        conn.execute(prof.update().where(prof.c.id == row.id).values(deletion_requested_at=now))
        audit_profile(store, conn, now, actor.username, "request_deletion", actor.username, reason=reason)
        return _view(store, profile_row(conn, actor.username))


def deletion_requests(store: PeopleStore, actor: Actor) -> list[ProfileView]:
    with store.begin() as conn:
        rows = conn.execute(
            select(prof).where(prof.c.deletion_requested_at.is_not(None)).order_by(prof.c.deletion_requested_at)
        ).all()
    return [_view(store, r) for r in rows if actor.may_manage(r.institution)]


def complete_deletion(store: PeopleStore, actor: Actor, username: str, reason: str) -> str:
    """Delete the profile and the name on its invitation; the audit log keeps only the username.
    Returns the username, whose hub account and server the caller removes next."""
    actor.require_admin()
    if not (reason or "").strip():
        raise ReasonRequired()
    now = store.now()
    with store.begin() as conn:
        row = profile_row(conn, username, lock=True)
        if row.invitation_id is not None:
            conn.execute(inv.update().where(inv.c.id == row.invitation_id).values(name=None, department=None))
        conn.execute(prof.delete().where(prof.c.id == row.id))
        audit_profile(
            store,
            conn,
            now,
            actor.username,
            "delete_profile",
            username,
            reason=reason.strip(),
            detail={"requested": row.deletion_requested_at is not None},
        )
    store.scrub_freed_space()
    return username


__all__ = [
    "ProfileView",
    "Registered",
    "approve",
    "complete_deletion",
    "deletion_requests",
    "disable",
    "enable",
    "export_personal_data",
    "get_profile",
    "list_profiles",
    "register",
    "request_deletion",
    "reveal",
    "status_of",
]
