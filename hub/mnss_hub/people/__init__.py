"""Real-name people: invitations, registration, encrypted personal data and its audit log.

No web code here: a handler opens one store and calls plain functions that return dataclasses
and raise `PeopleError`s, each of which can say what was wrong in zh-CN and English
(`err.messages(lang)`; `ValidationFailed.by_field(lang)` per form field).

    store = site.open_store(site_config)            # or PeopleStore(url, keyring, directory)
    admin = Actor("admin", ADMIN)                   # INSTITUTION_ADMIN needs institution=...

Invitations (invitations.py)
    create_invitation(store, actor, InvitationRequest(...), expires_days) -> Issued (.code, .link(url))
    import_invitations(store, actor, data, "xlsx"|"csv", institution=, expires_days=) -> [Issued]
        all rows or none; SheetRejected lists CellError(row, column letter, field, code)
    list_invitations(store, actor, state=, institution=, batch=, offset=, limit=) -> Page[Invitation]
    revoke_invitation(store, actor, code_or_id, reason) -> Invitation
    redeem(store, code) -> Invitation           InvitationRefused.reason: unknown/used/expired/revoked
    export_links(store, actor, public_url=, fmt=, reason=, batch=, ids=) -> bytes (audited)
Registration and profiles (registration.py, profiles.py)
    registration.FIELDS; registration.validate(form, directory) -> Registration (pure)
    register(store, code, form, username=None, is_taken=callable) -> Registered(username, status, ...)
    approve / disable / enable(store, actor, username[, reason]) -> ProfileView;  status_of(store, username)
    get_profile / list_profiles(store, actor, status=, institution=, search=, offset=, limit=) -> masked views
    reveal(store, actor, username, "id_number"|"mobile"|"wechat", reason) -> str (audited)
    export_personal_data(store, actor, username) -> dict;  request_deletion / complete_deletion
    consent.text(lang), consent.CONSENT_VERSION (stored with each profile)
SSO (sso.py): linked_username(store, issuer, sub) -> str | None;  link / unlink(store, actor, username, ...)
Institution admins (institution_admins.py), besides accounts.institution_admins in the site config
    grant(store, actor, username, institution, is_user=, configured=) / revoke(...) (audited);
    list_all(store, configured);  institution_of(engine, username) -> str | None
Keys and audit (crypto.py, rotation.py, audit.py, masking.py)
    load_keyring(key_file, environ) -> Keyring;  rotation.reencrypt_all(store, ring.with_new_key())
    store.verify_audit() -> None | Broken(seq, code);  masking.mask_id_number / mask_mobile / mask_wechat
Lists (directory.py)
    directory.load(path=None) -> Directory (.institutions, .positions, .titles, .as_options(lang))
"""

from .crypto import Keyring, PiiKeyError, load_keyring
from .directory import Directory, DirectoryError
from .errors import (
    CellError,
    FieldError,
    InvitationRefused,
    NotAllowed,
    NotFound,
    PeopleError,
    ReasonRequired,
    SheetRejected,
    StorageFull,
    ValidationFailed,
)
from .store import ADMIN, INSTITUTION_ADMIN, MEMBER, SYSTEM, Actor, Page, PeopleStore

__all__ = [
    "ADMIN",
    "INSTITUTION_ADMIN",
    "MEMBER",
    "SYSTEM",
    "Actor",
    "CellError",
    "Directory",
    "DirectoryError",
    "FieldError",
    "InvitationRefused",
    "Keyring",
    "NotAllowed",
    "NotFound",
    "Page",
    "PeopleError",
    "PeopleStore",
    "PiiKeyError",
    "ReasonRequired",
    "StorageFull",
    "SheetRejected",
    "ValidationFailed",
    "load_keyring",
]
