"""The process that holds one lab: for a user without root, a user namespace owned by that user,
with the lab's network namespaces inside it.

Started with util-linux `unshare`, it is PID 1 of its own PID namespace and owns a private mount
namespace with a tmpfs on /run, where `ip netns add` names the lab's network namespaces. For a user
without root, it is also a new user namespace: inside, the user is root; outside, the lab has no
privilege at all, so no root, setuid helper or capability is needed. Root needs no user namespace
and gets the rest (a private /run, the lab's life tied to its owner) all the same.

The holder reads a pipe whose only writer is the Python process that started the lab: when that
process ends (normally, by an exception or by `kill -9`), the holder reads end-of-file and exits,
the kernel kills every process of the lab (PID 1 has gone), and the namespaces vanish with their
last process. A small shell outside the namespaces then removes the lab's record and files.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

from . import commands
from .lab_cgroup import LabCgroup
from .shell import EngineError

MARK = "mnss-holder"  # argv of every holder: mnss-holder:<owner>-<lab>, found in /proc/*/cmdline


class Holder:
    """A started holder: `pid` is the lab's PID 1 as this host sees it.

    processes: the lab's RLIMIT_NPROC, for PID 1 and every command entering the lab (it counts
    only in a user namespace: root is exempt from it); cgroup: the lab's cgroup, which the holder
    and every command entering the lab join.
    """

    processes = 0
    cgroup_procs: tuple[str, ...] = ()

    def __init__(
        self,
        name: str,
        record: str,
        workdir: str = "",
        userns: bool = True,
        timeout: float = 20,
        processes: int = 0,
        cgroup: LabCgroup | None = None,
    ):
        self.name = name
        self.userns = userns
        self.kind = "userns" if userns else "holder"
        self.processes = processes if userns else 0
        self.cgroup_procs = tuple(cgroup.procs_files()) if cgroup else ()
        self._proc = subprocess.Popen(
            commands.holder(f"{MARK}:{name}", record, workdir, self.userns, self.processes, self.cgroup_procs),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a signal to the owner's process group must not skip the clean-up
        )
        said = _read_line(self._proc.stdout.fileno(), timeout)
        if not said.startswith("READY "):
            self._proc.kill()
            self._proc.wait(5)
            raise EngineError(
                "could not create the lab's namespaces (unshare --net --mount --pid): "
                + (said.strip() or f"no answer within {timeout} s")
            )
        self.pid = int(said.split()[1])
        entered = subprocess.run(self.on_host(["true"]), capture_output=True, text=True)
        if entered.returncode != 0:
            self.stop()
            raise EngineError(f"could not enter the lab's namespaces: {entered.stderr.strip()[:300]}")

    # -- command prefixes -----------------------------------------------------------------------
    def on_host(self, argv: list[str]) -> list[str]:
        """argv where the lab's namespaces are named (its private /run), as root of the lab."""
        return commands.holder_on_host(self.pid, self.userns, argv, self.processes, self.cgroup_procs)

    def in_netns(self, netns: str, argv: list[str]) -> list[str]:
        return commands.holder_in_netns(self.pid, self.userns, netns, argv, self.processes, self.cgroup_procs)

    def hosts_file(self, netns: str) -> tuple[str, str]:
        """(path to write from here, path inside the lab) of the hosts file for `netns`."""
        return f"/proc/{self.pid}/root/run/mnss/hosts", "/run/mnss/hosts"

    # -- lifetime -------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """End the lab: every process in it is killed, its namespaces go with the last one."""
        if self._proc.stdin and not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.wait(timeout)
        self._proc.stdout.close()


def start(name: str, record: str, workdir: str = "", processes: int = 0, cgroup: LabCgroup | None = None) -> Holder:
    """A holder for a lab. Root first tries one without a user namespace (a container's root may
    still lack CAP_SYS_CHROOT, which entering a mount namespace needs: then it takes one too)."""
    if os.geteuid() == 0:
        try:
            return Holder(name, record, workdir, userns=False, processes=processes, cgroup=cgroup)
        except EngineError:
            pass
    return Holder(name, record, workdir, userns=True, processes=processes, cgroup=cgroup)


def _read_line(fd: int, timeout: float) -> str:
    """One line from a pipe, or what came before end-of-file or the timeout."""
    data, deadline = b"", time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def holders() -> dict[str, int]:
    """Running holders on this host ({'<owner>-<lab>': pid}), from their command lines."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        name = named(argv)
        if name is not None:
            found[name] = int(entry.name)
    return found


def named(argv: list[bytes]) -> str | None:
    """The lab name if `argv` (a /proc cmdline split at NULs) is a holder's PID 1, else None. PID 1
    of the lab is `sh -c <script> mnss-holder:<name>` (the unshare and the outer shell carry the
    mark too, but further along their argv)."""
    if len(argv) >= 4 and argv[2] == commands.HOLDER_PID1.encode() and argv[3].startswith(MARK.encode() + b":"):
        return argv[3].decode(errors="replace").split(":", 1)[1]
    return None
