"""Hub users come from accounts, not the other way round.

JupyterHub's admin page ("Add Users") makes hub users straight through the REST API; here such a
user would have no account (no password, no real-name profile, no SSO link) and could never sign
in. These handlers take the two user-creating routes first (authenticator handlers come before
JupyterHub's own) and refuse a request from a browser session (cookie-authenticated, as the admin
page is) that names someone without an account, pointing to the invitations page instead.
Token-authenticated calls (services, the `mnss-hub` tooling, scripts) go on unchanged.
"""

from __future__ import annotations

import asyncio

from jupyterhub.apihandlers.users import UserAPIHandler, UserListAPIHandler
from jupyterhub.scopes import needs_scope
from tornado import web

REFUSAL = (
    "{names}: 没有账号，无法登录。请在“邀请与账号”页面发出邀请（或用 mnss-hub add-user 创建账号）"
    " / {names}: no account, so they could never sign in. Invite them on the Invitations & accounts"
    " page (or create the account with mnss-hub add-user)"
)


class _AccountsFirst:
    async def refuse_without_account(self, names: list) -> None:
        if getattr(self, "_token_authenticated", False):
            return
        accounts, normalize = self.authenticator.people_pages.accounts, self.authenticator.normalize_username

        def without_account() -> list[str]:
            return [n for n in names if isinstance(n, str) and not accounts.exists(normalize(n))]

        missing = await asyncio.to_thread(without_account)
        if missing:
            shown = ", ".join(n[:40] for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
            self.log.warning("Refused to create %d hub user(s) without an account from the admin page", len(missing))
            raise web.HTTPError(400, REFUSAL.format(names=shown))


class UserListWithAccounts(_AccountsFirst, UserListAPIHandler):
    @needs_scope("admin:users")  # checked first, so no one else learns which accounts exist
    async def post(self):
        body = self.get_json_body()
        await self.refuse_without_account(list(body.get("usernames") or []) if isinstance(body, dict) else [])
        return await super().post()


class UserWithAccount(_AccountsFirst, UserAPIHandler):
    @needs_scope("admin:users")
    async def post(self, user_name):
        await self.refuse_without_account([user_name])
        return await super().post(user_name)


def handlers() -> list[tuple[str, type]]:
    """Routes for an authenticator's get_handlers (they are matched before the hub's own)."""
    return [(r"/api/users", UserListWithAccounts), (r"/api/users/([^/]+)", UserWithAccount)]
