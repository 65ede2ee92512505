"""Local mode with the hub as root: each learner's server runs as a system account of its own
(mnss-u-<name>), without capabilities and with no-new-privileges, and cannot read another learner's
home, the course sources, the hub's state or /root; its labs are built rootless inside it, and
stopping the server leaves no process of the account behind, nor does a hub restart leave a
process of an account whose server the hub does not run."""

import json
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import pytest

from mnss_foundation import system_accounts
from mnss_hub.spawners import ACCOUNT_PREFIX, HOME_ENV
from tests.support.hubproc import ROOT, create_accounts, lab_records, running_hub, servers_started, site_config
from tests.support.learner import run_in_kept_kernel

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers under accounts of their own need a hub running as root"),
]

LEARNERS = ("ward-a", "ward-b")
SOURCE = ROOT / "courses" / "hospital-lan" / "source"  # the checkout's catalog, with hidden tests

TRY_READING = """
import json, os
def attempt(path):
    try:
        return "read " + str(os.listdir(path) if os.path.isdir(path) else len(open(path, "rb").read()))
    except OSError as err:
        return type(err).__name__
print(json.dumps({p: attempt(p) for p in PATHS}))
"""

OWN_HOME_AND_MININET = """
import os, shutil, subprocess
open("mine.txt", "w").write("x")
print(os.listdir("."))
if shutil.which("mn"):
    done = subprocess.run(["mn", "--test", "none"], capture_output=True, text=True, timeout=60)
    print(done.stdout + done.stderr)
"""

KEPT_LAB = """
from mnss_kernel.runtime.lab import Lab
from mnss_kernel import templates
running = Lab(templates.TEMPLATES["star"].build(2)).start()
print("UP", len(running.topology.nodes))
"""

LAB = """
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.topology import Topology
from mnss_kernel import measure
topo = {"name": "iso", "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"},
        {"name": "s1", "kind": "switch"}], "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}]}
import os
with Lab(Topology.from_dict(topo)) as lab:
    print("ROOTLESS", lab.rootless, "LOSS", float(measure.ping(lab, "h1", "h2").loss_pct))
    # a node reaches the learner's home (the lab's private /run shows it): files move both ways
    wrote = lab.cmd("h1", f"echo from-h1 > {os.getcwd()}/from-node.txt")
    mine = os.stat("from-node.txt").st_uid == os.getuid()
    print("NODE WROTE", wrote.returncode, open("from-node.txt").read().strip(), mine)
    with measure.capture(lab, "h2", "h2.pcap", bpf="icmp"):
        measure.ping(lab, "h1", "h2", count=2)
    print("CAPTURED", measure.read_capture("h2.pcap").count("ICMP echo request"))
"""


