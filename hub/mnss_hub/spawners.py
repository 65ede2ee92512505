"""Spawner of the 'local' mode, and what every mode's spawner gives a lab server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Float, Int, Unicode, default
from traitlets.config import Configurable

from mnss_courses.exchange import CLIENT_CONFIG_DIR
from mnss_courses.exchange.names import INSTRUCTORS_SUFFIX
from mnss_foundation.server_settings import ServerSettings
from mnss_kernel.runtime import registry

from .save_before_stop import save_open_documents

LOCAL_MODE_WARNING = (
    "local mode: single-user servers run as the hub's own user on this machine; users are NOT "
    "isolated from each other or from the host. Use it for a trial or a single classroom machine; "
    "use mode 'docker' for anything shared."
)

# JupyterLab's locale ids for the site config's language codes.
LAB_LOCALES = {"zh-CN": "zh_CN", "en": "en"}
LANGUAGE_COOKIE = "mnss_lang"  # set by the language switch of the hub pages (templates/page.html)


class LabServerSettings(Configurable):
    """Settings every mode passes to a user's server as environment variables."""

    default_language = Unicode(
        "zh-CN", help="JupyterLab language for a user who has not chosen one ('zh-CN' or 'en')."
    ).tag(config=True)

    exchange_url = Unicode(
        "",
        help="URL of the mnss-exchange service; empty: no exchange. Given to the server as $MNSS_EXCHANGE_URL, "
        "and $JUPYTER_CONFIG_PATH then leads to the nbgrader_config.py that selects the exchange client.",
    ).tag(config=True)

    exchange_config_dir = Unicode(
        str(CLIENT_CONFIG_DIR),
        help="Folder of the exchange client's nbgrader_config.py as the server sees it.",
    ).tag(config=True)

    max_topology_nodes = Int(0, help="Largest emulation (nodes) the user may run; 0: no limit.").tag(config=True)
    max_topology_links = Int(0, help="Largest emulation (links) the user may run; 0: no limit.").tag(config=True)

    save_before_stop_timeout = Float(
        10,
        help="Seconds a stop waits for the user's open JupyterLab pages to save their modified documents; "
        "0: stop without asking.",
    ).tag(config=True)

    def lab_env(self, env: dict) -> dict:
        env.update(
            ServerSettings(
                max_nodes=self.max_topology_nodes, max_links=self.max_topology_links, exchange_url=self.exchange_url
            ).to_env()
        )
        if self.exchange_url:
            # nbgrader config by environment: nothing written to the home or to the image. The
            # folder also switches off nbgrader's grading tools in the lab (grading is done in
            # the course's formgrader service); its learner/ folder, added for users who teach no
            # course, also the authoring tools (Create Assignment, Validate).
            folders = [self.exchange_config_dir]
            if not self.teaches_a_course():
                folders.insert(0, f"{self.exchange_config_dir}/learner")
            env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (*folders, env.get("JUPYTER_CONFIG_PATH", "")) if p)
        return env

    async def _generate_progress(self):
        """JupyterHub's first spawn-page message, in both languages like the spawners' own."""
        async for event in super()._generate_progress():
            if event.get("message") == "Server requested":
                event = {**event, "message": "已收到启动请求 / Start requested"}
            yield event

    async def stop(self, now=False):
        """Every stop (learner, admin, culler) first has the open pages save their work."""
        server = getattr(self, "server", None)
        if not now and self.save_before_stop_timeout > 0 and server is not None and self.api_token:
            await save_open_documents(server.url, self.api_token, self.save_before_stop_timeout, self.log)
        await super().stop(now=now)

    def chosen_language(self) -> str:
        """The language the user picked on the hub pages (cookie mnss_lang; JupyterHub hands the
        spawner the request when the start comes from the browser), else the site's default. It
        seeds JupyterLab's language for a new user only; a later choice in JupyterLab is kept."""
        handler = getattr(self, "handler", None)
        chosen = handler.get_cookie(LANGUAGE_COOKIE) if handler is not None else None
        return chosen if chosen in LAB_LOCALES else self.default_language

    def teaches_a_course(self) -> bool:
        """In a `<course>-instructors` group (read at each start, so a new role shows next time)."""
        user = getattr(self, "user", None)
        return any(g.name.endswith(INSTRUCTORS_SUFFIX) for g in getattr(user, "groups", None) or [])


class LocalLabSpawner(LabServerSettings, SimpleLocalProcessSpawner):
    """Runs jupyterhub-singleuser in a private home under `homes_dir`.

    Mininet needs root: in local mode the server runs as the hub's user (root when the platform
    was started by `make run`), which is why this mode is for trials only.
    """

    homes_dir = Unicode("/var/lib/mnss/homes", help="Parent directory of the per-user home directories.").tag(
        config=True
    )

    @default("home_dir_template")
    def _default_home_dir_template(self):
        return str(Path(self.homes_dir) / "{username}")

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0:
            args.append("--ServerApp.allow_root=True")
        return args

    def user_env(self, env):
        env = super().user_env(env)
        env["PATH"] = os.pathsep.join([str(Path(sys.prefix) / "bin"), env.get("PATH", os.defpath)])
        return self.lab_env(env)

    def prepare_home(self) -> Path:
        """Create the home (mode 0700) and seed the JupyterLab language if the user has none."""
        home = Path(self.home_dir)
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings = home / ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
        if not settings.exists():
            settings.parent.mkdir(parents=True, exist_ok=True)
            settings.write_text(json.dumps({"locale": LAB_LOCALES[self.chosen_language()]}), "utf-8")
        return home

    async def progress(self):
        yield {"progress": 50, "message": "正在启动你的 JupyterLab / Starting your JupyterLab"}

    async def stop(self, now=False):
        """Stop the server, then end every lab the user's kernels left on this machine: a lab
        holds network namespaces of the host, which outlive the server (in the container modes
        they go with the container)."""
        await super().stop(now=now)
        owner = registry.owner_for(self.user.name)
        if owner:
            removed = await asyncio.to_thread(registry.end_all, owner)
            if removed:
                self.log.info(
                    "Ended %s's labs with the server: %d network namespaces removed", self.user.name, len(removed)
                )

    async def start(self):
        self.log.warning(LOCAL_MODE_WARNING)
        self.prepare_home()
        return await super().start()
