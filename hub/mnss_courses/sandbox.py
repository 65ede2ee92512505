"""The box a learner's code runs in while it is autograded.

Autograding executes code someone else wrote, so it must not run as the instructor (root in local
mode). A box is one kernel process tree:

- a transient uid of its own (not `nobody`): RLIMIT_NPROC counts processes per uid, so a fork bomb
  in one submission cannot starve a submission graded next to it, and no two boxes can read each
  other's files;
- rlimits: address space, processes, CPU seconds, file size, no core files;
- new user, mount, pid and network namespaces (`unshare`): the network has only an unconfigured
  loopback, so the hub, the exchange, PostgreSQL and the outside world are unreachable, while the
  engine (`mnss_kernel.runtime.Lab`) can still build the learner's networks because a user
  namespace's root may create network namespaces, veths, bridges and per-netns sysctls of its own;
- private tmpfs on /tmp, /var/tmp, /dev/shm, /run (so /run/netns and /run/mnss are the box's
  own), /etc/netns and the working directory (size-capped); empty read-only tmpfs over the course
  root, the course catalog and every other path named as hidden (gradebook, sources with hidden
  tests, other submissions, hub state);
- a second, nested user namespace for the code itself, so those mounts are locked: root inside
  the box cannot unmount them to look underneath. The network namespace is created with this inner
  user namespace: `ip netns add` returns to the box's own netns with setns(), which needs the
  inner root to own it.

Without root, or where the transient uids are not mapped (an instructor's container under Docker's
userns-remap maps 65536 uids only), the box is *rootless*: the same namespaces and limits under the
grader's own uid. That is what the per-course formgrader, an unprivileged account, uses. Its
process limit then counts the grader's own processes too, so boxes of one rootless grader are run
one at a time (nbgrader's formgrader does), and the grader's home is hidden like the course root.

Where bubblewrap works (`box_view`), the box is built from an allow-list instead of the hidden
paths above: it sees the system's programs, the Python environment, the engine's packages and its
own stage, and nothing else exists in it. The deny-list mounts (`SETUP`) remain for machines where
bwrap cannot make its namespaces; `Box.allow_list` says which one a box is.

Only the kernel is in the box. The notebook, with its hidden tests, stays in the trusted grader
process, which sends one cell at a time over ZeroMQ `ipc` sockets in the box's stage directory
(TCP is not reachable across network namespaces; Unix sockets on a path are).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mnss_foundation import probe

from . import box_view

STAGE_ROOT = Path("/var/lib/mnss-grader")  # one 0700 directory per box, owned by its transient uid
UID_BASE, UID_SPAN = 0x70000000, 1 << 20  # far above system users, Docker's and any /etc/subuid range
ALWAYS_HIDDEN = ("/root", "/home", "/srv", "/var/lib/docker", "/var/lib/postgresql", "/var/lib/jupyterhub")
TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm")
NETNS_ETC = Path("/etc/netns")
PROBE_AS = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")  # bwrap's probe as root: as nobody


def needed_by_the_kernel() -> list[str]:
    """Folders the kernel must still see: the Python environment and the platform's own code
    (an editable install lives in the source tree). Wherever they are, a blanket mount must not
    take them away; the course folders inside stay hidden by name."""
    return [str(Path(sys.prefix).resolve()), platform_code()]


def platform_code() -> str:
    """The folder the grader imports the engine from (site-packages, or a checkout). The kernel is
    given it first on its path, so the `check` reports it prints are the ones this grader reads."""
    import mnss_kernel

    return str(Path(mnss_kernel.__file__).resolve().parents[1])


def unreachable_by_others(paths: list[str]) -> list[str]:
    """Folders on the way to `paths` that an unprivileged uid may not read and enter (e.g. /root
    is 0700; the kernel's imports need both)."""
    blocked = []
    for path in paths:
        for folder in [*reversed(Path(path).parents), Path(path)]:
            if folder.is_dir() and folder.stat().st_mode & 0o005 != 0o005:
                blocked.append(str(folder))
                break
    return blocked


def covering_nothing_needed(paths, needed: list[str]) -> list[str]:
    """`paths` (to hide) less those that are, or contain, a folder in `needed`."""
    return [p for p in paths if not any(n == p or n.startswith(p.rstrip("/") + "/") for n in needed)]


def needed_inside(temporary, needed: list[str]) -> list[str]:
    """The outermost needed folders inside the temporary ones: a checkout under /tmp. The box's
    own /tmp still replaces the real one; these are bound back into it, read-only."""
    inside = [n for n in needed if any(Path(n).is_relative_to(t) for t in temporary)]
    return sorted({n for n in inside if not any(n != o and Path(n).is_relative_to(o) for o in inside)})


class SandboxError(RuntimeError):
    """The box cannot be built here; the message says what is missing."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096  # address space per process (Python with numpy/pandas needs ~1 GiB)
    processes: int = 256  # per box (its own uid): the engine runs ping, iperf3, services per node
    cpu_seconds: int = 900
    file_mb: int = 256  # largest file the box may write
    work_mb: int = 512  # size of the tmpfs working directory


# ipc/ is the one folder of a stage the box may write (the kernel binds its sockets there): a tmpfs
# this small, so a submission that fills it fills nothing of the machine. Sockets take no space;
# the grader leaves a few empty files there while it measures network checks.
IPC_KB, IPC_INODES = 256, 256
# A rootless grader cannot mount: its whole stage root is a tmpfs of this size instead, which the
# formgrader's launcher (root) mounts in the service's own mount namespace.
STAGE_MB = Limits.work_mb + 64


# Runs as root of the outer user namespace, in its private mount namespace; $1 = stage dir,
# $2 = size of the work tmpfs in MiB, the rest: hidden paths, "--", temporary folders to replace,
# "--", needed folders inside those (kept visible, read-only), "--", the kernel command.
SETUP = r"""
set -eu
stage=$1; work_mb=$2; shift 2
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mount -t tmpfs -o ro,nosuid,nodev,size=4k,mode=0 mnss-hidden "$1"; fi
  shift
done
shift
temporary=""
while [ "$1" != "--" ]; do temporary="$temporary $1"; shift; done
shift
n=0; kept=""
while [ "$1" != "--" ]; do
  n=$((n + 1)); mkdir -p "$stage/keep/$n"; mount --rbind "$1" "$stage/keep/$n"
  mount -o remount,bind,ro "$stage/keep/$n"; kept="$kept $1"; shift
done
shift
for d in $temporary; do
  if [ -d "$d" ]; then mount -t tmpfs -o nosuid,nodev,size=64m,mode=1777 mnss-tmp "$d"; fi
done
n=0
for k in $kept; do
  n=$((n + 1)); mkdir -p "$k"; mount --rbind "$stage/keep/$n" "$k"; mount -o remount,bind,ro "$k"
done
mount -t tmpfs -o nosuid,nodev,size=16m,mode=755 mnss-run /run
mkdir -p /run/netns /run/mnss
mount -t tmpfs -o nosuid,nodev,size=16m,mode=755 mnss-netns /etc/netns
mount -t tmpfs -o nosuid,nodev,size="$work_mb"m,mode=700 mnss-work "$stage/work"
cp -R "$stage/in/." "$stage/work/"
cd "$stage/work"
unset JPY_PARENT_PID
# not exec: this shell stays pid 1 of the box, so killing the kernel (or the kernel killing
# itself) ends the box, and SIGKILL to pid 1 from inside is ignored by the kernel's rules
unshare --user --map-root-user --mount --net -- "$@"
"""


# Runs inside bwrap's view (`box_view`); $1 = stage dir, the rest: the kernel command. exec: bwrap
# keeps pid 1 of the box, so the kernel ending (or killing itself) ends the box.
INNER = r"""
set -eu
stage=$1; shift
cp -R "$stage/in/." "$stage/work/"
cd "$stage/work"
unset JPY_PARENT_PID
exec unshare --user --map-root-user --mount --net -- "$@"
"""


def ensure_netns_etc() -> None:
    """The box mounts its own tmpfs on /etc/netns (the engine keeps each node's hosts file there),
    and inside it cannot create the folder in /etc: make it here, where the grader may (as root).
    A grader that is not root relies on whoever started it (the formgrader's launcher does it)."""
    if not NETNS_ETC.is_dir():
        try:
            NETNS_ETC.mkdir(mode=0o755, exist_ok=True)
        except OSError as err:
            raise SandboxError(
                f"the box needs the folder {NETNS_ETC} (the network emulation's per-node files); "
                f"create it as root: {err.strerror}"
            ) from err


@functools.cache
def user_namespaces_problem() -> str:
    """Why this process cannot build a rootless box, or "" when it can. Checked once: a box that
    fails later would look like a kernel that died, and every submission would score zero."""
    return probe.refusal(["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc", "true"])


def _uid_in_use(uid: int) -> bool:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if proc.stat().st_uid == uid:
                    return True
            except OSError:
                continue
    return False


def transient_uids_mapped(uid_map: str | None = None) -> bool:
    """Whether this process's user namespace maps the whole transient uid range (it does on a host;
    it does not in a userns-remapped container, where chown to such a uid fails with EINVAL)."""
    if uid_map is None:
        try:
            uid_map = Path("/proc/self/uid_map").read_text()
        except OSError:
            return False
    for line in uid_map.splitlines():
        inside, _outside, count = (int(x) for x in line.split())
        if inside <= UID_BASE and UID_BASE + UID_SPAN <= inside + count:
            return True
    return False


def rootless_here() -> bool:
    """Whether boxes here run under the grader's own uid (not root, or transient uids unmapped)."""
    return os.geteuid() != 0 or not transient_uids_mapped()


def box_problem() -> str:
    """Why no box can be built in this place, or "" when one can. In a Docker container /proc is
    masked, so the box's fresh /proc (its only view of processes) is refused ("mount /proc
    failed"); a box without one would see, and could read, every process of the container."""
    return user_namespaces_problem() if rootless_here() else ""


def stage_root_for(rootless: bool) -> Path:
    """Where boxes are staged: $MNSS_SANDBOX_STAGE, else STAGE_ROOT for root, else under the home
    of the grader. Never under /tmp or /run, which the box replaces before it uses its stage."""
    if os.environ.get("MNSS_SANDBOX_STAGE"):
        return Path(os.environ["MNSS_SANDBOX_STAGE"])
    return Path.home() / ".mnss-boxes" if rootless and os.geteuid() != 0 else STAGE_ROOT


class Box:
    """One box: a stage directory (ipc sockets, connection file, input files) and the uid it runs as
    (a transient one when the grader is root on the host, else the grader's own: rootless)."""

    def __init__(self, limits: Limits, hidden: list[str] | tuple[str, ...] = (), stage_root: str | Path | None = None):
        for tool in ("prlimit", "setpriv", "unshare"):
            if not shutil.which(tool):
                raise SandboxError(f"sandboxed autograding needs '{tool}' (util-linux)")
        self.limits = limits
        self.rootless = rootless_here()
        self.fallback_reason = box_view.unavailable(() if self.rootless else PROBE_AS)
        self.allow_list = not self.fallback_reason
        if not self.allow_list:
            ensure_netns_etc()
        if self.rootless and (problem := box_problem()):
            raise SandboxError(
                f"sandboxed autograding cannot create its user namespace here ({problem}); "
                "autograde in the course's formgrader (/services/formgrader-<course>/) or as root "
                "on the host"
            )
        root = Path(stage_root or stage_root_for(self.rootless)).resolve()
        needed = needed_by_the_kernel()
        blocked = [] if self.rootless else unreachable_by_others(needed)
        if blocked:
            raise SandboxError(
                f"the sandboxed kernel runs as an unprivileged user, which cannot read and enter {blocked[0]}; "
                "install MNSS Lab under a folder others may enter (e.g. /opt or /srv), not under "
                "a private home"
            )
        # a rootless box runs as the grader: its home (runtime files, tokens) is hidden too
        private = [*ALWAYS_HIDDEN, *hidden, *([str(Path.home())] if self.rootless else [])]
        self.hidden = covering_nothing_needed([str(Path(p).resolve()) for p in private], [*needed, str(root)])
        self.temporary = list(TEMPORARY)
        self.kept = needed_inside(TEMPORARY, needed)
        if self.rootless:
            self.uid, self.stage = os.geteuid(), self._rootless_stage(root)
        else:
            self.uid, self.stage = self._transient_stage(root)
        for sub in ("in", "work", "ipc"):
            (self.stage / sub).mkdir(mode=0o700)
        box_view.write_accounts(self.stage / "etc")
        self.given: list[str] = []
        self.ipc_capped = False
        if not self.rootless:
            for path in (self.stage, self.stage / "work", self.stage / "ipc"):
                os.chown(path, self.uid, self.uid)
            self._cap_ipc()

    def _cap_ipc(self) -> None:
        """Mount the small tmpfs (IPC_KB, IPC_INODES) on ipc/, owned by the box's uid."""
        options = f"size={IPC_KB}k,nr_inodes={IPC_INODES},mode=0700,uid={self.uid},gid={self.uid},nosuid,nodev,noexec"
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "mnss-ipc", str(self.stage / "ipc")], capture_output=True, text=True
        )
        if done.returncode != 0:
            self.remove()
            raise SandboxError(f"cannot mount the box's size-capped ipc folder: {done.stderr.strip()[:300]}")
        self.ipc_capped = True

    @staticmethod
    def _transient_stage(root: Path) -> tuple[int, Path]:
        root.mkdir(mode=0o711, parents=True, exist_ok=True)
        os.chmod(root, 0o711)
        for _ in range(100):
            uid = UID_BASE + secrets.randbelow(UID_SPAN)
            stage = root / str(uid)
            try:
                stage.mkdir(mode=0o700)  # the directory is the uid's lock
            except FileExistsError:
                continue
            if _uid_in_use(uid):
                stage.rmdir()
                continue
            return uid, stage
        raise SandboxError(f"no free transient uid under {root}")

    @staticmethod
    def _rootless_stage(root: Path) -> Path:
        if any(root.is_relative_to(t) for t in (*TEMPORARY, "/run")):
            raise SandboxError(
                f"the box's stage folder {root} is under a folder the box replaces; pick another ($MNSS_SANDBOX_STAGE)"
            )
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix="box-", dir=root))
        except OSError as err:
            raise SandboxError(f"cannot create a box under {root}: {err.strerror}") from err

    def add_inputs(self, folder: str | Path) -> None:
        """Copy the submission's other files (data, not notebooks) for the kernel's working dir."""
        folder = Path(folder)
        if folder.is_dir():
            shutil.copytree(
                folder,
                self.stage / "in",
                dirs_exist_ok=True,
                symlinks=False,
                ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "gradebook.db*"),
            )
        for root, dirs, files in os.walk(self.stage / "in"):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
        os.chmod(self.stage / "in", 0o755)

    def give(self, path: str | Path) -> None:
        """Let the box read a file the trusted side wrote (the kernel's connection file)."""
        self.given.append(str(path))
        if not self.rootless:
            os.chown(path, self.uid, self.uid)

    @property
    def workdir(self) -> Path:
        return self.stage / "work"

    def command(self, argv: list[str]) -> list[str]:
        """`argv` (the kernel command) wrapped in limits, the transient uid and the namespaces."""
        lim = self.limits
        user = [] if self.rootless else [f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
        limited = [
            "prlimit",
            f"--as={lim.memory_mb << 20}",
            f"--nproc={lim.processes}",
            f"--cpu={lim.cpu_seconds}",
            f"--fsize={lim.file_mb << 20}",
            "--core=0",
            "--",
            "setpriv",
            *user,
            "--no-new-privs",
        ]
        if self.allow_list:
            view = box_view.arguments(self.stage, lim.work_mb, self.given)
            return [*limited, *view, "--", "sh", "-c", INNER, "mnss-box", str(self.stage), *argv]
        return [
            *limited,
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--propagation=private",
            "sh",
            "-c",
            SETUP,
            "mnss-box",
            str(self.stage),
            str(lim.work_mb),
            *self.hidden,
            "--",
            *self.temporary,
            "--",
            *self.kept,
            "--",
            *argv,
        ]

    def environment(self, path: str) -> dict[str, str]:
        """All the kernel gets: nothing of the grader's (no hub token, no database URL)."""
        home = str(self.workdir)
        return {
            "PATH": path,
            "PYTHONPATH": os.pathsep.join(box_view.import_path()),
            "HOME": home,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "MNSS_LAB_OWNER": "grader",
            "IPYTHONDIR": f"{home}/.ipython",
            "MPLCONFIGDIR": f"{home}/.matplotlib",
            "MPLBACKEND": "Agg",
            "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter",
            "NBGRADER_EXECUTION": "autograde",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }

    def remove(self) -> None:
        if self.ipc_capped:
            subprocess.run(["umount", "--lazy", str(self.stage / "ipc")], capture_output=True)
            self.ipc_capped = False
        shutil.rmtree(self.stage, ignore_errors=True)
