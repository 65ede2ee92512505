"""Spawner of the 'docker' mode: one container per user, running the single-user image.

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

from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Int, Unicode, default

from .spawners import LabServerSettings

CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]
HOME = "/home/lab"


class DockerLabSpawner(LabServerSettings, DockerSpawner):
    """DockerSpawner with MNSS Lab's fixed security settings; images and limits come from config."""

    pids_limit = Int(2048, help="Most processes one container may run.").tag(config=True)

    volume_name = Unicode(
        "mnss-home-{username}", help="Named volume of the user's home; {username} is replaced."
    ).tag(config=True)

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
        env["MNSS_LAB_LANGUAGE"] = self.default_language
        return self.lab_env(env, "docker")

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

    async def create_object(self):
        """Refuse settings that would undo the privilege design, whatever other config says."""
        host_config = self.extra_host_config
        problems = [key for key in ("privileged", "pid_mode", "ipc_mode", "userns_mode")
                    if host_config.get(key) not in (None, False, "")]
        problems += [f"cap_add {cap}" for cap in host_config.get("cap_add", []) if cap not in CAPABILITIES]
        if problems or "ALL" not in host_config.get("cap_drop", []):
            raise RuntimeError(f"refusing to start {self.user.name}'s container: unsafe host settings "
                               f"{problems or ['cap_drop must be ALL']}")
        if any("docker.sock" in str(source) or str(source).startswith("/") for source in self.volumes):
            raise RuntimeError(f"refusing to start {self.user.name}'s container: host paths are not mounted")
        return await super().create_object()
