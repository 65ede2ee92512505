"""Log in with an invited account's password, under throttling, naming no one in the log.

A one-time password logs no one in: it only lets its holder set their own password (the login
form turns into that form), so no session or token exists while a one-time password is in use,
and nothing else needs to check for it. Every request re-checks the account (`refresh_user`,
at most once a second), so disabling or resetting an account ends its browser sessions at once;
logging out ends all of them too (mnss_hub.logout).
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from functools import cached_property
from pathlib import Path

from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from tornado import web
from traitlets import Float, Integer, Unicode

from . import account_guard, people_pages, token_guard
from .account_settings import AccountSettings
from .accounts import AccountError, AccountStore, Verdict
from .logout import EveryBrowserLogoutHandler
from .pseudonym import load_or_create_key, pseudonym
from .throttle import Limits, LoginThrottle, Refusal, ThrottlePolicy

# How long the "set your password" form stays valid after the one-time password was given.
SET_PASSWORD_MINUTES = 10


def normalize(name: str) -> str:
    """One spelling per name: full-width letters, case and stray spaces never make a second account."""
    return unicodedata.normalize("NFKC", name or "").strip().casefold()


async def finish_set_password_form(handler: BaseHandler, status: int, token: str, message: str, next_url: str):
    """The "choose your password" page: shown after a one-time password, and again on a refusal."""
    handler.set_status(status)
    handler.finish(
        await handler.render_template(
            "set-password.html",
            token=token,
            message=message,
            next=next_url,
            min_length=handler.authenticator.min_password_length,
        )
    )


class PasswordLoginHandler(LoginHandler):
    """JupyterHub's login form, with throttling, the one-time password step and pseudonymous logs."""

    async def login_user(self, data=None):
        authenticated = await self.authenticate(data)
        if not authenticated:
            return None
        user = await self.auth_to_user(authenticated)
        self.set_login_cookie(user)
        user._auth_refreshed = time.monotonic()
        self.log.info("User logged in: %s", user.name)
        return user

    async def post(self):
        data = {
            arg: self.get_argument(arg, strip=arg == "username")
            for arg in self.request.body_arguments
            if arg != "_xsrf"
        }
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        name = normalize(data.get("username", ""))
        if getattr(self, "mnss_must_change", False):
            token = self.create_signed_value("mnss-set-password", self.authenticator.set_password_claim(name)).decode()
            await finish_set_password_form(self, 200, token, "", self.get_argument("next", ""))
            return
        refusal: Refusal | None = getattr(self, "mnss_refusal", None)
        if refusal:
            self.set_status(429)
            self.set_header("Retry-After", str(max(1, round(refusal.retry_after))))
        else:
            self.set_status(403)
        self.finish(
            await self._render(
                login_error="locked" if refusal and refusal.locked else "wait" if refusal else "wrong",
                retry_after=max(1, round(refusal.retry_after)) if refusal else 0,
                username=name[:32],
            )
        )


class SetPasswordHandler(BaseHandler):
    """Second step of a first login: the holder of a one-time password chooses their own."""

    async def post(self):
        auth: PasswordAuthenticator = self.authenticator
        token = self.get_body_argument("token", "")
        new = self.get_body_argument("new_password", "")
        repeat = self.get_body_argument("repeat_password", "")
        next_url = self.get_body_argument("next", "")
        claim = self.get_secure_cookie("mnss-set-password", token, max_age_days=SET_PASSWORD_MINUTES / (24 * 60))
        name = auth.name_for_set_password_claim(claim.decode() if claim else "")
        if name is None:
            # Expired, forged, or the one-time password was already replaced: start again.
            await finish_set_password_form(self, 403, "", "expired", next_url)
            return
        message = "passwords-differ" if new != repeat else ""
        if not message:
            try:
                await asyncio.to_thread(auth.store.set_password, name, new)
            except AccountError as e:
                message = e.code
        if message:
            await finish_set_password_form(self, 400, token, message, next_url)
            return
        self.log.info("One-time password replaced for user %s", name)
        user = await self.auth_to_user({"name": name})
        self.set_login_cookie(user)
        user._auth_refreshed = time.monotonic()
        self.redirect(self.get_next_url(user))


class ChangePasswordHandler(BaseHandler):
    """Form for a logged-in user to replace their password."""

    @web.authenticated
    async def get(self):
        html = await self.render_template("change-password.html", message="", ok=False)
        self.finish(html)

    @web.authenticated
    async def post(self):
        store: AccountStore = self.authenticator.store
        name = self.current_user.name
        old = self.get_body_argument("old_password", "")
        new = self.get_body_argument("new_password", "")
        repeat = self.get_body_argument("repeat_password", "")
        message, ok = "", False
        if await asyncio.to_thread(store.check, name, old) is not Verdict.OK:
            message = "wrong-current-password"
        elif new != repeat:
            message = "passwords-differ"
        else:
            try:
                await asyncio.to_thread(store.set_password, name, new)
                message, ok = "password-changed", True
                self.log.info("Password changed for user %s", name)
            except AccountError as e:
                message = e.code
        self.set_status(200 if ok else 400)
        html = await self.render_template(
            "change-password.html", message=message, ok=ok, min_length=store.min_password_length
        )
        self.finish(html)


