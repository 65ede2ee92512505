"""Spawners of the container modes: one container (docker) or Swarm service (swarm) per user.

Privilege design (README, "Who is root where"):
- The hub, proxy and services run on the host; the proxy API and the hub database are on
  loopback or in files the containers never see.
- In the container the lab server runs as root, because the engine creates network namespaces,
  veths and bridges. It gets only NET_ADMIN, SYS_ADMIN and NET_RAW (no --privileged, every other
  capability dropped, no-new-privileges, a pids limit), no docker.sock and no host paths.
- dockerd runs with userns-remap, so that root is an unprivileged uid on the host: the capabilities
  hold over the container's own namespaces only (no host mounts, modules or cgroup release agents).
"""

from __future__ import annotations

import asyncio

from docker.types import Mount
from dockerspawner import DockerSpawner, SwarmSpawner
from tornado import web
from traitlets import Int, Unicode, default

from mnss_foundation.server_settings import ServerSettings

from .spawners import LabServerSettings

CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]
HOME = "/home/lab"


class DockerLabSpawner(LabServerSettings, DockerSpawner):
    """DockerSpawner with MNSS Lab's fixed security settings; images and limits come from config."""

    pids_limit = Int(2048, help="Most processes one container may run.").tag(config=True)

    volume_name = Unicode("mnss-home-{username}", help="Named volume of the user's home; {username} is replaced.").tag(
        config=True
    )

    @default("exchange_config_dir")
    def _default_exchange_config_dir(self):
        return "/opt/mnss/exchange-client"  # made by images/singleuser/Dockerfile

    @default("name_template")
    def _default_name_template(self):
        return "mnss-{username}"

    @default("notebook_dir")
    def _default_notebook_dir(self):
        return HOME

    @default("volumes")
    def _default_volumes(self):
        return {self.volume_name: HOME}

    @default("extra_host_config")
    def _default_host_config(self):
        return {
            "cap_drop": ["ALL"],
            "cap_add": CAPABILITIES,
            "security_opt": ["no-new-privileges"],
            "pids_limit": self.pids_limit,
        }

    @default("remove")
    def _default_remove(self):
        return True  # a stopped server's container goes; the home stays in its volume

    def get_env(self):
        env = super().get_env()
        env.update(ServerSettings(lab_language=self.chosen_language()).to_env())
        return self.lab_env(env)

    async def check_allowed(self, image):
        try:
            return await super().check_allowed(image)
        except web.HTTPError:
            # The hub keeps a start's options as the default of the next start: a refused image
            # must not make every later start fail too.
            self.user_options = {}
            if self.orm_spawner is not None:
                self.orm_spawner.user_options = {}
                self.db.commit()
            raise

    def host_settings(self) -> dict:
        """The settings that decide the container's privileges (checked before every start)."""
        return self.extra_host_config

    # Steps of a start as the spawn page shows them (progress %, Chinese, English).
    STEPS = {
        "create": (30, "正在创建你的实验容器", "Creating your lab container"),
        "start": (60, "正在启动容器中的 JupyterLab", "Starting JupyterLab in the container"),
    }

    _steps_reached: list[str] = []

    async def start(self):
        self._steps_reached = []
        return await super().start()

    async def create_object(self):
        """Refuse settings that would undo the privilege design, whatever other config says."""
        problems = unsafe(self.host_settings(), self.volumes)
        if problems:
            raise RuntimeError(f"refusing to start {self.user.name}'s server: unsafe settings {problems}")
        self._steps_reached = [*self._steps_reached, "create"]
        return await super().create_object()

    async def start_object(self):
        self._steps_reached = [*self._steps_reached, "start"]
        return await super().start_object()

    async def progress(self):
        """Every step reached so far, in order and in both languages, until the last one."""
        shown = 0
        while True:
            reached = self._steps_reached
            for step in reached[shown:]:
                percent, zh, en = self.STEPS[step]
                yield {"progress": percent, "message": f"{zh} / {en}"}
            shown = len(reached)
            if "start" in reached or not self._spawn_pending:
                return
            await asyncio.sleep(0.2)


def unsafe(settings: dict, volumes: dict) -> list[str]:
    problems = [
        key
        for key in ("privileged", "pid_mode", "ipc_mode", "userns_mode")
        if settings.get(key) not in (None, False, "")
    ]
    problems += [f"cap_add {cap}" for cap in settings.get("cap_add", []) if cap not in CAPABILITIES]
    if "ALL" not in settings.get("cap_drop", []):
        problems.append("cap_drop must be ALL")
    problems += [f"host path {source}" for source in volumes if str(source).startswith("/") or "docker.sock" in source]
    return problems


class SwarmLabSpawner(DockerLabSpawner, SwarmSpawner):
    """The same image and privileges as a Swarm service per user (the 'swarm' mode).

    The hub runs on a manager and reaches each task on the swarm-scoped user network by its
    address there. Swarm services (Docker 20.10) have no pids limit or no-new-privileges
    setting; memory and CPU limits, capabilities, volumes and networks are the same as in
    docker mode.
    """

    @default("extra_container_spec")
    def _default_container_spec(self):
        return {"cap_drop": ["ALL"], "cap_add": CAPABILITIES}

    def host_settings(self) -> dict:
        return self.extra_container_spec

    @property
    def mounts(self):
        """Named volumes (SwarmSpawner would make every volume a bind mount of a host path)."""
        return [
            Mount(target=bind["bind"], source=source, type="volume", read_only=bind["mode"] == "ro")
            for source, bind in self.volume_binds.items()
        ]

    async def get_ip_and_port(self):
        """The task's container address on the user network, as this machine's engine sees it."""
        task = await self.get_task()
        container = ((task or {}).get("Status", {}).get("ContainerStatus") or {}).get("ContainerID")
        if container:
            networks = (await self.docker("inspect_container", container))["NetworkSettings"]["Networks"]
            if networks.get(self.network_name, {}).get("IPAddress"):
                return networks[self.network_name]["IPAddress"], self.port
        raise RuntimeError(f"service {self.service_name} has no address on network {self.network_name}")
