"""One cgroup per learner's server in local mode, so the server, its kernels and its labs (all its
descendants) share one budget of processes and memory.

cgroup v2 (one hierarchy at the root, with the pids and memory controllers): <root>/<group>/<name>
with pids.max and memory.max, the controllers enabled in the parents' cgroup.subtree_control.
cgroup v1 (a hierarchy per controller): <root>/pids/<group>/<name> with pids.max and
<root>/memory/<group>/<name> with memory.limit_in_bytes. Neither writable: no limits (`usable`
says so, and the spawner logs it).

The server's folder is delegated to its account (the folder and the files that move processes,
never the limit files), so the engine can give each of the server's labs a cgroup of its own with
the lab's limits (mnss_kernel.runtime.lab_cgroup) under the server's, which still bound them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mnss_foundation.cgroupfs import remove_cgroups, rmdir_cgroup

ROOT = Path("/sys/fs/cgroup")
GROUP = "mnss-lab"
CONTROLLERS = ("pids", "memory")
# What a delegated folder's owner may write besides making child folders: moving its processes
# between its own cgroups (v1, v2) and enabling controllers for its children (v2).
DELEGATED = {"v1": ("cgroup.procs", "tasks"), "v2": ("cgroup.procs", "cgroup.threads", "cgroup.subtree_control")}


@dataclass(frozen=True)
class Limits:
    """Most processes (pids) and bytes of memory the server and everything it starts may use; 0: none."""

    pids: int = 0
    memory: int = 0


class ServerCgroups:
    """The cgroups of learners' servers under `root` (a tmp dir stands in for /sys/fs/cgroup in tests)."""

    def __init__(self, root: Path = ROOT, group: str = GROUP):
        self.root = Path(root)
        self.group = group
        self.version = self._detect()

    def _detect(self) -> str | None:
        controllers = self.root / "cgroup.controllers"
        if controllers.is_file():
            available = set(controllers.read_text().split())
            if set(CONTROLLERS) <= available and os.access(self.root, os.W_OK):
                return "v2"
            return None
        if all(os.access(self.root / c, os.W_OK) and (self.root / c / "cgroup.procs").is_file() for c in CONTROLLERS):
            return "v1"
        return None

    @property
    def usable(self) -> bool:
        return self.version is not None

    def parents(self) -> list[Path]:
        """The MNSS group folder in each hierarchy."""
        if self.version == "v2":
            return [self.root / self.group]
        if self.version == "v1":
            return [self.root / c / self.group for c in CONTROLLERS]
        return []

    def folders(self, name: str) -> list[Path]:
        """The server's cgroup folder in each hierarchy."""
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"not a cgroup name: {name!r}")
        return [parent / name for parent in self.parents()]

    def values(self, limits: Limits) -> dict[str, str]:
        """Control file (relative to the server's folder in its hierarchy) -> value to write."""
        pids = str(limits.pids) if limits.pids else "max"
        if self.version == "v2":
            return {"pids.max": pids, "memory.max": str(limits.memory) if limits.memory else "max"}
        return {"pids.max": pids, "memory.limit_in_bytes": str(limits.memory) if limits.memory else "-1"}

    def create(self, name: str, limits: Limits, owner: tuple[int, int] | None = None) -> list[Path]:
        """Make the server's cgroup(s) with `limits`, delegated to `owner` (uid, gid) if given;
        returns the cgroup.procs files to join."""
        if self.version == "v2":
            parent = self.root / self.group
            parent.mkdir(exist_ok=True)
            wanted = " ".join(f"+{c}" for c in CONTROLLERS)
            for folder in (self.root, parent):
                (folder / "cgroup.subtree_control").write_text(wanted)
        folders = self.folders(name)
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        for control, value in self.values(limits).items():
            (self._folder_of(control, folders) / control).write_text(value)
        if owner is not None:
            for folder in folders:
                self.delegate(folder, *owner)
        return [folder / "cgroup.procs" for folder in folders]

    def delegate(self, folder: Path, uid: int, gid: int) -> None:
        """Let the account make child cgroups in `folder` and move its own processes into them;
        the limit files stay root's, so the server's limits still bind the children."""
        os.chown(folder, uid, gid)
        for name in DELEGATED[self.version]:
            if (folder / name).exists():
                os.chown(folder / name, uid, gid)

    def _folder_of(self, control: str, folders: list[Path]) -> Path:
        if self.version == "v2":
            return folders[0]
        return folders[CONTROLLERS.index(control.split(".")[0])]

    def join(self, procs_files: list[Path]) -> None:
        """Move the calling process into the server's cgroup(s) (in the child, before exec)."""
        pid = str(os.getpid())
        for procs in procs_files:
            with open(procs, "w") as handle:
                handle.write(pid)

    def members(self, name: str) -> list[int]:
        """Processes in the server's cgroup (any hierarchy)."""
        found: set[int] = set()
        for folder in self.folders(name):
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except FileNotFoundError:
                continue
        return sorted(found)

    def remove(self, name: str, wait: float = 5) -> bool:
        """Remove the server's cgroup(s) once their processes are gone (exiting ones get `wait`
        seconds); returns whether none is left."""
        return remove_cgroups(self.folders(name), wait, poll=0.1, rmdir=_rmdir_tree)

    def leftovers(self, names: set[str]) -> list[str]:
        """Of `names`, those that still have a cgroup folder in some hierarchy."""
        return sorted(n for n in names if any(f.is_dir() for f in self.folders(n)))

    def sweep(self, names: set[str]) -> int:
        """Remove the empty cgroups of `names` (servers that no longer run); returns how many."""
        return sum(1 for n in self.leftovers(names) if not self.members(n) and self.remove(n, wait=0))


def _rmdir_tree(folder: Path) -> bool:
    """Remove a cgroup folder with the child cgroups the account made in it (labs whose clean-up
    was cut short by the server's stop), deepest first; False if one still has a process."""
    try:
        children = [child for child in folder.iterdir() if child.is_dir()]
    except FileNotFoundError:
        return True
    return all([_rmdir_tree(child) for child in children]) and rmdir_cgroup(folder)
