"""Spawners of the container modes: one container (docker) or Swarm service (swarm) per user.

Privilege design (README, "Who is root where"):
- The hub, proxy and services run on the host; the proxy API and the hub database are on
  loopback or in files the containers never see.
- docker mode: the lab server runs as the image's unprivileged user `lab` (uid 1000) with no
  capability at all (every one dropped, none added), no-new-privileges, a pids limit, no
  docker.sock and no host paths. The engine builds each lab rootless, in a user namespace of
  that user's own; the seccomp profile (lab_seccomp) allows only the calls that needs.
  dockerd's userns-remap stays recommended (uid 1000 is then an unused uid on the host too),
  but the container's safety no longer depends on it.
- swarm mode: Docker 20.10 cannot give a service a seccomp profile, so a service still runs as
  root inside with NET_ADMIN, SYS_ADMIN and NET_RAW only, and there userns-remap is required
  (it keeps those capabilities to the container's own namespaces).
"""

from __future__ import annotations

import asyncio

from docker.types import Mount
from dockerspawner import DockerSpawner, SwarmSpawner
from tornado import web
from traitlets import Int, Unicode, default

from mnss_foundation.server_settings import ServerSettings

from . import lab_seccomp
from .spawners import LabServerSettings

SWARM_CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]
HOME = "/home/lab"
LAB_USER = "1000:1000"  # the image's user `lab` (images/singleuser/Dockerfile)


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
            "security_opt": ["no-new-privileges", lab_seccomp.security_opt()],
            "pids_limit": self.pids_limit,
        }

    @default("extra_create_kwargs")
    def _default_create_kwargs(self):
        return {"user": LAB_USER}

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
        self._steps_reached = [*self._steps_reached, "create"]
        return await super().create_object()

    def docker(self, method, *args, **kwargs):
        """Every call to the engine (a future); a container is created only if what is actually
        sent keeps the privilege design, whatever other config merged into it."""
        if method == "create_container":
            problems = unsafe_container(kwargs)
            if problems:
                raise RuntimeError(f"refusing to start {self.user.name}'s server: unsafe settings {problems}")
        return super().docker(method, *args, **kwargs)

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


def unsafe_container(create: dict) -> list[str]:
    """What in a create_container request (its keyword arguments, HostConfig as Docker gets it)
    breaks docker mode's design: root, any added capability, privileged, host namespaces or
    paths, or a seccomp profile other than lab_seccomp's. Empty: safe."""
    host = create.get("host_config") or {}
    problems = []
    user = str(create.get("user") or "")
    if user.split(":")[0] in ("", "0", "root"):
        problems.append(f"user {user!r} is root (needs a non-root uid, e.g. {LAB_USER})")
    if host.get("Privileged"):
        problems.append("privileged")
    problems += [f"cap_add {cap}" for cap in host.get("CapAdd") or []]
    if "ALL" not in (host.get("CapDrop") or []):
        problems.append("cap_drop must be ALL")
    for key in ("PidMode", "IpcMode", "UsernsMode", "UTSMode", "CgroupnsMode"):
        if host.get(key) == "host":
            problems.append(f"{key} host")
    if host.get("NetworkMode") == "host":
        problems.append("NetworkMode host")
    if host.get("Devices"):
        problems.append("devices")
    options = host.get("SecurityOpt") or []
    if not any(opt in ("no-new-privileges", "no-new-privileges:true") for opt in options):
        problems.append("no-new-privileges missing")
    seccomp = [opt for opt in options if opt.startswith("seccomp")]
    if seccomp != [lab_seccomp.security_opt()]:
        problems.append("seccomp must be exactly the lab profile (mnss_hub/lab_seccomp.py)")
    problems += [f"security_opt {opt}" for opt in options if opt.startswith("apparmor") and "unconfined" in opt]
    for bind in host.get("Binds") or []:
        source = str(bind).split(":", 1)[0]
        if source.startswith("/") or "docker.sock" in source:
            problems.append(f"host path {source}")
    problems += [f"mount {m.get('Source')}" for m in host.get("Mounts") or [] if m.get("Type") != "volume"]
    return problems


def unsafe(settings: dict, volumes: dict) -> list[str]:
    """Swarm mode's check of its container spec: only SWARM_CAPABILITIES added, all else dropped."""
    problems = [
        key
        for key in ("privileged", "pid_mode", "ipc_mode", "userns_mode")
        if settings.get(key) not in (None, False, "")
    ]
    problems += [f"cap_add {cap}" for cap in settings.get("cap_add", []) if cap not in SWARM_CAPABILITIES]
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
        return {"cap_drop": ["ALL"], "cap_add": SWARM_CAPABILITIES}

    @default("extra_create_kwargs")
    def _default_create_kwargs(self):
        return {}  # docker mode's user: here the service runs as the image's default user, root

    async def create_object(self):
        """Refuse a service spec that would add more than the design, whatever other config says."""
        problems = unsafe(self.extra_container_spec, self.volumes)
        if problems:
            raise RuntimeError(f"refusing to start {self.user.name}'s server: unsafe settings {problems}")
        return await super().create_object()

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
