"""Logout ends every browser session of that user, not just the one that clicked "log out".

JupyterHub's logout clears the cookies of the browser that asked and the tokens of that one
session; a second browser (a shared ward PC left logged in, a copied cookie) stays logged in
until the cookie expires. Here the login cookie's id is renewed, so no earlier hub cookie of the
user works any more, and the OAuth tokens of all their browser sessions (the cookies of their
server and of the services) are revoked. API tokens made on purpose (scripts) are not sessions
and are kept.
"""

from __future__ import annotations

from jupyterhub import orm
from jupyterhub.handlers.login import LogoutHandler
from jupyterhub.utils import new_token


def end_browser_sessions(db, orm_user: orm.User) -> int:
    """Renew the user's cookie id and delete their session-bound tokens; returns how many."""
    orm_user.cookie_id = new_token()
    tokens = db.query(orm.APIToken).filter(orm.APIToken.user_id == orm_user.id, orm.APIToken.session_id.isnot(None))
    count = 0
    for token in tokens:
        db.delete(token)
        count += 1
    db.commit()
    return count


class EveryBrowserLogout:
    """Mixin for a LogoutHandler: after the usual logout, end the user's other sessions too."""

    async def default_handle_logout(self):
        user = self.current_user
        await super().default_handle_logout()
        if user:
            ended = end_browser_sessions(self.db, user.orm_user)
            self.log.info("Every browser session of %s ended (%d session token(s) revoked)", user.name, ended)


class EveryBrowserLogoutHandler(EveryBrowserLogout, LogoutHandler):
    """JupyterHub's logout page, ending every browser session of the user."""
