"""Start a real hub (and its proxy) as a subprocess, wait until it answers, always tear it down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.prefix) / "bin"


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def hub_folders(tmp_path_factory, name: str) -> tuple[Path, Path, int]:
    """A test module's hub: its work folder, the hub's state folder in it, and one free port for
    a service (the exchange or the recommender)."""
    work = tmp_path_factory.mktemp(name)
    return work, work / "state", free_ports(1)[0]


# The marks of a test whose hub runs learners' servers in local mode (as the hub's root).
LOCAL_HUB_MARKS = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="local mode runs servers as root"),
]


def site_config(state_dir: Path, **sections) -> dict:
    """A site config for tests: free loopback ports, state in `state_dir`, known admin password,
    courses and recommender off unless given."""
    port, hub_port, api_port = free_ports(3)
    config = {
        "hub": {"port": port, "hub_port": hub_port, "proxy_api_port": api_port, "state_dir": str(state_dir)},
        "auth": {"initial_admin_password": "admin-test-password"},
        # off unless a test asks for them: each course's formgrader is a server of its own
        "courses": {"enabled": False},
        "recommender": {"enabled": False},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    return config


def course_site(state_dir: Path, members: list[dict], **sections) -> dict:
    """`site_config` with courses on: the repository's catalog, a free exchange port, `members`."""
    (exchange_port,) = free_ports(1)
    courses = {
        "enabled": True,
        "exchange_port": exchange_port,
        "catalog": str(ROOT / "courses"),
        "members": members,
        **sections.pop("courses", {}),
    }
    return site_config(state_dir, courses=courses, **sections)


def password(user: str) -> str:
    return f"{user}-password-x1"


def accounts_url(state_dir: Path) -> str:
    """The database of a test hub's accounts (a site config without a database URL: the people
    store's SQLite file in the state folder), as the hub itself works it out."""
    from mnss_hub.people import site as people_site

    site = {"hub": {"state_dir": str(state_dir), "db_url": ""}, "accounts": {"database_url": ""}}
    return people_site.database_url(site)


def create_accounts(state_dir: Path, users) -> None:
    """Accounts (password: `password(user)`) in the hub's store, before the hub starts."""
    from mnss_hub.accounts import AccountStore

    store = AccountStore(accounts_url(state_dir))
    for user in users:
        store.create(user, password(user), must_change=False)


def logged_in(url: str, users) -> dict:
    """user -> a HubClient holding that user's own token."""
    from mnss_hub.hubclient import HubClient

    clients = {}
    for user in users:
        clients[user] = HubClient(url, timeout=120)
        clients[user].login(user, password(user))
    return clients


def servers_started(url: str, users) -> tuple:
    """(the admin's HubClient, `logged_in(url, users)`) once the admin has created the users and
    each has started their own server."""
    from mnss_hub.hubclient import HubClient

    admin = HubClient(url, timeout=120)
    admin.login("admin", "admin-test-password")
    for user in users:
        admin.create_user(user)
    clients = logged_in(url, users)
    for user, client in clients.items():
        client.start_server(user)
    return admin, clients


def wait_until_answers(proc: subprocess.Popen, log: Path, url: str, name: str, timeout: float) -> None:
    """Return once a GET of `url` succeeds; raise, with the end of `log`, if `proc` exits first or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    wait_until_answers(proc, log, url + "hub/api", "hub", timeout)


def stop_process_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM the hub (it stops its servers and proxy), then SIGKILL whatever is left."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def _works_under(proc_dir: Path, folder: Path) -> bool:
    """Whether a process works inside `folder`: its working directory, or (a formgrader or a local
    server under an account of its own, which work in a mount namespace of their own) the course
    root or home named in its environment."""
    try:
        places = [Path(os.readlink(proc_dir / "cwd"))]
        places += [
            Path(v.split(b"=", 1)[1].decode())
            for v in (proc_dir / "environ").read_bytes().split(b"\0")
            if v.startswith((b"MNSS_FORMGRADER_ROOT=", b"MNSS_SERVER_HOME="))
        ]
    except OSError:
        return False
    return any(p == folder or folder in p.parents for p in places)


def processes_under(folder: Path) -> dict[int, str]:
    """pid -> command line of the processes working inside `folder` (the hub's proxy and services
    work in its state folder, local servers and kernels in homes, formgraders in course roots)."""
    found = {}
    for proc_dir in Path("/proc").glob("[0-9]*"):
        if _works_under(proc_dir, folder):
            try:
                found[int(proc_dir.name)] = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
    return found


def kill_processes_under(folder: Path) -> list[int]:
    """Kill processes working inside `folder` (servers and services a killed hub left)."""
    killed = []
    for pid in processes_under(folder):
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    return killed


def launch_hub(workdir: Path, config: dict, hub_command: list[str] | None = None) -> tuple[str, subprocess.Popen, Path]:
    """Start `mnss-hub run` with `config` in a session of its own, without waiting for it; return
    (public url, process, log path). A second call with the same folder and config restarts the
    hub on the same state (as systemd would after a crash); the log is appended to."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "mnss.yaml"
    config_path.write_text(yaml.safe_dump(config), "utf-8")
    log = workdir / "hub.log"
    command = hub_command or [
        str(VENV_BIN / "mnss-hub"),
        "--config",
        str(config_path),
        "run",
        "--jupyterhub-config",
        str(ROOT / "jupyterhub_config.py"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "MNSS_"))}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    return f"http://127.0.0.1:{config['hub']['port']}/", proc, log


def end_hub(workdir: Path, config: dict, proc: subprocess.Popen) -> None:
    """Stop the hub, then kill whatever of it is left: the hub starts its proxy and services in
    sessions of their own, working in the state folder, so after a killed hub (or one that failed
    to start) they are found by that folder."""
    stop_process_group(proc)
    state = config.get("hub", {}).get("state_dir")
    for folder in {workdir.resolve(), *([Path(state).resolve()] if state else [])}:
        kill_processes_under(folder)


@contextmanager
def running_hub(workdir: Path, config: dict, hub_command: list[str] | None = None, up_timeout: float = 150):
    """Run `mnss-hub run` with `config`; yield (public url, process, log path). `up_timeout`: seconds
    to wait for the hub's API (it answers once its managed services have started)."""
    url, proc, log = launch_hub(workdir, config, hub_command)
    try:
        wait_until_up(url, proc, log, up_timeout)
        yield url, proc, log
    finally:
        end_hub(workdir, config, proc)


def lab_records(state_dir: Path, user: str) -> list:
    """The user's lab records: in their server's records folder (in their home) when it runs as an
    account of its own (a hub as root), else the hub's own."""
    from mnss_hub.spawners import RUNTIME_DIR
    from mnss_kernel.runtime import registry

    folder = state_dir / "homes" / user / RUNTIME_DIR / "mnss" / "labs" if os.geteuid() == 0 else None
    return registry.records(registry.owner_for(user), folder)
