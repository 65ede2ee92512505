"""A fresh Debian 12 server for the Ansible test: a container with systemd as PID 1 and sshd.

dockerd runs with userns-remap on cgroup v1 here, which leaves the container's own cgroup folders
owned by the host's root; systemd (root inside = an unprivileged uid outside) cannot create its
init.scope there and stops. The image's PID 1 waits until the host hands the container its own
name=systemd cgroup folder (chown to the remapped root) and then becomes systemd. No --privileged;
two capabilities a server's root has: NET_ADMIN (the server's nftables firewall) and SYS_ADMIN (the
private mount namespaces in which formgraders and learners' servers run as accounts of their own;
under userns-remap it covers only the container's own namespaces).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

IMAGE = "mnss-lab/ansible-target:test"
BASE_IMAGE = "mnss-lab/base:bookworm"
HERE = Path(__file__).resolve().parent / "ansible_target"


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def build_image() -> None:
    docker("build", "--quiet", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "-t", IMAGE, str(HERE))


def remapped_root() -> tuple[int, int]:
    """The host uid/gid that root in a container is (dockerd's userns-remap), from its data root."""
    root = docker("info", "--format", "{{.DockerRootDir}}").stdout.strip()
    uid, _, gid = Path(root).name.partition(".")
    if not (uid.isdigit() and gid.isdigit()):
        raise RuntimeError(f"dockerd is not running with userns-remap (data root {root})")
    return int(uid), int(gid)


def hand_over_systemd_cgroup(container_id: str) -> None:
    """chown this container's own name=systemd cgroup folder to its remapped root (cgroup v1)."""
    uid, gid = remapped_root()
    folder = Path("/sys/fs/cgroup/systemd/docker") / container_id
    for _ in range(50):
        if folder.is_dir():
            break
        time.sleep(0.1)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, gid)


@dataclass
class Target:
    name: str
    address: str

    def exec(self, *command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return docker("exec", self.name, *command, check=check, timeout=timeout)

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.name, check=False)


def wait_for_port(address: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def start(public_key: str) -> Target:
    """Start a target that accepts `public_key` for root over SSH; the caller removes it."""
    name = f"mnss-ansible-target-{uuid.uuid4().hex[:8]}"
    container_id = docker(
        "create",
        "--name",
        name,
        "--hostname",
        "mnss-target",
        "--cgroupns=private",
        "--tmpfs",
        "/run",
        "--tmpfs",
        "/run/lock",
        "--tmpfs",
        "/tmp:exec",
        "--cap-add",
        "NET_ADMIN",
        "--cap-add",
        "SYS_ADMIN",
        # a server's /proc has no paths masked by bind mounts, and the formgrader's grading boxes
        # mount a /proc of their own, which the kernel refuses a user namespace under masked ones
        "--security-opt",
        "systempaths=unconfined",
        "--label",
        "org.mnss-lab.test=ansible",
        IMAGE,
    ).stdout.strip()
    target = Target(name=name, address="")
    try:
        keys = Path(f"/tmp/{name}.authorized_keys")
        keys.write_text(public_key)
        keys.chmod(0o600)
        try:
            docker("cp", str(keys), f"{name}:/root/.ssh/authorized_keys")
        finally:
            keys.unlink()
        docker("start", name)
        hand_over_systemd_cgroup(container_id)
        info = json.loads(docker("inspect", name).stdout)[0]
        target.address = info["NetworkSettings"]["IPAddress"]
        wait_for_port(target.address, 22, timeout=60)
        state = target.exec("systemctl", "is-system-running", "--wait", check=False, timeout=90).stdout.strip()
        if state not in ("running", "degraded"):
            raise RuntimeError(f"systemd in the target did not come up: {state}")
        return target
    except BaseException:
        target.remove()
        raise
