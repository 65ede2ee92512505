"""The hub pages for real-name accounts: registration through an invitation, and the admin's
invitations and accounts pages. The people package does the work; these only translate between
forms and its functions, in both languages.

Registration ends with a one-time password shown once: the account is born like one an admin
created, so its holder chooses their own password at first login (auth.py) like everyone else.
"""

from __future__ import annotations

import asyncio
import json
import os
from functools import cached_property

from jupyterhub.handlers import BaseHandler
from tornado import web

from . import enrolment, sessions
from .accounts import AccountStore, generate_password
from .people import (
    ADMIN,
    INSTITUTION_ADMIN,
    Actor,
    FieldError,
    NotFound,
    PeopleError,
    ReasonRequired,
    StorageFull,
    ValidationFailed,
    consent,
    institution_admins,
    invitations,
    profiles,
    registration,
    site as people_site,
    tables as people_tables,
)
from .people.errors import outside_scope
from .people.messages import CATALOGUES, FIELDS
from .people.store import make_engine
from .sso_links import LinkStore

LANGS = ("zh-CN", "en")
SHEET_FORMATS = {".xlsx": "xlsx", ".csv": "csv"}
PAGE_SIZE = 50  # people per page of the accounts list
AUDIT_PAGE_SIZE = 100  # entries per page of the audit log


def storage_status(error: PeopleError, otherwise: int) -> int:
    """507 when the refusal is a full disk under the people store (nothing the person did wrong),
    else `otherwise`."""
    return 507 if isinstance(error, StorageFull) else otherwise


DETAIL_ORDER = {key: i for i, key in enumerate(CATALOGUES["audit_details"].pairs())}  # read once


