"""/hub/sso-register: the first institutional (OIDC) login of a person who has no account yet.

The callback (sso.py) has verified the ID token and found no link for its (issuer, `sub`); it
keeps that identity in a signed, short-lived cookie and sends the browser here. The person
gives their invitation code; a valid one opens the registration form, pre-filled from the
invitation and from the provider's verified claims, and checked exactly like password
registration. On success the identity is linked to the new profile (never by name or e-mail)
and the person is signed in, or told to wait when the site requires approval.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from tornado.httputil import url_concat

from . import people_pages
from .people import PeopleError, invitations, sso as people_sso
from .people.store import Actor
from .sso_links import LinkError

IDENTITY_COOKIE = "mnss-sso-identity"
IDENTITY_MINUTES = 30  # how long after the provider's login the code may be given


def remember_identity(handler, identity_json: str) -> None:
    handler.set_secure_cookie(
        IDENTITY_COOKIE,
        identity_json,
        expires_days=IDENTITY_MINUTES / (24 * 60),
        httponly=True,
        path=handler.hub.base_url,
        samesite="Lax",
    )


def local_path(url) -> str:
    """A same-site path to go on to, or '' (never another host: '//x' or 'https://x')."""
    ok = isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url
    return url if ok else ""


class SSORegisterHandler(people_pages.RegisterHandler):
    """Ask for the invitation code, then show and take the registration form."""

    form_action = "sso-register"

    def identity(self) -> dict | None:
        raw = self.get_secure_cookie(IDENTITY_COOKIE, max_age_days=IDENTITY_MINUTES / (24 * 60))
        if not raw:
            return None
        identity = json.loads(raw)
        return identity if identity.get("issuer") and identity.get("sub") else None

    async def ask_code(self, identity: dict | None, status: int = 200, reasons=()) -> None:
        await self.page(
            "sso-register.html",
            status,
            identity=identity,
            code=self.get_argument("code", ""),
            reasons=reasons,
        )

    async def get(self):
        identity = self.identity()
        await self.ask_code(identity, 200 if identity else 403)

    async def post(self):
        identity = self.identity()
        if identity is None:  # expired, or never signed in at the provider
            await self.ask_code(None, 403)
            return
        links = self.authenticator.links
        if await asyncio.to_thread(links.username_for, identity["issuer"], identity["sub"]):
            self.clear_cookie(IDENTITY_COOKIE, path=self.hub.base_url)
            self.redirect(self.hub.base_url + "oauth_login")  # linked meanwhile: just sign in
            return
        code = self.get_body_argument("code", "")
        if self.get_body_argument("step", "code") == "code":
            try:
                invitation = await asyncio.to_thread(invitations.redeem, self.pages.store, code)
            except PeopleError as err:
                await self.ask_code(identity, 403, people_pages.both(err))
                return
            values = {
                "name": invitation.name or identity.get("name", ""),
                "institution": invitation.institution,
                "department": invitation.department,
                "email": identity.get("email", ""),
            }
            await self.page("register.html", **self._form_ns(invitation, values))
            return
        done = await self.register(code)
        if done is None:
            return
        # No password: this account signs in at the provider. A random one keeps the row complete.
        await self.open_account(done, secrets.token_urlsafe(24), must_change=False)
        try:
            await asyncio.to_thread(links.link, identity["issuer"], identity["sub"], done.username, "invitation")
        except LinkError as err:
            self.log.error("SSO link after registration failed: %s", err)
            raise
        await asyncio.to_thread(
            people_sso.link,
            self.pages.store,
            Actor(done.username),
            done.username,
            identity["issuer"],
            identity["sub"],
        )
        self.clear_cookie(IDENTITY_COOKIE, path=self.hub.base_url)
        if done.status != "active":
            await self.page("register-done.html", username=done.username, one_time="", account_status=done.status)
            return
        user = await self.auth_to_user({"name": done.username})
        self.set_login_cookie(user)
        user._auth_refreshed = time.monotonic()
        self.log.info("User logged in: %s (registered through SSO)", user.name)
        self.redirect(local_path(identity.get("next", "")) or self.get_next_url(user))


class InvitationLinkHandler(people_pages.PeopleHandler):
    """/hub/register?code=...: with institutional sign-in there is no password to register with, so
    an invitation link starts the provider's login and brings its code along."""

    async def get(self):
        code = self.get_argument("code", "")
        self.redirect(url_concat(self.hub.base_url + "oauth_login", {"invitation_code": code} if code else {}))


def handlers() -> list[tuple[str, type]]:
    """The people pages for a hub with institutional sign-in: invitation links lead to the SSO
    registration instead of the password one."""
    pages = [(path, handler) for path, handler in people_pages.handlers() if path != r"/register"]
    return [(r"/register", InvitationLinkHandler), (r"/sso-register", SSORegisterHandler), *pages]
