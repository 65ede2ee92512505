"""Who owns which running emulation, so a crashed run's leftovers can be swept safely.

Every lab writes a record (owner, lab id, creating process and its start time, the holder of its
user namespace, namespaces) in the records folder: /run/mnss/labs for root, else a 0700 folder of
the user's own ($XDG_RUNTIME_DIR/mnss/labs, or /tmp/mnss-<uid>/labs). A lab in a holder removes its
own record when it ends, also when its process is killed. The sweep removes what is left of this
owner's labs whose creating process is gone, and never touches another owner's labs or a live lab
of the same owner in another kernel.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import shutil
import signal
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import commands
from .shell import batch, existing_namespaces

PREFIX = "mnss"
NETNS_ETC = Path("/etc/netns")


def default_records_dir() -> Path:
    """Root's labs are recorded in /run/mnss/labs (the hub sweeps there); a user's in a folder that
    only they can write: $XDG_RUNTIME_DIR if it is theirs, else /tmp/mnss-<uid>."""
    if os.geteuid() == 0:
        return Path("/run/mnss/labs")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir() and Path(runtime).stat().st_uid == os.geteuid():
        return Path(runtime) / "mnss" / "labs"
    return Path(f"/tmp/mnss-{os.geteuid()}") / "labs"


REGISTRY = default_records_dir()


def _own_folder(path: Path) -> None:
    """Create `path` and its parent 0700; refuse a folder that is someone else's or that others may
    write (a shared /tmp), so nobody can plant or read this user's records."""
    for folder in (path.parent, path):
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise PermissionError(
                f"the lab records folder {folder} is not this user's alone; remove it "
                f"(实验记录目录 {folder} 不只属于当前用户；请删除)"
            )


def owner_for(name: str) -> str:
    """The short owner part of namespace names for a user (or any) name; empty if nothing is left."""
    return re.sub(r"[^a-z0-9]", "", name.lower())[:12]


def default_owner() -> str:
    """$MNSS_LAB_OWNER, else the hub user in a hub-spawned server, else the login name."""
    raw = os.environ.get("MNSS_LAB_OWNER") or os.environ.get("JUPYTERHUB_USER")
    if not raw:
        try:
            raw = getpass.getuser()
        except (KeyError, OSError):  # a uid with no account (a container's --user 1000)
            raw = ""
    return owner_for(raw) or f"u{os.getuid()}"


def new_lab_id() -> str:
    return secrets.token_hex(3)


def netns_name(owner: str, lab: str, node: str) -> str:
    return f"{PREFIX}-{owner}-{lab}-{node}"


def _start_time(pid: int) -> str | None:
    """When the process started (to tell it from a later one with the same pid); None once it has
    ended, a zombie included (a killed kernel whose parent is gone lingers as one)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] in ("Z", "X") else fields[19]


@dataclass
class LabRecord:
    owner: str
    lab: str
    pid: int = field(default_factory=os.getpid)
    pid_start: str | None = None
    namespaces: list[str] = field(default_factory=list)
    workdir: str | None = None  # files of the lab's services (e.g. images a PACS received)
    holder: int | None = None  # PID 1 of the lab's user namespace (None: namespaces on the host)
    holder_start: str | None = None

    def __post_init__(self):
        if self.pid_start is None:
            self.pid_start = _start_time(self.pid)
        if self.holder and self.holder_start is None:
            self.holder_start = _start_time(self.holder)

    @property
    def path(self) -> Path:
        return REGISTRY / f"{self.owner}-{self.lab}.json"

    def alive(self) -> bool:
        return _start_time(self.pid) == self.pid_start

    def held_by(self, pid: int) -> None:
        self.holder, self.holder_start = pid, _start_time(pid)

    def end_holder(self) -> None:
        """Kill the holder of a lab whose owner is gone (it normally ends by itself then)."""
        if self.holder and _start_time(self.holder) == self.holder_start:
            try:
                os.kill(self.holder, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def save(self) -> None:
        if os.geteuid() == 0:
            REGISTRY.mkdir(parents=True, exist_ok=True, mode=0o700)
        else:
            _own_folder(REGISTRY)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def records(owner: str | None = None, folder: Path | None = None) -> list[LabRecord]:
    """This user's records (of `owner`, or all); `folder`: another user's records folder, to read
    only (the hub lists a learner's labs from there; it never acts on what another user wrote)."""
    folder = REGISTRY if folder is None else folder
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            rec = LabRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue
        if owner is None or rec.owner == owner:
            found.append(rec)
    return found


def pids_in(namespaces: list[str]) -> list[int]:
    """Processes living in any of these named network namespaces (one pass over /proc)."""
    inodes = set()
    for ns in namespaces:
        try:
            inodes.add(os.stat(f"/run/netns/{ns}").st_ino)
        except OSError:
            pass
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.stat(proc / "ns/net").st_ino in inodes:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def delete_namespaces(names: list[str]) -> None:
    """Kill every process inside, then delete the namespaces (their interfaces go with them)."""
    present = existing_namespaces()
    names = [n for n in names if n in present]
    for pid in pids_in(names):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    batch([commands.netns_del(ns) for ns in names], what="deleting namespaces")
    for ns in names:
        etc = NETNS_ETC / ns
        if etc.is_dir():
            for f in etc.iterdir():
                f.unlink()
            etc.rmdir()


def end_all(owner: str) -> list[str]:
    """Every lab of this owner ends, live ones too (their kernel is killed): for when the user's
    server has stopped and nothing of theirs may keep running. Returns the namespaces removed."""
    ended = []
    for rec in records(owner):
        if rec.alive():
            try:
                os.kill(rec.pid, 9)
            except ProcessLookupError:
                pass
            _wait(lambda r=rec: not r.alive())  # SIGKILL is asynchronous: wait until the kernel is gone
        if rec.holder:  # its holder ends with the kernel, and the namespaces with the holder
            if not _wait(lambda r=rec: _start_time(r.holder) != r.holder_start):
                rec.end_holder()
            if rec.workdir:
                shutil.rmtree(rec.workdir, ignore_errors=True)
            rec.forget()
            ended += rec.namespaces
    return ended + sweep(owner)


def _wait(done, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def sweep(owner: str) -> list[str]:
    """Remove this owner's leftovers of crashed runs; return the namespaces removed (a lab in a
    holder has lost its namespaces with its holder, and normally its record too)."""
    live_labs, removed = set(), []
    for rec in records(owner):
        if rec.alive():
            live_labs.add(rec.lab)
        else:
            rec.end_holder()
            if not rec.holder:
                delete_namespaces(rec.namespaces)
            if rec.workdir:
                shutil.rmtree(rec.workdir, ignore_errors=True)
            removed += rec.namespaces
            rec.forget()
    prefix = f"{PREFIX}-{owner}-"
    orphans = [
        ns
        for ns in existing_namespaces()
        if ns.startswith(prefix) and ns[len(prefix) :].split("-", 1)[0] not in live_labs
    ]
    delete_namespaces(orphans)
    return removed + orphans