def detail_in_order(detail: dict) -> list[tuple[str, object]]:
    """An audit entry's detail as the page lists it: named details (a tunnel session's) in the
    catalogue's order, from its lab to what was dropped, then the rest by name."""
    order = DETAIL_ORDER
    return sorted(detail.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def both(error: PeopleError) -> list[tuple[str, str]]:
    """Each message of an error as a (zh-CN, en) pair for the page's t() macro."""
    return list(zip(error.messages("zh-CN"), error.messages("en"), strict=True))


class InstitutionAdminNames:
    """The page template's `mnss_institution_admins` (JupyterHub calls it with the user): the site
    config's institution admins, and the user if a grant made them one since the hub started."""

    def __init__(self, site: dict):
        self.configured = sorted(site["accounts"]["institution_admins"])
        self.url = people_site.database_url(site)

    @cached_property
    def engine(self):
        engine = make_engine(self.url)
        people_tables.institution_admins.create(engine, checkfirst=True)
        return engine

    def __call__(self, user) -> list[str]:
        if user is None or user.name in self.configured:
            return self.configured
        return self.configured + ([user.name] if institution_admins.institution_of(self.engine, user.name) else [])


class PeoplePages:
    """What the pages need from the site config: the people store and where accounts live."""

    def __init__(self, site: dict, accounts: AccountStore):
        self.site, self.accounts = site, accounts

    @cached_property
    def store(self):
        return people_site.open_store(self.site)

    @property
    def invitation_days(self) -> int:
        return self.site["accounts"].get("invitation_days", invitations.DEFAULT_EXPIRES_DAYS)

    def actor(self, user) -> Actor | None:
        """A hub admin acts as ADMIN, an institution admin (accounts.institution_admins, or granted
        with `mnss-hub institution-admin grant`) for their institution only; anyone else has no
        admin pages."""
        if user is None:
            return None
        if user.admin:
            return Actor(user.name, ADMIN)
        institution = self.site["accounts"].get("institution_admins", {}).get(user.name)
        institution = institution or institution_admins.institution_of(self.store.engine, user.name)
        return Actor(user.name, INSTITUTION_ADMIN, institution) if institution else None

    def public_url(self, handler: BaseHandler) -> str:
        return f"{handler.request.protocol}://{handler.request.host}{handler.hub.base_url.rsplit('hub/', 1)[0]}"


class PeopleHandler(BaseHandler):
    @property
    def pages(self) -> PeoplePages:
        return self.authenticator.people_pages

    async def page(self, template: str, status: int = 200, **ns):
        """Render `template`; every people page may name account statuses and invitation states."""
        self.set_status(status)
        names = {"statuses": CATALOGUES["statuses"].pairs(), "states": CATALOGUES["invitation_states"].pairs()}
        self.finish(await self.render_template(template, **names, **ns))


class RegisterHandler(PeopleHandler):
    """/hub/register?code=...: the form an invitation link opens; nothing without a valid code."""

    form_action = "register"  # where the form posts back to (SSO registration posts elsewhere)

    def _form_ns(self, invitation, values: dict, errors: dict | None = None) -> dict:
        directory = self.pages.store.directory
        return {
            "form_action": self.form_action,
            "code": self.get_argument("code", ""),
            "invitation": invitation,
            "values": values,
            "errors": errors or {},
            "options": {lang: directory.as_options(lang) for lang in LANGS},
            "consent": {lang: consent.text(lang) for lang in LANGS},
        }

    async def get(self):
        code = self.get_argument("code", "")
        try:
            invitation = await asyncio.to_thread(invitations.redeem, self.pages.store, code)
        except PeopleError as err:
            await self.page("register-refused.html", 403, reasons=both(err))
            return
        values = {"name": invitation.name, "institution": invitation.institution, "department": invitation.department}
        await self.page("register.html", **self._form_ns(invitation, values))

    async def register(self, code: str) -> profiles.Registered | None:
        """Create the profile from the posted form; on a refusal show the page and return None."""
        form = {name: self.get_body_argument(name, "") for name in registration.FIELDS}
        store = self.pages.store
        try:
            return await asyncio.to_thread(profiles.register, store, code, form, is_taken=self.pages.accounts.exists)
        except ValidationFailed as err:
            invitation = await asyncio.to_thread(invitations.redeem, store, code)
            errors = {
                field: list(zip(err.by_field("zh-CN")[field], err.by_field("en")[field], strict=True))
                for field in err.by_field("en")
            }
            await self.page("register.html", 400, **self._form_ns(invitation, form, errors))
        except PeopleError as err:
            await self.page("register-refused.html", storage_status(err, 403), reasons=both(err))
        return None

    async def open_account(self, done: profiles.Registered, password: str, must_change: bool) -> None:
        """The hub account for a new profile: created, held back while approval is pending, and
        enrolled in the invitation's courses."""
        await asyncio.to_thread(self.pages.accounts.create, done.username, password, must_change)
        if done.status != "active":  # waits for an institution admin's approval
            await asyncio.to_thread(self.pages.accounts.set_disabled, done.username, True)
        enrolled, unknown = enrolment.enrol(self.db, self.user_from_username(done.username).orm_user, done.courses)
        if unknown:
            self.log.warning("Invitation named courses this hub does not serve: %s", ", ".join(unknown))
        self.log.info("Registered a new account through an invitation (status %s, %d courses)", done.status, enrolled)

    async def post(self):
        done = await self.register(self.get_body_argument("code", ""))
        if done is None:
            return
        one_time = generate_password()
        await self.open_account(done, one_time, must_change=True)
        await self.page("register-done.html", username=done.username, one_time=one_time, account_status=done.status)


def managers_only(method):
    """Hub admins and institution admins (for their own institution); everyone else gets 403."""

    @web.authenticated
    async def wrapped(self, *args, **kwargs):
        if self.pages.actor(self.current_user) is None:
            raise web.HTTPError(403, "administrators only / 仅限管理员")
        return await method(self, *args, **kwargs)

    return wrapped


class ManagerHandler(PeopleHandler):
    """An admin page: who acts (hub admin or institution admin), and refusals kept in the audit log."""

    def actor(self) -> Actor:
        return self.pages.actor(self.current_user)

    async def refused(self, err: PeopleError, attempt: str, subject: str) -> int:
        """The status for a refusal: 403, audited, when it concerns another institution; 507 for a
        full disk; else 400."""
        if not outside_scope(err):
            return storage_status(err, 400)
        actor = self.actor()
        self.log.warning(
            "Refused %s by %s (%s of %s): outside their scope", attempt, actor.username, actor.role, actor.institution
        )
        await asyncio.to_thread(self.pages.store.record_refusal, actor, attempt, subject)
        return 403


class InvitationsAdminHandler(ManagerHandler):
    """/hub/mnss-admin/invitations: import a sheet, create one, revoke, download the links."""

    async def show(self, status: int = 200, issued=(), errors=(), notice: str = "", form=None):
        """The page; `form`: what was typed into the one-invitation form, kept when it is refused."""
        actor = self.actor()
        page = await asyncio.to_thread(invitations.list_invitations, self.pages.store, actor, limit=200)
        base = self.pages.public_url(self)
        directory = self.pages.store.directory
        options = zip(
            directory.as_options("zh-CN")["institutions"], directory.as_options("en")["institutions"], strict=True
        )
        await self.page(
            "admin-invitations.html",
            status,
            invitations=page.items,
            total=page.total,
            issued=[(i.invitation, i.link(base)) for i in issued],
            errors=errors,
            notice=notice,
            institutions=[(zh, en) for zh, en in options if actor.may_manage(zh["value"])],
            scope=actor.institution,
            form=form or {},
        )

    @managers_only
    async def get(self):
        await self.show()

    @managers_only
    async def post(self):
        action = self.get_body_argument("action", "")
        store, actor = self.pages.store, self.actor()
        subject = "invitations"
        form = {key: self.get_body_argument(key, "") for key in ("institution", "name", "department", "courses")}
        try:
            if action == "import":
                files = self.request.files.get("sheet") or []
                if not files:
                    raise ValidationFailed([FieldError("file", "required")])
                suffix = os.path.splitext(files[0]["filename"])[1].lower()
                if suffix not in SHEET_FORMATS:
                    raise ValidationFailed([FieldError("file", "bad_file_type")])
                subject = f"sheet {files[0]['filename'][:80]}"
                issued = await asyncio.to_thread(
                    invitations.import_invitations,
                    store,
                    actor,
                    files[0]["body"],
                    SHEET_FORMATS[suffix],
                    expires_days=self.pages.invitation_days,
                )
                await self.show(issued=issued)
            elif action == "create":
                request = invitations.InvitationRequest(
                    institution=form["institution"],
                    name=form["name"],
                    department=form["department"],
                    courses=invitations.parse_courses(form["courses"]),
                )
                subject = f"institution {request.institution or actor.institution}"
                issued = await asyncio.to_thread(
                    invitations.create_invitation, store, actor, request, self.pages.invitation_days
                )
                await self.show(issued=[issued])
            elif action == "revoke":
                reason = self.get_body_argument("reason", "") or "revoked on the invitations page"
                subject = f"invitation {self.get_body_argument('id', '')[:20]}"
                await asyncio.to_thread(
                    invitations.revoke_invitation, store, actor, self.get_body_argument("id", ""), reason
                )
                await self.show(notice="revoked")
            else:
                raise web.HTTPError(400, f"unknown action {action!r}")
        except PeopleError as err:
            status = await self.refused(err, f"{action}_invitation", subject)
            await self.show(status, errors=both(err), form=form if action == "create" else None)


class InvitationLinksHandler(ManagerHandler):
    """/hub/mnss-admin/invitations/links.csv?reason=...: the open invitations' links in the
    actor's scope (audited)."""

    @managers_only
    async def get(self):
        try:
            data = await asyncio.to_thread(
                invitations.export_links,
                self.pages.store,
                self.actor(),
                public_url=self.pages.public_url(self),
                fmt="csv",
                reason=self.get_argument("reason", ""),
            )
        except PeopleError as err:
            raise web.HTTPError(400, " / ".join(err.messages("zh-CN") + err.messages("en"))) from None
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="invitations.csv"')
        self.finish(data)


class AccountsAdminHandler(ManagerHandler):
    """/hub/mnss-admin/accounts: registered people (masked), approve, disable, enable; for the
    roles allowed to, one value in full with a reason (audited); for hub admins also the deletion
    requests, completed here."""

    async def show(self, status: int = 200, errors=(), notice: str = "", revealed: dict | None = None):
        actor = self.actor()
        search = self.get_argument("q", "")
        offset = max(0, int(self.get_argument("offset", "0") or 0))
        page = await asyncio.to_thread(
            profiles.list_profiles, self.pages.store, actor, search=search or None, offset=offset, limit=PAGE_SIZE
        )
        deletions = (
            await asyncio.to_thread(profiles.deletion_requests, self.pages.store, actor) if actor.is_admin else []
        )
        await self.page(
            "admin-accounts.html",
            status,
            people=page.items,
            total=page.total,
            offset=offset,
            page_size=PAGE_SIZE,
            errors=errors,
            notice=notice,
            q=search,
            scope=actor.institution,
            deletions=deletions,
            can_reveal=actor.role in self.pages.store.reveal_roles,
            secret_fields=[(field, FIELDS[field]) for field in profiles.SECRET_FIELDS],
            revealed=revealed,
        )

    @managers_only
    async def get(self):
        await self.show()

    @managers_only
    async def post(self):
        action, name = self.get_body_argument("action", ""), self.get_body_argument("username", "")
        actor, store, accounts = self.actor(), self.pages.store, self.pages.accounts
        reason = self.get_body_argument("reason", "")
        try:
            if action == "approve":
                await asyncio.to_thread(profiles.approve, store, actor, name)
                await asyncio.to_thread(accounts.set_disabled, name, False)
            elif action == "disable":
                await asyncio.to_thread(profiles.disable, store, actor, name, reason)
                await asyncio.to_thread(accounts.set_disabled, name, True)
                await self.end_sessions(name)
            elif action == "enable":
                await asyncio.to_thread(profiles.enable, store, actor, name, reason)
                await asyncio.to_thread(accounts.set_disabled, name, False)
            elif action == "complete_deletion":
                await self.complete_deletion(actor, name, reason)
            elif action == "reveal":
                await self.reveal(actor, name, reason)
                return
            else:
                raise web.HTTPError(400, f"unknown action {action!r}")
        except PeopleError as err:
            await self.show(await self.refused(err, action, f"profile {name[:32]}"), errors=both(err))
            return
        await self.show(notice=action)

    async def reveal(self, actor: Actor, name: str, reason: str) -> None:
        """One full ID number, mobile or WeChat, for a role allowed to see it and with a reason:
        audited by the store before it is read, shown on this answer only (never stored by the
        browser, never logged)."""
        field = self.get_body_argument("field", "")
        value = await asyncio.to_thread(profiles.reveal, self.pages.store, actor, name, field, reason)
        self.set_header("Cache-Control", "no-store")
        await self.show(revealed={"username": name, "field": FIELDS[field], "value": value})

    async def complete_deletion(self, actor: Actor, name: str, reason: str) -> None:
        """Erase a person who asked for it: no more logins, their server and tokens and hub user
        go, then the profile (its personal data) is deleted and audited. Learning events keep
        only the pseudonym they always had."""
        actor.require_admin()
        if not reason.strip():
            raise ReasonRequired(ReasonRequired.ERASE)
        store, accounts = self.pages.store, self.pages.accounts
        await asyncio.to_thread(profiles.get_profile, store, actor, name)  # NotFound before anything changes
        if await asyncio.to_thread(accounts.exists, name):
            await asyncio.to_thread(accounts.set_disabled, name, True)
        await self.end_sessions(name, remove=True)
        await asyncio.to_thread(profiles.complete_deletion, store, actor, name, reason)
        if await asyncio.to_thread(accounts.exists, name):
            await asyncio.to_thread(accounts.remove, name)
        await asyncio.to_thread(LinkStore(accounts.url).unlink_account, name)
        self.log.info("Deletion request completed for user %s", name)

    async def end_sessions(self, name: str, remove: bool = False) -> None:
        """Stop the server and revoke the tokens (`remove`: delete the hub user too) through the
        hub's own API, off the event loop, which has to answer those calls."""
        token = os.environ.get(sessions.TOKEN_ENV, "")
        if not token:
            self.log.warning("No %s: the account's server and tokens were not ended", sessions.SERVICE)
            return
        client = sessions.AccountSessions(self.hub.api_url, token)
        await asyncio.to_thread(client.remove if remove else client.end, name)


class AuditAdminHandler(ManagerHandler):
    """/hub/mnss-admin/audit: who saw, exported, changed or erased personal data, newest first, for
    hub admins only (the entries span every institution); one person's entries by username; the
    hash chain is verified on request, since that reads the whole log."""

    @managers_only
    async def get(self):
        if not self.actor().is_admin:
            raise web.HTTPError(403, "仅限平台管理员 / hub administrators only")
        who = self.get_argument("q", "").strip()
        before = self.get_argument("before", "").strip()
        if before and not before.isdigit():
            raise web.HTTPError(400, f"before={before[:20]!r}: 应为条目序号 / must be an entry number")
        store = self.pages.store

        def read():
            with store.begin() as conn:
                return store.audit.entries(
                    conn,
                    subject=profiles.subject(who) if who else None,
                    limit=AUDIT_PAGE_SIZE,
                    before=int(before) if before else None,
                )

        entries = await asyncio.to_thread(read)
        verified = bool(self.get_argument("verify", ""))
        broken = await asyncio.to_thread(store.verify_audit) if verified else None
        await self.page(
            "admin-audit.html",
            entries=entries,
            q=who,
            more=len(entries) == AUDIT_PAGE_SIZE,
            verified=verified,
            broken=broken,
            actions=CATALOGUES["audit_actions"].pairs(),
            details=CATALOGUES["audit_details"].pairs(),
            in_order=detail_in_order,
            fields=FIELDS,
        )


class MyDataHandler(PeopleHandler):
    """/hub/my-data: a person's own profile (masked), their data as JSON, and a deletion request."""

    async def profile(self):
        try:
            return await asyncio.to_thread(
                profiles.get_profile, self.pages.store, Actor(self.current_user.name), self.current_user.name
            )
        except NotFound:
            return None

    @web.authenticated
    async def get(self):
        if self.get_argument("download", ""):
            data = await asyncio.to_thread(
                profiles.export_personal_data, self.pages.store, Actor(self.current_user.name), self.current_user.name
            )
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{self.current_user.name}-data.json"')
            self.finish(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            return
        await self.page("my-data.html", person=await self.profile(), notice="")

    @web.authenticated
    async def post(self):
        if await self.profile() is not None:
            reason = self.get_body_argument("reason", "")
            await asyncio.to_thread(profiles.request_deletion, self.pages.store, Actor(self.current_user.name), reason)
        await self.page("my-data.html", person=await self.profile(), notice="deletion-requested")


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/register", RegisterHandler),
        (r"/my-data", MyDataHandler),
        (r"/mnss-admin/invitations", InvitationsAdminHandler),
        (r"/mnss-admin/invitations/links\.csv", InvitationLinksHandler),
        (r"/mnss-admin/accounts", AccountsAdminHandler),
        (r"/mnss-admin/audit", AuditAdminHandler),
    ]
