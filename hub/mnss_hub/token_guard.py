"""No service mints API tokens for users.

JupyterHub's `tokens` scope covers reading, deleting *and creating* a user's tokens, and a token
made for a user carries all of that user's permissions: a service holding `tokens` (our
mnss-accounts service needs it to revoke a disabled account's tokens) could make itself an
admin token. This handler takes the hub's token-list route first (authenticator handlers come
before JupyterHub's own) and refuses a POST whose requester is a service; users, admins and
password logins go on to JupyterHub's handler unchanged.
"""

from __future__ import annotations

from jupyterhub.apihandlers.users import UserTokenListAPIHandler
from jupyterhub.user import User
from tornado import web


class UserTokensWithoutServices(UserTokenListAPIHandler):
    async def post(self, user_name):
        requester = self.current_user
        if requester is not None and not isinstance(requester, User):
            self.log.warning("Service %s may not create tokens for users (asked for %s)", requester.name, user_name)
            raise web.HTTPError(403, "services may not create tokens for users")
        return await super().post(user_name)


def handlers() -> list[tuple[str, type]]:
    """Routes for an authenticator's get_handlers (they are matched before the hub's own)."""
    return [(r"/api/users/([^/]+)/tokens", UserTokensWithoutServices)]
