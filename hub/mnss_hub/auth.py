"""Log in with an invited account's password; change it on /hub/change-password."""

from __future__ import annotations

import asyncio

from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from tornado import web
from traitlets import Integer, Unicode

from .accounts import AccountError, AccountStore


class ChangePasswordHandler(BaseHandler):
    """Form for a logged-in user to replace their password (e.g. the one-time one)."""

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
        if not await asyncio.to_thread(store.verify, name, old):
            message = "wrong-current-password"
        elif new != repeat:
            message = "passwords-differ"
        else:
            try:
                await asyncio.to_thread(store.set_password, name, new)
                message, ok = "password-changed", True
                self.log.info("Password changed for user %s", name)
            except AccountError:
                message = "password-too-short"
        self.set_status(200 if ok else 400)
        html = await self.render_template(
            "change-password.html", message=message, ok=ok, min_length=store.min_password_length
        )
        self.finish(html)


class PasswordAuthenticator(Authenticator):
    """Invitation-only password login: only accounts an administrator created can log in."""

    accounts_db = Unicode(
        help="Path of the SQLite file with the accounts and their bcrypt password hashes.",
    ).tag(config=True)

    min_password_length = Integer(
        10, help="Shortest password accepted when a password is set or changed."
    ).tag(config=True)

    @property
    def store(self) -> AccountStore:
        return AccountStore(self.accounts_db, self.min_password_length)

    async def authenticate(self, handler, data):
        name = (data or {}).get("username", "").strip().lower()
        password = (data or {}).get("password", "")
        if not name or not password:
            return None
        # bcrypt is deliberately slow: keep it off the event loop.
        if await asyncio.to_thread(self.store.verify, name, password):
            return {"name": name, "auth_state": None}
        self.log.warning("Failed login for a username of length %d", len(name))
        return None

    def get_handlers(self, app):
        return super().get_handlers(app) + [(r"/change-password", ChangePasswordHandler)]
