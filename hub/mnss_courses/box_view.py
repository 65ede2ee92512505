"""What a grading box sees: an allow-list, mounted by bubblewrap (`bwrap`).

bwrap builds the box's root from an empty tmpfs and binds into it only what the learner's kernel
needs: the system's programs and libraries (/usr), a few named files of /etc, the Python
environment, the platform's kernel-side packages (`mnss_kernel`, `mnss_foundation`; not the
checkout they may sit in) and the box's own stage (connection file, ipc sockets, the submission's
files). Everything else on the machine (checkouts and their .git, copies of a course catalog,
homes, hub state) is not covered up but absent: no path in the box leads to it, so there is no
mount to lift and no folder anyone must remember to name.

The kernel still runs as root of a nested user namespace (`sandbox.INNER`), which locks these
mounts (it cannot make the binds writable) and owns the box's network namespace, so the engine
can build the learner's networks. /proc/sys is bound writable from the host's procfs because the
kernel itself refuses every write there except to settings of namespaces the box owns (its networks);
bwrap's own read-only /proc/sys would be locked too and leave no router able to forward.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

from mnss_foundation import probe

MERGED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # symlinks into /usr on merged-/usr systems
ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",  # iptables and friends are links through here
    "hosts",  # the engine binds each lab's own hosts file over it
    "host.conf",
    "nsswitch.conf",
    "protocols",
    "services",
    "ethertypes",
    "iproute2",
    "localtime",
    "timezone",
    "mime.types",
    f"python{sys.version_info.major}.{sys.version_info.minor}",  # Debian's sitecustomize
)
# The box's own accounts file: the real one lists every learner's system account.
PASSWD = "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
TEMPORARY_MB = 64  # each of /tmp, /var/tmp, /dev/shm
RUN_MB = 16  # /run (netns, lab records) and /etc/netns


def kernel_packages() -> list[str]:
    """The platform's packages the kernel imports, each by itself (in an editable install they sit
    in a checkout whose .git and courses the box must not see): the engine, its foundation and the
    add-ons registered for the engine's "lab started" hook, which the engine loads in the box too
    (one it cannot load is reported on stderr, and nbgrader fails a cell with stderr output)."""
    from mnss_foundation import plugins
    from mnss_kernel.runtime.lab import LAB_STARTED

    hooked = [point.value.split(":")[0].split(".")[0] for point in plugins.registered(LAB_STARTED)]
    folders = []
    for name in dict.fromkeys(["mnss_kernel", "mnss_foundation", *hooked]):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            folders.append(str(Path(next(iter(spec.submodule_search_locations))).resolve()))
    return folders


def import_path() -> list[str]:
    """Where the kernel imports those packages from: the folders that hold them, engine first."""
    return list(dict.fromkeys(str(Path(p).parent) for p in kernel_packages()))


def python_environment() -> list[str]:
    """The environment's prefix, as named and as resolved (the kernel is started by its name)."""
    return list(dict.fromkeys([str(Path(sys.prefix).absolute()), str(Path(sys.prefix).resolve())]))


def readable() -> list[str]:
    """Folders bound read-only at their own paths, less those already inside another one."""
    wanted = [*python_environment(), *kernel_packages()]
    return [p for p in wanted if not any(o != p and Path(p).is_relative_to(o) for o in wanted)]


def system() -> list[str]:
    """/usr, the merged-/usr links as links, and the named pieces of /etc that exist here."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in MERGED:
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for name in ETC:
        if Path("/etc", name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def write_accounts(folder: Path) -> None:
    """passwd and group for the box (in its stage), so name lookups work and reveal no one."""
    folder.mkdir(mode=0o755, exist_ok=True)
    (folder / "passwd").write_text(PASSWD, "utf-8")
    (folder / "group").write_text(GROUP, "utf-8")
    for path in (folder / "passwd", folder / "group"):
        path.chmod(0o644)


def _tmpfs(path: str, mb: int, mode: str) -> list[str]:
    return ["--perms", mode, "--size", str(mb << 20), "--tmpfs", path]


def arguments(stage: Path, work_mb: int, given: list[str] | tuple[str, ...] = ()) -> list[str]:
    """bwrap's arguments for a box whose stage folder is `stage` (up to the command). Of the stage
    only ipc/ (the kernel's sockets) is writable; in/ (the submission's files, copied into the
    work tmpfs) and the `given` files (the connection file) are read-only."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", *system()]
    args += ["--ro-bind", str(stage / "etc" / "passwd"), "/etc/passwd"]
    args += ["--ro-bind", str(stage / "etc" / "group"), "/etc/group"]
    args += ["--proc", "/proc", "--bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
    # bwrap mounts in order: the scratch tmpfs first, so that what is bound next (an environment
    # or a stage that lies under /tmp, say) lands on them instead of being covered by them
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        args += _tmpfs(path, TEMPORARY_MB, "1777")
    args += [*_tmpfs("/run", RUN_MB, "0755"), "--dir", "/run/netns", "--dir", "/run/mnss"]
    args += _tmpfs("/etc/netns", RUN_MB, "0755")
    for path in readable():
        args += ["--ro-bind", path, path]
    args += ["--ro-bind", str(stage / "in"), str(stage / "in"), "--bind", str(stage / "ipc"), str(stage / "ipc")]
    for path in given:
        args += ["--ro-bind", str(path), str(path)]
    args += _tmpfs(str(stage / "work"), work_mb, "0700")
    return [*args, "--remount-ro", "/"]


@functools.cache
def unavailable(switch_user: tuple[str, ...] = ()) -> str:
    """Why a box cannot be built with bwrap here ("" when it can): bwrap missing, or no user
    namespace for it or for the kernel's nested one (e.g. under Docker's default seccomp profile).
    `switch_user` is the setpriv prefix the real box uses. Checked once per process."""
    box = ["bwrap", "--unshare-all", "--die-with-parent", *system(), "--proc", "/proc"]
    box += ["--bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]  # refused where /proc/sys is locked (a container)
    box += ["--", "unshare", "--user", "--map-root-user", "--mount", "--net", "true"]
    return probe.refusal([*switch_user, *box], name="bwrap")