class PasswordAuthenticator(AccountSettings, Authenticator):
    """Invitation-only password login: only accounts an administrator created can log in."""

    min_password_length = Integer(10, help="Shortest password accepted when a password is set or changed.").tag(
        config=True
    )

    pseudonym_key_file = Unicode(
        help="File (mode 0600, created if missing) with the key of the hashes that stand for "
        "usernames in the log and in the login counters. Default: beside legacy_accounts_file.",
    ).tag(config=True)

    lock_after = Integer(
        10, help="Failed logins in a row that lock an account for lock_seconds (the right password is refused too)."
    ).tag(config=True)

    free_failures = Integer(
        3,
        help="Failed logins of an account answered at once; after them each attempt must wait, "
        "base_delay seconds doubling up to max_delay.",
    ).tag(config=True)

    address_lock_after = Integer(
        100, help="Failed logins from one address that lock that address (many staff may share one)."
    ).tag(config=True)

    address_free_failures = Integer(
        20, help="Failed logins from one address answered at once before delays apply to it."
    ).tag(config=True)

    base_delay = Float(1.0, help="Seconds of the first delay after the free failures.").tag(config=True)
    max_delay = Float(30.0, help="Longest delay between attempts before the lock.").tag(config=True)
    lock_seconds = Float(900.0, help="How long a lock lasts.").tag(config=True)

    @property
    def store(self) -> AccountStore:
        return AccountStore(self.accounts_url, self.min_password_length)

    @cached_property
    def throttle(self) -> LoginThrottle:
        policy = ThrottlePolicy(
            account=Limits(self.free_failures, self.lock_after),
            address=Limits(self.address_free_failures, self.address_lock_after),
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            lock_seconds=self.lock_seconds,
            forget_after=max(3600.0, self.lock_seconds),
        )
        return LoginThrottle(self.store.engine, policy)

    @cached_property
    def _pseudonym_key(self) -> bytes:
        default = Path(self.legacy_accounts_file).with_name("login-pseudonym.key")
        return load_or_create_key(self.pseudonym_key_file or default)

    def pseudonym(self, name: str) -> str:
        return pseudonym(self._pseudonym_key, name)

    def normalize_username(self, username):
        return normalize(username)

    def set_password_claim(self, name: str) -> str:
        """What the signed "set your password" form carries: the name and a digest of the
        one-time password's hash, so the form dies once that password has been replaced."""
        return f"{name}:{self.store.password_fingerprint(name)}"

    def name_for_set_password_claim(self, claim: str) -> str | None:
        name, _, fingerprint = claim.rpartition(":")
        store = self.store
        if not (name and fingerprint and store.awaiting_new_password(name)):
            return None  # unknown, disabled, or the one-time password was replaced already
        return name if store.password_fingerprint(name) == fingerprint else None

    async def authenticate(self, handler, data):
        name = normalize((data or {}).get("username", ""))
        password = (data or {}).get("password", "")
        if not name or not password:
            return None
        address = handler.request.remote_ip if handler else "-"
        keys = {
            "account:" + self.pseudonym(name): self.throttle.policy.account,
            "address:" + self.pseudonym(address): self.throttle.policy.address,
        }
        refusal = await asyncio.to_thread(self.throttle.refusal, list(keys))
        if refusal is None:
            # bcrypt is deliberately slow: keep it off the event loop.
            verdict = await asyncio.to_thread(self.store.check, name, password)
            if verdict is not Verdict.WRONG:
                await asyncio.to_thread(self.throttle.forgive, "account:" + self.pseudonym(name))
                if verdict is Verdict.OK:
                    return {"name": name, "auth_state": None}
                if handler is not None:
                    handler.mnss_must_change = True
                return None
            refusal = await asyncio.to_thread(self.throttle.record_failure, keys)
            self.log.warning("Failed login for user key %s", self.pseudonym(name))
        else:
            self.log.warning("Login refused while throttled for user key %s", self.pseudonym(name))
        if handler is not None:
            handler.mnss_refusal = refusal
        return None

    async def refresh_user(self, user, handler=None):
        return await asyncio.to_thread(self.store.in_good_standing, user.name)

    def get_handlers(self, app):
        return [
            (r"/login", PasswordLoginHandler),
            (r"/logout", EveryBrowserLogoutHandler),
            (r"/set-password", SetPasswordHandler),
            (r"/change-password", ChangePasswordHandler),
            *(people_pages.handlers() if self.people_site else []),
            *token_guard.handlers(),
            *account_guard.handlers(),
        ]
