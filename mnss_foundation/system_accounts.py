"""Servers that root starts but that must not run as root: a system account of their own, no
capability, `no-new-privileges`, and a private mount namespace in which the one folder they work in
appears at a path they can reach (the real one may lie inside root's 0700 state folder).

Used for each course's formgrader (`mnss-fg-<course>`) and, in local mode, for each hub user's
server (`mnss-u-<name>`). Only root calls these; the account itself never gets more than its uid.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from . import probe

MAX_NAME = 32  # useradd's limit on Debian
PLAIN = re.compile(r"[a-z0-9][a-z0-9_-]*")
HASHED_TAIL = re.compile(r"-[0-9a-f]{8}$")

# Runs as root in the new mount namespace: $1 real folder, $2 its view, then `--hide DIR`s (each
# covered by an empty read-only tmpfs), then `--` and the command, which drops to the account.
MOUNT = r"""
set -eu
real=$1; view=$2; shift 2
mount -t tmpfs -o mode=755,size=1m,nosuid,nodev,noexec mnss-view "$(dirname "$view")"
mkdir -p "$view"
mount --bind "$real" "$view"
while [ "$1" = --hide ]; do
  [ ! -d "$2" ] || mount -t tmpfs -o ro,mode=0,size=4k,nosuid,nodev,noexec mnss-hidden "$2"
  shift 2
done
while [ "$1" = --cap ]; do
  mount -t tmpfs -o "mode=700,size=$3m,uid=$4,gid=$5,nosuid,nodev" mnss-capped "$2"
  shift 5
done
shift
cd "$view"
exec "$@"
"""


class AccountError(RuntimeError):
    """A system account cannot be set up; the message says what is wrong."""


def account_name(prefix: str, name: str) -> str:
    """`prefix + name` when that is a plain, short account name; otherwise a readable part of the
    name and a hash of all of it. Plain names never end in `-<8 hex>`, so the two kinds never meet,
    and the same name always gives the same account."""
    plain = prefix + name
    if PLAIN.fullmatch(name) and len(plain) <= MAX_NAME and not HASHED_TAIL.search(name):
        return plain
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[: MAX_NAME - len(prefix) - 9].strip("-")
    return f"{prefix}{readable or 'x'}-{digest}"


def passwd_comment(text: str) -> str:
    """`text` as useradd takes a comment: printable ASCII without ':' (the rest escaped)."""
    return text.encode("unicode_escape").decode("ascii").replace(":", "\\x3a")


def ensure_account(name: str, home: Path, comment: str) -> pwd.struct_passwd:
    """The account, created as a system user without login shell when missing. An existing account
    of that name is taken only if it was made for the same purpose (its comment), never root."""
    comment = passwd_comment(comment)
    try:
        found = pwd.getpwnam(name)
    except KeyError:
        found = None
    if found is None:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        done = subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", str(home)]
            + ["--shell", "/usr/sbin/nologin", "--comment", comment, name],
            capture_output=True,
            text=True,
        )
        if done.returncode not in (0, 9):  # 9: created meanwhile by another start
            raise AccountError(f"cannot create the system account {name}: {done.stderr.strip()}")
        found = pwd.getpwnam(name)
    if found.pw_uid == 0 or found.pw_gecos != comment:
        raise AccountError(
            f"the system account {name} exists but was not made for this ({found.pw_gecos!r}, "
            f"expected {comment!r}); rename or remove it"
        )
    return found


def drop_to(account: pwd.struct_passwd) -> list[str]:
    """argv prefix: the account's uid and groups, no capability (also not in the bounding set),
    and no way to gain any (`no-new-privileges`: setuid programs do not raise it)."""
    return [
        "setpriv",
        f"--reuid={account.pw_uid}",
        f"--regid={account.pw_gid}",
        "--init-groups",
        "--no-new-privs",
        # Changing the user clears a parent-death signal asked for before (mnss_foundation.with_parent);
        # keep it, so the server still ends when its parent does.
        "--pdeathsig=keep",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def in_own_mounts(
    real: Path,
    view: Path,
    command: Sequence[str],
    hide: Sequence[str] = (),
    capped: Sequence[tuple[Path, int, int, int]] = (),
) -> list[str]:
    """argv that runs `command` (as root, so it starts with `drop_to`) in a private mount namespace
    where `real` is bound at `view` (whose parent gets a tmpfs of its own), each folder of `hide`
    is covered by an empty, unreadable tmpfs and each (folder, MiB, uid, gid) of `capped` by an
    empty tmpfs of that size owned by that account (scratch space it cannot grow beyond); the
    command starts in `view`."""
    hidden = [arg for folder in hide for arg in ("--hide", str(folder))]
    hidden += [arg for folder, mb, uid, gid in capped for arg in ("--cap", str(folder), str(mb), str(uid), str(gid))]
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        MOUNT,
        "mnss-view",
        str(real),
        str(view),
        *hidden,
        "--",
        *command,
    ]


def mount_namespace_refusal() -> str | None:
    """Why this machine refuses the private mount namespace `in_own_mounts` needs (a container
    without CAP_SYS_ADMIN, a seccomp or AppArmor policy), or None when it allows one."""
    return probe.refusal(["unshare", "--mount", "--propagation", "private", "true"]) or None


def closed_to_others(folder: Path) -> Path | None:
    """The first folder on the way to `folder` (itself included) that an account of no group of its
    own cannot enter or list, or None when every other user can read `folder`."""
    folder = Path(folder).resolve()
    for step in [*reversed(folder.parents), folder]:
        try:
            mode = step.stat().st_mode
        except OSError:
            return step
        if not mode & 0o001 or (step == folder and not mode & 0o004):
            return step
    return None


def give_tree(root: Path, uid: int, gid: int) -> None:
    """`uid` owns the folder and all in it; symlinks are changed, never followed."""
    os.chown(root, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def processes_of(uid: int) -> list[int]:
    """Pids of the processes whose owner is `uid` (as /proc shows them)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.stat().st_uid == uid:
                found.append(int(proc.name))
        except OSError:  # ended meanwhile
            continue
    return found


def uids_with_processes() -> set[int]:
    """Owners of the processes now running (one pass over /proc)."""
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            found.add(proc.stat().st_uid)
        except OSError:  # ended meanwhile
            continue
    return found


def end_processes_of(account: pwd.struct_passwd, grace: float = 0) -> bool:
    """End every process of the account (it runs one server, so nothing of it may outlive that
    server): first `grace` seconds for them to end by themselves (a lab ends with its kernel and
    then removes its own record), then SIGKILL, sent as the account itself: kill(-1) reaches
    exactly its processes, those in user namespaces it owns included, and nothing of anyone else.
    Returns whether none is left."""
    if account.pw_uid == 0:
        raise AccountError("refusing to end every process of root")
    if not _wait(lambda: not processes_of(account.pw_uid), grace):
        ids = [f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
        # procps' kill takes -1 as "every process" only in this form ("-s KILL -- -1" is a usage error)
        subprocess.run(["setpriv", *ids, "--", "kill", "-KILL", "-1"], capture_output=True)
    return _wait(lambda: not processes_of(account.pw_uid), 5)


def _wait(done, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
