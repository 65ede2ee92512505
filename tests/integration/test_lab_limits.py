"""Per-lab limits on the real kernel: a runaway process-spawner in a node stops at its lab's process
limit while that lab's network, another lab and the caller keep working, and a memory hog in a
node is killed at its lab's memory limit; nothing of either lab is left afterwards.

Three ways a lab is held, each run in a cgroup the test makes as a hard bound (pids and memory far
above the lab's limits, so a limit that did not hold fails the test without harming the machine):
- root: the lab's own cgroup (root is exempt from RLIMIT_NPROC);
- rootless with a delegated cgroup (the bound's folder given to the account, as local mode gives
  each server's to its account): the lab's own cgroup under it, and RLIMIT_NPROC in its user namespace;
- rootless without one (as in a learner container): RLIMIT_NPROC only; no memory limit, and the lab
  says why.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import unprivileged

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(unprivileged.why_not() is not None, reason=str(unprivileged.why_not())),
]

PROBE = str(Path(unprivileged.__file__).with_name("lab_limits_probe.py"))
PROCESSES, MEMORY_MIB, HOG_MIB = 40, 128, 400  # the labs' limits; what the hog asks for
BOUND_PIDS, BOUND_MEMORY = 150, 768 << 20  # the test's hard bound around the whole probe
ROOT = Path("/sys/fs/cgroup")


def _own_v1_folders() -> dict[str, Path]:
    """The test's own cgroup folder in the v1 pids and memory hierarchies (where it may make children)."""
    found = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in set(controllers.split(",")) & {"pids", "memory"}:
            folder = ROOT / controller / path.lstrip("/")
            if (ROOT / controller / "cgroup.procs").is_file() and os.access(folder, os.W_OK):
                found[controller] = folder
    return found


