"""What a locked-down formgrader must refuse and how its process is checked, for the local- and
docker-mode tests alike (the formgrader runs on the host in both)."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import requests

from mnss_courses import formgrader

# Everything a Jupyter server usually offers beyond grading; each must be refused.
REFUSED = [
    ("GET", "lab"),
    ("GET", "lab/tree/source"),
    ("GET", "tree"),
    ("GET", "notebooks/x.ipynb"),
    ("GET", "terminals/1"),
    ("GET", "api/terminals"),
    ("POST", "api/terminals"),
    ("POST", "api/kernels"),
    ("POST", "api/sessions"),
    ("GET", "api/contents/%2e%2e%2fstate"),
    ("GET", "api/contents/state-link"),
    ("PUT", "api/contents/nbgrader_config.py"),
    ("DELETE", "api/contents/source"),
    ("PATCH", "api/contents/source"),
]
BODIES = {
    "PUT": {"type": "file", "format": "text", "content": "c = 1"},
    "PATCH": {"path": "renamed"},
    "POST": {"name": "python3", "path": "x.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
}


def ask(base: str, headers: dict, method: str, path: str) -> requests.Response:
    return requests.request(
        method, base + path, headers=headers, timeout=60, allow_redirects=False, json=BODIES.get(method)
    )


def assert_refused(base: str, headers: dict, method: str, path: str, root: Path, state: Path) -> None:
    """403 with the reason for what a formgrader does not offer; 403/404 for files outside the
    course root (also through a link planted in it); 403 for any write."""
    link = root / "state-link"
    if not link.is_symlink():
        link.symlink_to(state / "people.sqlite")
    answer = ask(base, headers, method, path)
    assert answer.status_code in (403, 404, 405), (method, path, answer.status_code, answer.text[:300])
    if path.startswith(("api/kernels", "api/sessions", "api/terminals")):
        assert answer.status_code == 403 and "grading only" in answer.json()["message"], answer.text[:300]
    elif not path.startswith("api/"):
        assert answer.status_code == 403 and "grading only" in answer.text, answer.text[:300]
    kernels = ask(base, headers, "GET", "api/kernels")
    assert kernels.status_code == 403


def server_pid(root: Path) -> int:
    """The formgrader's server process: the one whose environment names this course root."""
    wanted = f"{formgrader.ROOT_ENV}={root.resolve()}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (
                wanted in (proc / "environ").read_bytes().split(b"\0")
                and b"singleuser" in (proc / "cmdline").read_bytes()
            ):
                return int(proc.name)
        except OSError:
            continue
    raise AssertionError(f"no formgrader server process for {root}")


def as_account(course: str, pid: int, *command: str) -> subprocess.CompletedProcess:
    """Run `command` with the server's account and groups, in the server's mount namespace."""
    account = pwd.getpwnam(formgrader.account_name(course))
    return subprocess.run(
        [
            "nsenter",
            f"--target={pid}",
            "--mount",
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
            "--",
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )


def assert_process_unprivileged(course: str, root: Path, state: Path) -> None:
    """The server runs as the course's account with no capability, and that account reaches its
    course root but not the hub's state, /root or the Docker socket, nor its own config."""
    pid = server_pid(root)
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    account = pwd.getpwnam(formgrader.account_name(course))
    assert set(status["Uid"].split()) == {str(account.pw_uid)} and set(status["Gid"].split()) == {str(account.pw_gid)}
    assert account.pw_uid != 0 and int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    assert status["NoNewPrivs"].strip() == "1"
    ps = subprocess.run(["ps", "-o", "uid=", "-p", str(pid)], capture_output=True, text=True)
    assert ps.stdout.strip() == str(account.pw_uid), ps.stdout

    assert as_account(course, pid, "ls", str(formgrader.VIEW / course / "source")).returncode == 0
    for target in (
        state,
        state / "jupyterhub.sqlite",
        state / "people.sqlite",
        state / "jupyterhub_cookie_secret",
        Path("/root"),
        Path("/var/run/docker.sock"),
    ):
        if target.exists():
            tried = as_account(course, pid, "ls" if target.is_dir() else "cat", str(target))
            assert tried.returncode != 0 and "Permission denied" in tried.stderr, (
                target,
                tried.stdout[:200],
                tried.stderr,
            )
    config = formgrader.WORKSPACES / account.pw_name / "config" / "jupyter_server_config.py"
    assert as_account(course, pid, "sh", "-c", f"echo x >> {config}").returncode != 0
    assert os.stat(config).st_uid == 0
