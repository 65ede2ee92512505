"""`mnss-hub invite ...`, `institution-admin ...`, `audit verify`, `pii rotate-key`: the people commands.

Kept apart from mnss_hub.cli, which only registers them (`add_commands`). Each command opens the
store from the site config, acts as `cli:<login name>` with admin rights, prints what it did, and
turns every refusal into one clear message (English / Chinese) and exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from .. import account_site, apply
from . import institution_admins, invitations, sheets, site
from .crypto import ENV_VAR, PiiKeyError, load_keyring, save_keyring
from .directory import DirectoryError
from .errors import PeopleError
from .rotation import reencrypt_all
from .store import SYSTEM, Actor


def _actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}", SYSTEM)


def _guarded(command: Callable[[argparse.Namespace, dict], int], load) -> Callable[[argparse.Namespace], int]:
    def run(args):
        _, config = load(args)
        try:
            return command(args, config)
        except (PeopleError, PiiKeyError, DirectoryError) as err:
            print(f"mnss-hub: {err}", file=sys.stderr)
            return 2

    return run


def _write_links(store, args, config, batch: str | None, reason: str) -> None:
    fmt = sheets.format_of(args.out)
    data = invitations.export_links(
        store, _actor(), public_url=args.public_url or apply.public_url(config), fmt=fmt, reason=reason, batch=batch
    )
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # working codes and names
    os.fchmod(fd, 0o600)  # also when the file was there before
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    print(f"Links written to {args.out} (readable by its owner only).")


def cmd_invite_import(args, config) -> int:
    path = Path(args.file)
    fmt = sheets.format_of(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        print(f"mnss-hub: {path}: {err.strerror}", file=sys.stderr)
        return 2
    with closing(site.open_store(config)) as store:
        issued = invitations.import_invitations(
            store,
            _actor(),
            data,
            fmt,
            institution=args.institution,
            expires_days=args.expires_days or config["accounts"]["invitation_days"],
        )
        batch = issued[0].invitation.batch
        print(
            f"Imported {len(issued)} invitations from {path} (batch {batch}), valid until "
            f"{max(i.invitation.expires_at for i in issued):%Y-%m-%d %H:%M} UTC."
        )
        if args.out:
            _write_links(store, args, config, batch, f"links of imported batch {batch}")
        else:
            print(f"Download their links: mnss-hub invite export --batch {batch} --reason '...' --out links.xlsx")
    return 0


def cmd_invite_list(args, config) -> int:
    with closing(site.open_store(config)) as store:
        page = invitations.list_invitations(
            store, _actor(), state=args.state, institution=args.institution, batch=args.batch, limit=args.limit
        )
    print(f"{'id':>6}  {'state':<8} {'expires (UTC)':<16}  {'institution':<12} {'department':<10} name")
    for i in page.items:
        print(f"{i.id:>6}  {i.state:<8} {i.expires_at:%Y-%m-%d %H:%M}  {i.institution:<12} {i.department:<10} {i.name}")
    print(f"({len(page.items)} of {page.total})")
    return 0


def cmd_invite_revoke(args, config) -> int:
    with closing(site.open_store(config)) as store:
        done = invitations.revoke_invitation(store, _actor(), args.code_or_id, args.reason)
    print(f"Revoked invitation {done.id} ({done.institution} {done.name}).")
    return 0


def cmd_invite_export(args, config) -> int:
    with closing(site.open_store(config)) as store:
        _write_links(store, args, config, args.batch, args.reason)
    return 0


def cmd_institution_admin_grant(args, config) -> int:
    accounts = account_site.open_accounts(config)
    with closing(site.open_store(config)) as store:
        done = institution_admins.grant(
            store,
            _actor(),
            args.name,
            args.institution,
            is_user=accounts.exists,
            configured=config["accounts"]["institution_admins"],
        )
    print(f"'{done.username}' is now the institution admin of {done.institution} (pages: /hub/mnss-admin/accounts).")
    return 0


def cmd_institution_admin_revoke(args, config) -> int:
    with closing(site.open_store(config)) as store:
        configured = config["accounts"]["institution_admins"]
        done = institution_admins.revoke(store, _actor(), args.name, configured=configured)
    print(f"'{done.username}' is no longer the institution admin of {done.institution}; the account stays.")
    return 0


def cmd_institution_admin_list(args, config) -> int:
    with closing(site.open_store(config)) as store:
        found = institution_admins.list_all(store, config["accounts"]["institution_admins"])
    for admin in found:
        when = f"{admin.granted_at:%Y-%m-%d %H:%M} UTC by {admin.granted_by}" if admin.granted_at else ""
        print(f"{admin.username}\t{admin.institution}\t{admin.source}\t{when}".rstrip())
    print(f"({len(found)} institution admins)")
    return 0


def cmd_audit_verify(args, config) -> int:
    with closing(site.open_store(config)) as store:
        broken = store.verify_audit()
        with store.begin() as conn:
            newest = store.audit.entries(conn, limit=1)
    if broken:
        print(f"mnss-hub: {broken}", file=sys.stderr)
        return 1
    print(f"OK: the audit log is intact ({newest[0].seq if newest else 0} entries).")
    return 0


def cmd_pii_rotate_key(args, config) -> int:
    if os.environ.get(ENV_VAR):
        print(
            f"mnss-hub: the key comes from ${ENV_VAR}; rotate with a key file instead, or put a new key in "
            f"${ENV_VAR} as current (keeping the old one) and run this with the key file moved away",
            file=sys.stderr,
        )
        return 2
    path = site.key_file(config)
    old = load_keyring(path, create=False)
    new = old.with_new_key()
    save_keyring(path, new)  # old and new: readable whatever happens next
    with closing(site.open_store(config)) as store:
        done = reencrypt_all(store, new, actor=_actor().username)
    save_keyring(path, new.only_current())
    print(
        f"Re-encrypted {done.profiles} profiles and {done.invitations} invitations with key {done.key_id}; "
        f"{path} now holds only that key (back it up: without it the personal data cannot be read)."
    )
    return 0


def add_commands(sub, load) -> None:
    """Register the commands on mnss-hub's subparsers; `load(args)` returns (path, site config)."""
    invite = sub.add_parser("invite", help="create, list, revoke and export registration invitations")
    isub = invite.add_subparsers(dest="invite_command", required=True)
    imp = isub.add_parser("import", help="import invitations from a .xlsx or .csv sheet (all rows or none)")
    imp.add_argument("file", help="sheet with a header row: 姓名/name, 机构/institution, 科室/department, 课程/courses")
    imp.add_argument("--expires-days", type=int, help="days valid (default: accounts.invitation_days)")
    imp.add_argument("--institution", help="institution of rows that name none")
    imp.add_argument("--out", help="also write the new links to this .csv/.xlsx (mode 0600)")
    imp.add_argument("--public-url", help="URL the links start with (default: the hub's public URL)")
    imp.set_defaults(func=_guarded(cmd_invite_import, load))
    lst = isub.add_parser("list", help="list invitations, newest first")
    lst.add_argument("--state", choices=invitations.STATES)
    lst.add_argument("--institution")
    lst.add_argument("--batch")
    lst.add_argument("--limit", type=int, default=100)
    lst.set_defaults(func=_guarded(cmd_invite_list, load))
    rev = isub.add_parser("revoke", help="revoke an invitation given its id or its code")
    rev.add_argument("code_or_id")
    rev.add_argument("--reason", default="")
    rev.set_defaults(func=_guarded(cmd_invite_revoke, load))
    exp = isub.add_parser("export", help="write the open invitations' links to a .csv/.xlsx (audited)")
    exp.add_argument("--out", required=True)
    exp.add_argument("--reason", required=True, help="why (kept in the audit log)")
    exp.add_argument("--batch", help="only this import batch")
    exp.add_argument("--public-url")
    exp.set_defaults(func=_guarded(cmd_invite_export, load))
    admins = sub.add_parser("institution-admin", help="grant, revoke and list institution admins (audited)")
    adsub = admins.add_subparsers(dest="institution_admin_command", required=True)
    grant = adsub.add_parser("grant", help="let an account manage one institution's invitations and accounts")
    grant.add_argument("name", help="the account's username")
    grant.add_argument("institution", help="an institution of the directory")
    grant.set_defaults(func=_guarded(cmd_institution_admin_grant, load))
    revoke = adsub.add_parser("revoke", help="take a grant back (the account stays)")
    revoke.add_argument("name")
    revoke.set_defaults(func=_guarded(cmd_institution_admin_revoke, load))
    adsub.add_parser("list", help="list institution admins: username, institution, source, when").set_defaults(
        func=_guarded(cmd_institution_admin_list, load)
    )
    audit = sub.add_parser("audit", help="check the personal-data audit log")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="exit 1 and name the first entry changed, inserted or deleted").set_defaults(
        func=_guarded(cmd_audit_verify, load)
    )
    pii = sub.add_parser("pii", help="personal-data encryption keys")
    psub = pii.add_subparsers(dest="pii_command", required=True)
    rotate = psub.add_parser("rotate-key", help="re-encrypt all personal data with a new key; the old key is dropped")
    rotate.set_defaults(func=_guarded(cmd_pii_rotate_key, load))
