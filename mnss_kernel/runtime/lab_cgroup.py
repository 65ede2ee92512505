"""A lab's own cgroup: a child of the cgroup the calling process is in, with the lab's process and
memory limits, for its holder and every command entering the lab to join.

A child of the caller's own cgroup, never of the root: the lab stays inside whatever holds the
caller (a learner server's cgroup, a grading box, a container), and a user without root can make
one wherever that cgroup was delegated to them (its folder theirs to write, as the hub does for a
local-mode server with its own account). cgroup v1 (a hierarchy per controller, as here) and v2
(one hierarchy; the controller must be enabled in the parent's cgroup.subtree_control) are both
read from /proc/self/cgroup. Where a controller's folder is not writable, or a limit cannot be
written, that limit is not enforced this way and `why_not` says why.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from mnss_foundation.cgroupfs import remove_cgroups, rmdir_cgroup

from .limits import LabLimits

ROOT = Path("/sys/fs/cgroup")
SELF = Path("/proc/self/cgroup")


@dataclass
class LabCgroup:
    """The lab's folder in each hierarchy that holds one of its limits (controller -> folder)."""

    folders: dict[str, Path] = field(default_factory=dict)
    why_not: dict[str, str] = field(default_factory=dict)  # controller -> why it has no folder here

    def has(self, controller: str) -> bool:
        return controller in self.folders

    def procs_files(self) -> list[str]:
        """The cgroup.procs files a process writes its pid to, to join the lab's cgroup(s)."""
        return [str(folder / "cgroup.procs") for folder in _unique(self.folders.values())]

    def paths(self) -> list[str]:
        return [str(folder) for folder in _unique(self.folders.values())]

    def remove(self, wait: float = 3) -> bool:
        """Remove the folders once their last process is gone (exiting ones get `wait` s)."""
        return remove_cgroups(_unique(self.folders.values()), wait, poll=0.05)


def make(name: str, limits: LabLimits, root: Path = ROOT, own: Path = SELF) -> LabCgroup:
    """The lab's cgroup named `name` with `limits`, where the caller's cgroups allow it."""
    made = LabCgroup()
    wanted = {"pids": limits.processes, "memory": limits.memory}
    placed = _own_folders(root, own)
    for controller, value in wanted.items():
        if not value:
            continue
        parent, version = placed.get(controller, (None, None))
        if parent is None:
            made.why_not[controller] = f"no cgroup hierarchy with the {controller} controller is mounted under {root}"
            continue
        if not _writable(parent):
            made.why_not[controller] = (
                f"this user may not make cgroups under {parent} (no cgroup delegated to it there)"
            )
            continue
        if version == "v2" and controller not in _read(parent / "cgroup.subtree_control").split():
            made.why_not[controller] = f"the {controller} controller is not enabled for children of {parent}"
            continue
        folder = parent / name
        try:
            folder.mkdir(exist_ok=True)
            for control, text in _controls(controller, version, value):
                (folder / control).write_text(text)
            for control, text in _swap_controls(controller, version, value):
                with contextlib.suppress(OSError):  # absent without swap accounting: nothing to swap to
                    (folder / control).write_text(text)
        except OSError as err:
            with contextlib.suppress(OSError):
                rmdir_cgroup(folder)
            made.why_not[controller] = f"cannot make a cgroup under {parent}: {err.strerror}"
            continue
        made.folders[controller] = folder
    return made


def _controls(controller: str, version: str, value: int) -> list[tuple[str, str]]:
    """(file, value) to write in the lab's folder for one limit, in order."""
    if controller == "pids":
        return [("pids.max", str(value))]
    if version == "v2":
        return [("memory.max", str(value))]
    return [("memory.limit_in_bytes", str(value))]


def _swap_controls(controller: str, version: str, value: int) -> list[tuple[str, str]]:
    """(file, value) that keep the lab from swapping past its memory limit instead of being held to it."""
    if controller != "memory":
        return []
    return [("memory.swap.max", "0")] if version == "v2" else [("memory.memsw.limit_in_bytes", str(value))]


def _own_folders(root: Path, own: Path) -> dict[str, tuple[Path, str]]:
    """controller -> (folder of the caller's own cgroup, 'v1' or 'v2'), for pids and memory (found
    in /proc/self/cgroup, but only where the hierarchy is mounted under `root`)."""
    found: dict[str, tuple[Path, str]] = {}
    for line in _read(own).splitlines():
        number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        relative = path.lstrip("/")
        if number == "0" and controllers == "" and (root / "cgroup.controllers").is_file():
            for controller in ("pids", "memory"):  # make() checks that children may have it
                found[controller] = (root / relative, "v2")
            continue
        for controller in set(controllers.split(",")) & {"pids", "memory"}:
            mount = root / controller
            if (mount / "cgroup.procs").is_file():
                found[controller] = (mount / relative, "v1")
    return found


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _unique(folders) -> list[Path]:
    return list(dict.fromkeys(folders))