def status_of(pid: int) -> dict:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def server_processes(home: Path) -> list[int]:
    """Processes of the server whose home is `home` (the spawner names it in their environment)."""
    marker = f"{HOME_ENV}={home}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_each_learner_runs_as_an_account_of_their_own_and_sees_nothing_of_others(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    create_accounts(state, LEARNERS)
    a, b = LEARNERS
    with running_hub(tmp_path, site_config(state)) as (url, proc, log):
        _, learners = servers_started(url, LEARNERS)
        account = pwd.getpwnam(ACCOUNT_PREFIX + a)
        try:
            # A's server and kernels: A's uid, no capability at all, no way to gain one.
            home_a, home_b = state / "homes" / a, state / "homes" / b
            pids = server_processes(home_a.resolve())
            assert pids, "no process of A's server found"
            for pid in pids:
                status = status_of(pid)
                assert status["Uid"].split() == [str(account.pw_uid)] * 4, (pid, status["Uid"])
                assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == "0000000000000000"
                assert status["NoNewPrivs"] == "1"
            ps = ["ps", "-o", "user=", "-p", ",".join(map(str, pids))]
            users = subprocess.run(ps, capture_output=True, text=True)
            assert set(users.stdout.split()) == {account.pw_name}
            # Its home: its own, 0700; B's likewise B's.
            for name, home in ((a, home_a), (b, home_b)):
                info = home.stat()
                assert info.st_uid == pwd.getpwnam(ACCOUNT_PREFIX + name).pw_uid and info.st_mode & 0o777 == 0o700

            # From A's own kernel, through the hub API with A's token.
            targets = [
                str(home_b),
                str(home_b / ".jupyter"),
                str(SOURCE),
                str(state),
                str(state / "jupyterhub.sqlite"),
                str(state / "people.sqlite"),
                "/root",
            ]
            assert any(SOURCE.iterdir()) and (state / "jupyterhub.sqlite").is_file()
            code = f"PATHS = {targets!r}\n{TRY_READING}"
            result = learners[a].execute(a, code)
            assert result.error is None, result
            tried = json.loads(result.stdout.strip().splitlines()[-1])
            # (the source folder is readable to everyone on the host; in A's view an empty tmpfs covers it)
            assert set(tried.values()) == {"PermissionError"}, tried
            # ... while A's own home is A's to use; stock Mininet's runtime says it needs root.
            mine = learners[a].execute(a, OWN_HOME_AND_MININET)
            assert mine.error is None and "mine.txt" in mine.stdout, mine
            assert "Mininet must run as root" in mine.stdout, mine

            # A lab in A's server: built rootless, pings without loss, its nodes reach A's home,
            # and a capture on a node lands there.
            lab = learners[a].execute(a, LAB, timeout=300)
            assert lab.error is None and "ROOTLESS True LOSS 0.0" in lab.stdout, lab
            assert "NODE WROTE 0 from-h1 True" in lab.stdout and "CAPTURED 2" in lab.stdout, lab

            # Stopping A's server leaves no process of A's account.
            learners[a].stop_server(a)
            deadline = time.monotonic() + 10
            while system_accounts.processes_of(account.pw_uid) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert system_accounts.processes_of(account.pw_uid) == []
            assert server_processes(home_b.resolve()), "B's server must keep running"

            # B's server killed outright while a lab of it runs: once the hub stops it (the hub then
            # skips the spawner's stop, the server being dead), nothing of B's account is left.
            account_b = pwd.getpwnam(ACCOUNT_PREFIX + b)
            running = run_in_kept_kernel(learners[b], b, KEPT_LAB)
            assert "UP 3" in running.stdout, running
            assert len(lab_records(state, b)) == 1
            server = [p for p in server_processes(home_b.resolve()) if "jupyterhub-singleuser" in cmdline(p)]
            assert len(server) == 1, server
            os.kill(server[0], signal.SIGKILL)
            learners[b].stop_server(b)
            deadline = time.monotonic() + 10
            left = lambda: (system_accounts.processes_of(account_b.pw_uid), lab_records(state, b))  # noqa: E731
            while any(left()) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert left() == ([], [])
        finally:
            end_all_of(LEARNERS)

    # A process of A's account that no server of the hub's accounts for (a spawn the hub crashed
    # in; detached, as a server's processes are): the restarted hub ends it before serving anyone,
    # and its log names nobody.
    ids = [f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
    try:
        # setpriv becomes the account first, so the detached sleep is the account's when this returns
        subprocess.run(["setpriv", *ids, "setsid", "-f", "sleep", "600"], check=True)
        assert system_accounts.processes_of(account.pw_uid)
        with running_hub(tmp_path, site_config(state)) as (url, proc, log):
            assert system_accounts.processes_of(account.pw_uid) == []
            (said,) = [line for line in log.read_text().splitlines() if "Ended" in line and "leftover" in line]
            assert "Ended 1 leftover learner account(s)' processes" in said and a not in said, said
    finally:
        end_all_of(LEARNERS)


def end_all_of(names) -> None:
    for name in names:
        try:
            system_accounts.end_processes_of(pwd.getpwnam(ACCOUNT_PREFIX + name))
        except KeyError:  # never created: the server did not start
            pass