class Bound:
    """A cgroup of the test's own, under its own cgroup, that the probe runs in: its pids.max and
    memory limit hold whatever the labs' limits do not. Given to `owner` for the delegated case."""

    def __init__(self, name: str, owner: pwd.struct_passwd | None):
        self.by_controller = {controller: parent / name for controller, parent in _own_v1_folders().items()}
        self.folders = list(self.by_controller.values())
        for folder in self.folders:
            folder.mkdir()
            if owner is not None:  # delegated: the folder and the files that move processes
                for path in (folder, folder / "cgroup.procs", folder / "tasks"):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
        (self.by_controller["pids"] / "pids.max").write_text(str(BOUND_PIDS))
        memory = self.by_controller["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(BOUND_MEMORY))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            (memory / "memory.memsw.limit_in_bytes").write_text(str(BOUND_MEMORY))

    def command(self, argv: list[str]) -> list[str]:
        """argv started inside the bound (joined as root, before it drops to the account)."""
        join = 'for f in "$0" "$1"; do echo $$ > "$f" || exit 125; done; shift; exec "$@"'
        return ["sh", "-c", join, *(str(f / "cgroup.procs") for f in self.folders), *argv]

    def members(self) -> set[int]:
        return {int(p) for f in self.folders if f.is_dir() for p in f.joinpath("cgroup.procs").read_text().split()}

    def close(self) -> list[str]:
        """End whatever is left in the bound (all the probe's), remove it; returns what was left."""
        left = sorted(str(p) for f in self.folders if f.is_dir() for p in f.rglob("*") if p.is_dir())
        for _ in range(50):
            members = self.members()
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if not members:
                break
            time.sleep(0.1)
        for folder in self.folders:
            for child in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
                child.rmdir()
            folder.rmdir()
        return left


MODES = {
    # mode: (as the unprivileged account, bound delegated to it, processes enforced by, memory by)
    "root": (False, False, "cgroup", "cgroup"),
    "rootless-delegated": (True, True, "cgroup+rlimit", "cgroup"),
    "rootless": (True, False, "rlimit", None),
}


@pytest.fixture(scope="module", params=list(MODES))
def probed(request):
    if set(_own_v1_folders()) != {"pids", "memory"}:
        pytest.skip("the test's hard bound needs writable cgroup v1 pids and memory hierarchies; none here")
    mode = request.param
    as_account, delegated, *_ = MODES[mode]
    account = pwd.getpwnam(unprivileged.ACCOUNT)
    bound = Bound(f"mnss-test-lab-limits-{os.getpid()}-{mode}", account if delegated else None)
    try:
        args = (PROBE, f"ll{os.getpid() % 10000}", str(PROCESSES), str(MEMORY_MIB), str(HOG_MIB))
        if as_account:
            cmd, env = unprivileged.argv(*args), unprivileged.env()
        else:
            cmd, env = [sys.executable, *args], {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
        done = subprocess.run(bound.command(cmd), env=env, cwd="/", capture_output=True, text=True, timeout=180)
        members_after = bound.members()
    finally:
        left = bound.close()
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    return mode, report, members_after, left


def test_a_runaway_spawner_stops_at_its_labs_process_limit_and_the_rest_keeps_working(probed):
    mode, got, members_after, left = probed
    as_account, _, processes_by, _ = MODES[mode]
    assert (got["uid"] != 0) == as_account and got["rootless"] == as_account
    assert got["in_force"]["processes"] == processes_by, got["in_force"]
    assert got["ping_before"] == [0, 0]
    said, errno_name, started = got["spawner"]
    # refused by the lab's limit (the lab's holder and the spawner's own processes count too),
    # far below the bound's 150, which would have stopped a spawner the limit did not
    assert (said, errno_name) == ("REFUSED", "EAGAIN")
    assert PROCESSES - 10 <= int(started) < PROCESSES, got["spawner"]
    assert got["a_while_full"][0] != 0, "lab A's budget is spent: nothing more starts in it"
    assert got["b_while_a_full"] == 0, "lab B has a budget of its own"
    assert got["spawner_exit"] == 0 and got["ping_after_spawner"] == [0, 0]
    # nothing of either lab is left: no holder, no lab cgroup, no process in the bound
    assert got["holders_left"] == [] and got["cgroups_left"] == []
    assert members_after == set() and left == []


def test_a_memory_hog_in_a_node_is_killed_at_its_labs_memory_limit(probed):
    mode, got, _, _ = probed
    memory_by = MODES[mode][3]
    assert got["in_force"]["memory"] == memory_by, got["in_force"]
    if memory_by is None:
        (note,) = got["in_force"]["notes"]
        assert "本实验未设内存上限" in note and "no cgroup delegated" in note
        pytest.skip(f"{mode}: {note}")
    assert got["hog"][0] == 128 + signal.SIGKILL, got["hog"]  # killed, below the bound's 768 MiB
    assert got["holder_alive_after_hog"] and got["ping_after_hog"] == [0, 0]


OWNER_KILLED = """
import json, sys
from mnss_kernel.runtime import Lab
from mnss_kernel.runtime.limits import LabLimits
from mnss_kernel.topology import Topology
pair = {"name": "pair", "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
        "links": [{"a": "h1", "b": "h2"}]}
lab = Lab(Topology.from_dict(pair), owner=sys.argv[1], limits=LabLimits(processes=40, memory=128 << 20)).start()
lab.popen("h1", ["sleep", "300"])
print(json.dumps({"cgroups": lab._cgroup.paths(), "holder": lab.holder_pid}), flush=True)
sys.stdin.readline()
"""


def test_the_labs_cgroup_goes_with_its_holder_when_the_owner_is_killed():
    """kill -9 of the process that built the lab: the holder's outside shell removes the lab's
    cgroup once the lab's last process has gone."""
    if set(_own_v1_folders()) != {"pids", "memory"}:
        pytest.skip("the test's hard bound needs writable cgroup v1 pids and memory hierarchies; none here")
    bound = Bound(f"mnss-test-lab-limits-{os.getpid()}-killed", None)
    try:
        env = {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
        cmd = bound.command([sys.executable, "-c", OWNER_KILLED, f"lk{os.getpid() % 10000}"])
        owner = subprocess.Popen(cmd, env=env, cwd="/", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            lab = json.loads(owner.stdout.readline())
            assert len(lab["cgroups"]) == 2 and all(os.path.isdir(p) for p in lab["cgroups"])
            assert int(Path(lab["cgroups"][0], "pids.current").read_text()) >= 2  # the holder and the sleeper
        finally:
            owner.kill()
            owner.wait(10)
        deadline = time.monotonic() + 10
        while any(os.path.isdir(p) for p in lab["cgroups"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(os.path.isdir(p) for p in lab["cgroups"]), "the lab's cgroup outlived it"
        assert not Path(f"/proc/{lab['holder']}").exists()
    finally:
        assert bound.close() == []
