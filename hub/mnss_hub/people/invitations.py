"""Invitations: single-use, expiring codes that are the only way to register.

Created one at a time or from a sheet by an admin, or by an institution admin for their own
institution; optionally pre-filled with name, department and course enrolments. A code is 16
characters from an unambiguous alphabet (80 random bits), shown once when created, stored as
SHA-256 for redeeming and encrypted so an admin can download the open links again.

An invitation's state is derived, never stored: `revoked`, `used`, `expired` or `open`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, select

from . import sheets
from .errors import CellError, FieldError, InvitationRefused, NotFound, ReasonRequired, SheetRejected, ValidationFailed
from .messages import column_name
from .store import Actor, Page, PeopleStore, fetch_page, one_of
from .tables import invitations as inv

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 16
REGISTER_PATH = "hub/register"
DEFAULT_EXPIRES_DAYS = 14
MAX_EXPIRES_DAYS = 365
COURSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
COURSE_SPLIT = re.compile(r"[\s,;，；、]+")
STATES = ("open", "used", "expired", "revoked")
MAX_SHEET_ROWS = 20_000

# Sheet headers accepted for each field (compared after NFKC, strip and lower-case).
HEADERS = {
    "name": ("name", "姓名"),
    "institution": ("institution", "机构", "单位", "医院"),
    "department": ("department", "科室", "部门"),
    "courses": ("courses", "course", "课程"),
    "expires_days": ("expires_days", "days", "有效天数"),
}
_HEADER_FIELD = {alias: name for name, aliases in HEADERS.items() for alias in aliases}


@dataclass(frozen=True)
class InvitationRequest:
    institution: str = ""
    name: str = ""
    department: str = ""
    courses: tuple[str, ...] = ()
    expires_days: int | None = None


@dataclass(frozen=True)
class Invitation:
    id: int
    institution: str
    name: str
    department: str
    courses: tuple[str, ...]
    batch: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    revoked_at: datetime | None
    state: str


@dataclass(frozen=True)
class Issued:
    """A new invitation and its code: the only moment the code is handed out without a reason."""

    invitation: Invitation
    code: str = field(repr=False)

    def link(self, public_url: str) -> str:
        return invitation_link(public_url, self.code)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", unicodedata.normalize("NFKC", text or "").upper())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()


def invitation_link(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/{REGISTER_PATH}?code={code}"


def state_of(row, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.used_at is not None:
        return "used"
    return "expired" if row.expires_at <= now else "open"


def _to_invitation(row, now: datetime) -> Invitation:
    return Invitation(
        row.id,
        row.institution,
        row.name or "",
        row.department or "",
        tuple(json.loads(row.courses)),
        row.batch,
        row.created_by,
        row.created_at,
        row.expires_at,
        row.used_at,
        row.used_by,
        row.revoked_at,
        state_of(row, now),
    )


def _state_clause(state: str, now: datetime):
    if state == "revoked":
        return inv.c.revoked_at.is_not(None)
    live = and_(inv.c.revoked_at.is_(None), inv.c.used_at.is_(None))
    return {
        "used": and_(inv.c.revoked_at.is_(None), inv.c.used_at.is_not(None)),
        "open": and_(live, inv.c.expires_at > now),
        "expired": and_(live, inv.c.expires_at <= now),
    }[state]


# -- creating ------------------------------------------------------------------------------


def _problems(store: PeopleStore, actor: Actor, req: InvitationRequest) -> list[tuple[str, str]]:
    """(field, code) of everything wrong with one request, in column order."""
    found = []
    if not req.institution:
        found.append(("institution", "required"))
    elif req.institution not in store.directory.institutions:
        found.append(("institution", "unknown_institution"))
    elif not actor.may_manage(req.institution):
        found.append(("institution", "not_own_institution"))
    elif req.department and not store.directory.has_department(req.institution, req.department):
        found.append(("department", "unknown_department"))
    if len(req.name) > 50:
        found.append(("name", "too_long"))
    if any(not COURSE_ID.match(c) for c in req.courses):
        found.append(("courses", "bad_characters"))
    if req.expires_days is not None and not 1 <= req.expires_days <= MAX_EXPIRES_DAYS:
        found.append(("expires_days", "out_of_range"))
    return found


def _insert(
    store: PeopleStore,
    actor: Actor,
    requests: Sequence[InvitationRequest],
    expires_days: int,
    batch: str | None,
    action: str,
) -> list[Issued]:
    now = store.now()
    codes = [new_code() for _ in requests]
    with store.begin() as conn:
        ring = store.sealing_ring(conn)
        rows = [
            {
                "code_hash": code_hash(code),
                "code_enc": ring.encrypt(normalize_code(code), "invitation_code"),
                "institution": req.institution,
                "name": req.name or None,
                "department": req.department or None,
                "courses": json.dumps(list(req.courses), ensure_ascii=False),
                "batch": batch,
                "created_by": actor.username,
                "created_at": now,
                "expires_at": now + timedelta(days=req.expires_days or expires_days),
            }
            for req, code in zip(requests, codes, strict=True)
        ]
        ids = conn.execute(inv.insert().returning(inv.c.id, sort_by_parameter_order=True), rows).scalars().all()
        store.audit.append(
            conn,
            at=now,
            actor=actor.username,
            action=action,
            subject=f"invitations {ids[0]}..{ids[-1]}" if len(ids) > 1 else f"invitation {ids[0]}",
            detail={"count": len(ids), "batch": batch, "institutions": sorted({r.institution for r in requests})},
        )
    return [
        Issued(
            _to_invitation(SimpleNamespace(**row, id=new_id, used_at=None, used_by=None, revoked_at=None), now), code
        )
        for new_id, row, code in zip(ids, rows, codes, strict=True)
    ]


def create_invitation(
    store: PeopleStore, actor: Actor, request: InvitationRequest, expires_days: int = DEFAULT_EXPIRES_DAYS
) -> Issued:
    """One invitation; ValidationFailed names each wrong field, NotAllowed-style scope errors included."""
    request = InvitationRequest(
        request.institution or actor.institution or "",
        request.name.strip(),
        request.department.strip(),
        tuple(request.courses),
        request.expires_days,
    )
    problems = _problems(store, actor, request)
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        problems.append(("expires_days", "out_of_range"))
    if problems:
        raise ValidationFailed([FieldError(f, c) for f, c in problems])
    return _insert(store, actor, [request], expires_days, None, "create_invitation")[0]


def parse_courses(text: str) -> tuple[str, ...]:
    return tuple(c for c in COURSE_SPLIT.split(text or "") if c)


def _sheet_requests(
    store: PeopleStore, actor: Actor, rows: list[tuple[int, list[str]]], institution: str | None
) -> list[InvitationRequest]:
    if not rows:
        raise SheetRejected([CellError(1, "", "file", "empty_sheet")])
    header_row, header = rows[0]
    columns: dict[str, int] = {}
    errors: list[CellError] = []
    for index, title in enumerate(header):
        key = unicodedata.normalize("NFKC", title).strip().lower()
        if not key:
            continue
        name = _HEADER_FIELD.get(key)
        if name is None:
            errors.append(CellError(header_row, column_name(index), "file", "unknown_column"))
        elif name in columns:
            errors.append(CellError(header_row, column_name(index), name, "duplicate_column"))
        else:
            columns[name] = index
    if errors:
        raise SheetRejected(errors)
    if len(rows) == 1:
        raise SheetRejected([CellError(header_row, "", "file", "empty_sheet")])
    if len(rows) - 1 > MAX_SHEET_ROWS:
        raise SheetRejected([CellError(rows[MAX_SHEET_ROWS + 1][0], "", "file", "too_many_rows")])
    default_institution = institution or actor.institution or ""
    requests = []
    for number, cells in rows[1:]:

        def cell(name: str, cells=cells) -> str:
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        days_text = cell("expires_days")
        days = int(days_text) if days_text.isdigit() else (0 if days_text else None)
        req = InvitationRequest(
            cell("institution") or default_institution,
            cell("name"),
            cell("department"),
            parse_courses(cell("courses")),
            days,
        )
        for field_name, code in _problems(store, actor, req):
            where = columns.get(field_name)
            errors.append(CellError(number, column_name(where) if where is not None else "", field_name, code))
        requests.append(req)
    if errors:
        raise SheetRejected(errors)
    return requests


def import_invitations(
    store: PeopleStore,
    actor: Actor,
    data: bytes,
    fmt: str,
    *,
    institution: str | None = None,
    expires_days: int = DEFAULT_EXPIRES_DAYS,
) -> list[Issued]:
    """All rows of a .xlsx/.csv sheet as invitations, in one transaction, or none of them.

    Columns (header row, Chinese or English, any order): name/姓名, institution/机构,
    department/科室, courses/课程 (separated by ; , or spaces), expires_days/有效天数. A row without
    an institution gets `institution` (or the institution admin's own). SheetRejected lists every
    bad cell by row and column.
    """
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationFailed([FieldError("expires_days", "out_of_range")])
    requests = _sheet_requests(store, actor, sheets.read_rows(data, fmt), institution)
    return _insert(store, actor, requests, expires_days, secrets.token_hex(6), "import_invitations")


# -- reading and changing ------------------------------------------------------------------


def list_invitations(
    store: PeopleStore,
    actor: Actor,
    *,
    state: str | None = None,
    institution: str | None = None,
    batch: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[Invitation]:
    """Newest first; an institution admin sees only their institution's."""
    now = store.now()
    where = []
    institution = actor.listing_scope(institution)
    if institution:
        where.append(inv.c.institution == institution)
    if state:
        where.append(_state_clause(one_of("state", state, STATES), now))
    if batch:
        where.append(inv.c.batch == batch)
    with store.begin() as conn:
        total, rows = fetch_page(conn, inv, where, inv.c.id.desc(), offset, limit)
        return Page([_to_invitation(r, now) for r in rows], total, offset, limit)


def _find_row(conn, code_or_id: str | int, lock: bool = False):
    text = str(code_or_id).strip()
    query = select(inv).where(inv.c.id == int(text) if text.isdigit() else inv.c.code_hash == code_hash(text))
    return conn.execute(query.with_for_update() if lock else query).first()


def revoke_invitation(store: PeopleStore, actor: Actor, code_or_id: str | int, reason: str = "") -> Invitation:
    """Revoke an open (or expired) invitation given its id or its code; a used one stays used."""
    now = store.now()
    with store.begin() as conn:
        row = _find_row(conn, code_or_id, lock=True)
        if row is None:
            raise NotFound("invitation", str(code_or_id))
        actor.require_manage(row.institution)
        state = state_of(row, now)
        if state in ("used", "revoked"):
            raise InvitationRefused(state)
        conn.execute(inv.update().where(inv.c.id == row.id).values(revoked_at=now, revoked_by=actor.username))
        store.audit.append(
            conn,
            at=now,
            actor=actor.username,
            action="revoke_invitation",
            subject=f"invitation {row.id}",
            reason=reason,
        )
        row = _find_row(conn, row.id)
    return _to_invitation(row, now)


def open_invitation_row(conn, code: str, now: datetime, *, lock: bool = False):
    """The row of the open invitation a code belongs to, else InvitationRefused(reason).

    `lock`: hold the row until the transaction ends (registration marks it used)."""
    query = select(inv).where(inv.c.code_hash == code_hash(code))
    row = conn.execute(query.with_for_update() if lock else query).first() if normalize_code(code) else None
    if row is None:
        raise InvitationRefused("unknown")
    state = state_of(row, now)
    if state != "open":
        raise InvitationRefused(state)
    return row


def redeem(store: PeopleStore, code: str) -> Invitation:
    """The open invitation a code belongs to (for showing the form), else InvitationRefused(reason)."""
    now = store.now()
    with store.begin() as conn:
        row = open_invitation_row(conn, code, now)
    return _to_invitation(row, now)


EXPORT_HEADER = (
    "id",
    "姓名 name",
    "机构 institution",
    "科室 department",
    "课程 courses",
    "邀请码 code",
    "链接 link",
    "有效期至 expires (UTC)",
)


def export_links(
    store: PeopleStore,
    actor: Actor,
    *,
    public_url: str,
    fmt: str,
    reason: str,
    batch: str | None = None,
    ids: Iterable[int] | None = None,
) -> bytes:
    """The open invitations (all in the actor's scope, one batch, or given ids) as a sheet of links.

    The sheet holds names and working codes, so it needs a reason and is audited like any export.
    """
    if not (reason or "").strip():
        raise ReasonRequired()
    if fmt not in sheets.FORMATS:
        raise ValidationFailed([FieldError("file", "bad_file_type")])
    now = store.now()
    where = [_state_clause("open", now)]
    if not actor.is_admin:
        actor.require_manage(actor.institution or "")
        where.append(inv.c.institution == actor.institution)
    if batch:
        where.append(inv.c.batch == batch)
    if ids is not None:
        where.append(inv.c.id.in_(list(ids)))
    with store.begin() as conn:
        rows = conn.execute(select(inv).where(*where).order_by(inv.c.id)).all()
        store.audit.append(
            conn,
            at=now,
            actor=actor.username,
            action="export_invitations",
            subject="invitations",
            reason=reason.strip(),
            detail={"count": len(rows), "format": fmt, "batch": batch},
        )
    out = []
    for row in rows:
        raw = store.decrypt(row.code_enc, "invitation_code")
        code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
        out.append(
            (
                row.id,
                row.name or "",
                row.institution,
                row.department or "",
                ";".join(json.loads(row.courses)),
                code,
                invitation_link(public_url, code),
                row.expires_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return sheets.write(EXPORT_HEADER, out, fmt)


__all__ = [
    "STATES",
    "Invitation",
    "InvitationRequest",
    "Issued",
    "create_invitation",
    "export_links",
    "import_invitations",
    "invitation_link",
    "list_invitations",
    "redeem",
    "revoke_invitation",
]
