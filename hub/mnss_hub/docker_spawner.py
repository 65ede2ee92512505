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
- swarm mode: the same user, no-new-privileges, pids/memory/CPU limits and home volume, as one
  service per user (swarm_security). Engines from Docker 25 (API 1.44) take the lab profile
  and no-new-privileges in the service spec: nothing is added. Older engines (Docker 20.10) give
  a service no seccomp setting, and their default profile opens unshare/setns/mount only to a
  container whose capability set holds SYS_ADMIN: there SYS_ADMIN is added to the bounding set
  only. The server starts under `setpriv --no-new-privs` as uid 1000 with no effective,
  permitted, inheritable or ambient capability, so nothing it runs can ever hold SYS_ADMIN
  (setuid and file capabilities are ignored); the kernel still asks for the capability in the
  namespace being changed, as in docker mode.
"""

from __future__ import annotations

import asyncio
import base64
import json
from types import SimpleNamespace

import requests
from docker.types import Mount
from dockerspawner import DockerSpawner, SwarmSpawner
from sqlalchemy.orm import object_session
from tornado import web
from traitlets import Bool, Int, Unicode, default

from mnss_foundation.server_settings import ServerSettings
from mnss_kernel.runtime import tunnel

from . import dockerhost, egress, lab_seccomp, leftovers
from .spawners import LabServerSettings

HOME = "/home/lab"
LAB_USER = "1000:1000"  # the image's user `lab` (images/singleuser/Dockerfile)
TUN = tunnel.TUN  # given to the containers of users allowed the tunnel; open to users (dockerhost)


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

    egress_closed = Bool(
        True,
        help="Beyond this host, the container reaches only its user's tunnel destinations (egress.py); "
        "the user network's chain itself is set by `mnss-hub run` (dockerhost).",
    ).tag(config=True)

    @default("extra_host_config")
    def _default_host_config(self):
        return self.host_config  # DockerSpawner calls it at each create: the tunnel is decided per start

    def host_config(self, _spawner=None) -> dict:
        config = {
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges", lab_seccomp.security_opt()],
            "pids_limit": self.pids_limit,
        }
        if self.tunnel_permitted():  # for their gateways' slirp4netns; the host's node, 0666 (dockerhost)
            config["devices"] = [f"{TUN}:{TUN}:rw"]
        return config

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
            if self.orm_spawner is not None and (session := object_session(self.orm_spawner)) is not None:
                # the orm row's own session, not the deprecated Spawner.db
                self.orm_spawner.user_options = {}
                session.commit()
            raise

    # Steps of a start as the spawn page shows them (progress %, Chinese, English).
    STEPS = {
        "create": (30, "正在创建你的实验容器", "Creating your lab container"),
        "start": (60, "正在启动容器中的 JupyterLab", "Starting JupyterLab in the container"),
    }

    _steps_reached: list[str] = []

    async def start(self):
        self._steps_reached = []
        address, port = await super().start()
        if self.egress_closed and self.tunnel_permitted():
            allowed = tunnel.parse_allow(self.tunnel_allow)
            bridge = await self.user_bridge()
            await asyncio.to_thread(egress.grant, bridge, self.container_id, address, allowed)
        return address, port

    async def stop(self, now=False):
        """Stop the container; then its address, which the next container may get, loses its grant."""
        container = self.container_id
        await super().stop(now=now)
        if self.egress_closed and container:
            await asyncio.to_thread(egress.revoke, await self.user_bridge(), container)

    async def user_bridge(self) -> str:
        network = await self.docker("inspect_network", self.network_name)
        return dockerhost.bridge_of(SimpleNamespace(id=network["Id"], attrs=network))

    async def create_object(self):
        self._steps_reached = [*self._steps_reached, "create"]
        return await super().create_object()

    leftover_kind = "container(s)"  # in the log of leftovers.sweep

    async def end_leftovers(self, used: set[str], running_users: set[str], idle_users: set[str]) -> int:
        """Remove this mode's containers (services) that no running server uses: those on the user
        network, named by `name_template` and made from an allowed image; nothing else is touched.
        Called once at hub start-up, before any spawn (leftovers.sweep)."""
        found = await self.leftover_candidates()
        gone = leftovers.unused(found, used)
        for ident in gone:
            await self.remove_leftover(ident)
        if self.egress_closed:  # grants of containers that went while the hub was down
            bridge = await self.user_bridge()
            running = {ident[:12] for ident in set(found) - set(gone)}
            for ident in await asyncio.to_thread(egress.granted_ids, bridge) - running:
                await asyncio.to_thread(egress.revoke, bridge, ident)
        return len(gone)

    async def remove_leftover(self, ident: str) -> None:
        await self.docker("remove_container", ident, force=True)

    def ours(self, name: str, image: str) -> bool:
        """Named as this spawner names its objects and made from an image it may start."""
        prefix = self.name_template.split("{", 1)[0]
        allowed = self.allowed_images
        images = {self.image, *(allowed.values() if isinstance(allowed, dict) else allowed)}
        made_from = image.split("@", 1)[0]  # a service's image carries its digest
        if name == dockerhost.anchor_name(self.network_name):
            return False  # swarm mode's network anchor (dockerhost)
        return bool(prefix) and name.startswith(prefix) and made_from in images

    async def leftover_candidates(self) -> dict[str, str]:
        """id -> name of the containers on the user network that this spawner could have made."""
        listed = await self.docker("containers", all=True, filters={"network": self.network_name})
        return {
            c["Id"]: name
            for c in listed
            for name in [(c.get("Names") or ["/"])[0].lstrip("/")]
            if self.ours(name, c.get("Image", ""))
        }

    def docker(self, method, *args, **kwargs):
        """Every call to the engine (a future); a container is created only if what is actually
        sent keeps the privilege design, whatever other config merged into it."""
        if method == "create_container":
            problems = unsafe_container(kwargs, self.tunnel_permitted())
            if problems:
                raise RuntimeError(f"refusing to start {self.user.name}'s server: unsafe settings {problems}")
        return super().docker(method, *args, **kwargs)

    async def poll(self):
        """DockerSpawner's poll, except while the engine does not answer (dockerd restarting): then
        the server's state is unknown, not an error, so one warning line instead of a traceback,
        and the server counts as running until the engine answers again; a container that died
        meanwhile is then found stopped (the chaos drill's dockerd restart)."""
        try:
            return await super().poll()
        except requests.ConnectionError as err:
            self.log.warning(
                "%s's server: the Docker engine does not answer (%s); asked again later", self.user.name, err
            )
            return None

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


def unsafe_container(create: dict, tunnel: bool = False) -> list[str]:
    """What in a create_container request (its keyword arguments, HostConfig as Docker gets it)
    breaks docker mode's design: root, any added capability, privileged, host namespaces or
    paths, a device other than /dev/net/tun for a user allowed the tunnel (read and write only),
    or a seccomp profile other than lab_seccomp's. Empty: safe."""
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
    tun = {"PathOnHost": TUN, "PathInContainer": TUN, "CgroupPermissions": "rw"}
    problems += [f"device {d.get('PathOnHost')}" for d in host.get("Devices") or [] if not tunnel or d != tun]
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


# Docker 25 (API 1.44): ContainerSpec.Privileges takes a seccomp profile and no-new-privileges.
SERVICE_PROFILES_FROM = (1, 44)
# Older engines: only in the bounding set, where the default profile looks for it (docstring above).
BOUNDING_ONLY = ["SYS_ADMIN"]
NO_NEW_PRIVS = ["setpriv", "--no-new-privs"]  # util-linux, in every Debian image


def api_version(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def profiles_in_services(version: str) -> bool:
    """Whether an engine speaking API `version` takes a seccomp profile in a service spec."""
    return api_version(version) >= SERVICE_PROFILES_FROM


def service_privileges() -> dict:
    """ContainerSpec.Privileges of API 1.44: the lab profile (its bytes, base64 as the API wants
    them) and no-new-privileges."""
    profile = json.dumps(lab_seccomp.profile(), separators=(",", ":"), sort_keys=True).encode()
    return {"Seccomp": {"Mode": "custom", "Profile": base64.b64encode(profile).decode()}, "NoNewPrivileges": True}


def swarm_security(version: str) -> dict:
    """ContainerSpec settings (docker-py's ContainerSpec arguments) of a learner's service on an
    engine speaking API `version`: uid 1000, every capability dropped, and the narrowest way that
    engine has to let the rootless engine make its namespaces."""
    settings = {"user": LAB_USER, "cap_drop": ["ALL"]}
    if profiles_in_services(version):
        return {**settings, "privileges": service_privileges()}
    return {**settings, "cap_add": BOUNDING_ONLY}


def unsafe_service(task: dict, version: str) -> list[str]:
    """What in a create_service request's TaskTemplate breaks swarm mode's design (swarm_security
    for this engine, the server under setpriv --no-new-privs, named volumes only). Empty: safe."""
    spec = task.get("ContainerSpec") or {}
    problems = []
    user = str(spec.get("User") or "")
    if user.split(":")[0] in ("", "0", "root"):
        problems.append(f"user {user!r} is root (needs a non-root uid, e.g. {LAB_USER})")
    allowed = [] if profiles_in_services(version) else BOUNDING_ONLY
    problems += [f"cap_add {cap}" for cap in spec.get("CapabilityAdd") or [] if cap not in allowed]
    if "ALL" not in (spec.get("CapabilityDrop") or []):
        problems.append("cap_drop must be ALL")
    if (spec.get("Args") or [])[: len(NO_NEW_PRIVS)] != NO_NEW_PRIVS or spec.get("Command"):
        problems.append("the server must start under " + " ".join(NO_NEW_PRIVS))
    privileges = spec.get("Privileges") or {}
    if profiles_in_services(version) and privileges != service_privileges():
        problems.append("privileges must be exactly the lab profile with no-new-privileges")
    problems += [f"mount {m.get('Source')}" for m in spec.get("Mounts") or [] if m.get("Type") != "volume"]
    return problems


class SwarmLabSpawner(DockerLabSpawner, SwarmSpawner):
    """The same image, user, privileges and limits as a Swarm service per user (the 'swarm' mode).

    The hub runs on a manager and reaches each task on the swarm-scoped user network by its
    address there. What the engine takes in a service spec decides how the lab's namespaces are
    allowed (swarm_security); every request is checked as sent (unsafe_service).
    """

    @default("extra_container_spec")
    def _default_container_spec(self):
        return swarm_security(self.client.api_version)

    @default("extra_create_kwargs")
    def _default_create_kwargs(self):
        return {}  # create_service takes no `user`: it is in the container spec

    async def get_command(self):
        """The image's command, under setpriv --no-new-privs (a service has no such option before
        API 1.44; after, both hold)."""
        return [*NO_NEW_PRIVS, *await super().get_command()]

    def docker(self, method, *args, **kwargs):
        """A service is created only if what is sent keeps the design; it gets the pids limit
        here, which docker-py's Resources cannot express (Limits.Pids, API 1.41)."""
        if method == "create_service":
            task = kwargs["task_template"]
            task.setdefault("Resources", {}).setdefault("Limits", {})["Pids"] = self.pids_limit
            problems = unsafe_service(task, self.client.api_version)
            if problems:
                raise RuntimeError(f"refusing to start {self.user.name}'s server: unsafe settings {problems}")
        return super().docker(method, *args, **kwargs)

    leftover_kind = "service(s)"

    async def remove_leftover(self, ident: str) -> None:
        await self.docker("remove_service", ident)

    async def leftover_candidates(self) -> dict[str, str]:
        """id -> name of the services on the user network that this spawner could have made
        (another hub's services in the same swarm are on another network)."""
        network = await self.docker("inspect_network", self.network_name)
        ours = {network["Id"], network["Name"]}
        found = {}
        for svc in await self.docker("services"):
            task = svc["Spec"]["TaskTemplate"]
            on_network = any(n.get("Target") in ours for n in task.get("Networks") or [])
            if on_network and self.ours(svc["Spec"]["Name"], task["ContainerSpec"].get("Image", "")):
                found[svc["ID"]] = svc["Spec"]["Name"]
        return found

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
