"""/hub/api/mnss/groups/<group>/real-names: the real names of a group's members, for a course's
formgrader, which shows learners by name but may not read the people store (it runs as the
course's own account, without access to the hub's state).

Allowed to holders of `read:groups` on that group (JupyterHub's own scope filter); apply.py grants
each formgrader `read:groups!group=<course>-learners` only. Without a people store (SSO-only or a
hub without real-name accounts) the answer is an empty map: the formgrader then shows usernames.
"""

from __future__ import annotations

import asyncio

from jupyterhub import orm
from jupyterhub.apihandlers import APIHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from .people import profiles


class GroupRealNames(APIHandler):
    @needs_scope("read:groups")
    async def get(self, group_name: str):
        group = orm.Group.find(self.db, group_name)
        if group is None:
            raise web.HTTPError(404, f"no group {group_name}")
        members = sorted(user.name for user in group.users)
        pages = getattr(self.authenticator, "people_site", None) and self.authenticator.people_pages
        names = await asyncio.to_thread(profiles.real_names, pages.store, members) if pages else {}
        self.write({"names": names})


def handlers() -> list[tuple]:
    return [(r"/api/mnss/groups/(?P<group_name>[^/]+)/real-names", GroupRealNames)]
