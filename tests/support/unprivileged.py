"""Run Python code as an unprivileged account (uid nobody) with this tree importable: how the
tests show that labs need no root."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "nobody"


def why_not() -> str | None:
    """Why code cannot be run as another account here, or None."""
    if os.geteuid() != 0:
        return "switching to an unprivileged account needs root"
    if not shutil.which("setpriv"):
        return "setpriv (util-linux) is missing"
    try:
        pwd.getpwnam(ACCOUNT)
    except KeyError:
        return f"there is no account {ACCOUNT!r}"
    return None


def command(*args: str, account: str = ACCOUNT) -> list[str]:
    """A command run as the unprivileged account (no groups, no capabilities)."""
    entry = pwd.getpwnam(account)
    ids = [f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--inh-caps=-all"]
    return ["setpriv", *ids, *args]


def argv(*args: str, account: str = ACCOUNT) -> list[str]:
    """`python args...` (this interpreter) as the unprivileged account."""
    return command(sys.executable, *args, account=account)


def env(**extra: str) -> dict:
    """A plain environment for it: this tree on the path, no runtime folder of root's."""
    paths = [str(ROOT), str(ROOT / "extensions"), str(ROOT / "hub"), str(ROOT / "recommender")]
    return {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "PYTHONPATH": ":".join(paths), **extra}


def popen(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(argv(*args), env=env(**kwargs.pop("extra_env", {})), cwd="/", **kwargs)
