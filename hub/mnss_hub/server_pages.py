"""/hub/mnss-admin/servers: the running servers, each with the labs it is running, and a stop that
asks first when a lab would end with it (the stock admin page stops at once and cannot be told).

In local mode the labs are read from the engine's lab records on this machine (the hub's own, or
the records folder of a server that runs as an account of its own). In the container modes a lab
lives inside the user's container, out of the hub's sight, so every stop there asks, saying a lab
may be running.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from tornado import web

from mnss_kernel.runtime import registry


@dataclass(frozen=True)
class RunningLab:
    lab: str
    nodes: int


def running_labs(name: str, folder: Path | None = None) -> list[RunningLab]:
    """The live labs of hub user `name` on this machine (records whose kernel still runs), from the
    hub's own records or, for a server under an account of its own, from that server's `folder`."""
    found = registry.records(registry.owner_for(name), folder)
    return [RunningLab(r.lab, len(r.namespaces)) for r in found if r.alive()]


class ServersAdminHandler(BaseHandler):
    def initialize(self, labs_visible: bool):
        self.labs_visible = labs_visible

    def admin_only(self) -> None:
        if not self.current_user.admin:
            raise web.HTTPError(403, "administrators only / 仅限管理员")

    async def labs_of(self, user) -> list[RunningLab] | None:
        """The user's running labs, or None where the hub cannot see them (container modes)."""
        if not self.labs_visible:
            return None
        folder = getattr(user.spawner, "lab_records_dir", lambda: None)()
        return await asyncio.to_thread(running_labs, user.name, folder)

    async def show(self, status: int = 200, **ns) -> None:
        rows = []
        for orm_user in self.db.query(orm.User).order_by(orm.User.name):
            user = self.users[orm_user]
            if user.spawner.active:
                rows.append((user, user.spawner.ready, await self.labs_of(user)))
        self.set_status(status)
        self.finish(await self.render_template("admin-servers.html", rows=rows, **ns))

    @web.authenticated
    async def get(self):
        self.admin_only()
        await self.show(done=self.get_argument("done", ""))

    @web.authenticated
    async def post(self):
        self.admin_only()
        name = self.get_body_argument("user", "")
        user = self.find_user(name)
        if user is None or not user.spawner.active:
            return await self.show(404, gone=name)
        labs = await self.labs_of(user)
        if (labs is None or labs) and self.get_body_argument("confirm", "") != "yes":
            return await self.show(confirm=name, confirm_labs=labs)
        self.log.info("mnss-admin: %s stops %s's server (labs: %s)", self.current_user.name, name, labs)
        await self.stop_single_user(user)
        self.redirect(f"{self.hub.base_url}mnss-admin/servers?done={quote(name)}")


def handlers(labs_visible: bool) -> list[tuple]:
    return [(r"/mnss-admin/servers", ServersAdminHandler, {"labs_visible": labs_visible})]
