"""Local mode with the hub as root: each learner's server, its kernels and labs share one cgroup
with local.pids_limit and local.mem_limit. A fork bomb in a kernel stops at the process limit and
a process growing past the memory limit is killed, while the hub and another learner's server
keep answering; the cgroup goes when the server stops. The server's cgroup is delegated to its
account: a lab built in the learner's kernel gets a cgroup of its own inside it with the site's
per-lab limits (spawn.lab_pids_limit, spawn.lab_mem_limit), gone with the server too."""

import json
import os
import signal
import time
from pathlib import Path

import pytest

from mnss_hub.server_cgroups import ServerCgroups
from mnss_hub.spawners import ACCOUNT_PREFIX
from tests.integration.test_local_isolation import cmdline, end_all_of, server_processes
from tests.support.hubproc import create_accounts, running_hub, servers_started, site_config

CGROUPS = ServerCgroups()

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="servers under accounts of their own need a hub running as root"),
    pytest.mark.skipif(not CGROUPS.usable, reason="no writable cgroup hierarchy with the pids and memory controllers"),
]

LEARNERS = ("cap-a", "cap-b")
PIDS, MEMORY = 128, "512M"

# A process touching 800 MiB (bytes multiplied out are written, unlike a zero-filled bytearray).
GREEDY = """
import subprocess, sys
done = subprocess.run([sys.executable, "-c", "b = b'x' * (800 << 20); print(len(b))"], capture_output=True)
print("GREEDY", done.returncode)
"""

# Forks small sleepers until refused, says how many it got and exits; the sleepers hold the budget
# until the test ends them. It never forks more than twice the limit, so where the limit did not
# hold, the test fails without harming the machine.
BOMB = f"""
import os
children = 0
try:
    while children < {2 * PIDS}:
        if os.fork() == 0:  # off the pipe the kernel reads to its end, and out of its process group
            os.setsid()
            null = os.open("/dev/null", os.O_WRONLY)
            os.dup2(null, 1), os.dup2(null, 2)
            os.execv("/bin/sleep", ["sleep", "300"])
        children += 1
    print("NOT REFUSED", children)
except OSError as err:
    print("REFUSED", children, err.errno)
"""
FORK_BOMB = f"""
import subprocess, sys
print(subprocess.run([sys.executable, "-c", {BOMB!r}], capture_output=True, text=True).stdout)
"""


LAB_PIDS, LAB_MEMORY = 48, "256M"
# A lab in the learner's kernel, left running until the server stops.
LAB = """
import json
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import Topology
pair = {"name": "pair", "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
        "links": [{"a": "h1", "b": "h2"}]}
lab = Lab(Topology.from_dict(pair)).start()
limits = [int(open(f"{path}/{name}").read()) for path, name in
          zip(lab._cgroup.paths(), ("pids.max", "memory.limit_in_bytes"))]
print("LAB", json.dumps({"in_force": lab.limits_in_force(), "cgroups": lab._cgroup.paths(), "limits": limits,
                         "ping": lab.cmd("h1", "ping -c 1 -W 2 h2").returncode}))
"""


def limit_files(name: str) -> dict[str, str]:
    values = {}
    for folder in CGROUPS.folders(name):
        for control in ("pids.max", "pids.current", "pids.events", "memory.max", "memory.limit_in_bytes"):
            if (folder / control).is_file():
                values[control] = (folder / control).read_text().strip()
    return values


def test_a_learners_server_kernels_and_labs_share_one_limited_cgroup(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    create_accounts(state, LEARNERS)
    a, b = LEARNERS
    name_a = ACCOUNT_PREFIX + a
    config = site_config(
        state,
        local={"pids_limit": PIDS, "mem_limit": MEMORY},
        spawn={"lab_pids_limit": LAB_PIDS, "lab_mem_limit": LAB_MEMORY},
    )
    try:
        with running_hub(tmp_path, config) as (url, proc, log):
            admin, learners = servers_started(url, LEARNERS)

            # A's server and everything it started are in A's cgroup, with the configured limits.
            values = limit_files(name_a)
            assert values["pids.max"] == str(PIDS)
            assert values.get("memory.max", values.get("memory.limit_in_bytes")) == str(512 * 2**20)
            members = set(CGROUPS.members(name_a))
            server = server_processes((state / "homes" / a).resolve())
            assert server and set(server) <= members, (server, members)
            assert not members & set(server_processes((state / "homes" / b).resolve())), "B is in A's cgroup"

            # A lab in A's kernel: a cgroup of its own inside A's, with the site's per-lab limits.
            built = learners[a].execute(a, LAB)
            assert built.error is None and "LAB" in built.stdout, built
            lab = json.loads(built.stdout.split("LAB", 1)[1])
            assert lab["in_force"] == {"processes": "cgroup+rlimit", "memory": "cgroup", "notes": []}, lab
            assert lab["limits"] == [LAB_PIDS, 256 * 2**20] and lab["ping"] == 0
            assert sorted(Path(p).parent for p in lab["cgroups"]) == sorted(CGROUPS.folders(name_a)), lab

            # Memory: the greedy process is killed (SIGKILL by the OOM killer), A's kernel lives on.
            greedy = learners[a].execute(a, GREEDY)
            assert greedy.error is None and "GREEDY -9" in greedy.stdout, greedy

            # Processes: the fork bomb is refused at the limit.
            bomb = learners[a].execute(a, FORK_BOMB)
            assert bomb.error is None and "REFUSED" in bomb.stdout and "NOT" not in bomb.stdout, bomb
            children = int(bomb.stdout.split("REFUSED")[1].split()[0])
            assert PIDS // 2 < children < PIDS, children
            refused = int(limit_files(name_a)["pids.events"].split()[-1])  # "max N": forks refused at pids.max
            assert refused >= 1 and int(limit_files(name_a)["pids.current"]) > children
            # ... while the hub and B's server answer, B forking freely.
            assert admin.user(b)["servers"][""]["ready"]
            other = learners[b].execute(b, "import os; os.fork() or os._exit(0); print('B', 6 * 7)")
            assert other.error is None and "B 42" in other.stdout, other
            sleepers = [p for p in CGROUPS.members(name_a) if cmdline(p).startswith("sleep 300")]
            assert len(sleepers) == children, (len(sleepers), children)
            for pid in sleepers:
                os.kill(pid, signal.SIGKILL)

            # Stopping A's server ends its processes and removes the cgroup; B's stays.
            learners[a].stop_server(a)
            deadline = time.monotonic() + 10
            while CGROUPS.leftovers({name_a}) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert CGROUPS.leftovers({name_a}) == []
            assert CGROUPS.leftovers({ACCOUNT_PREFIX + b}) == [ACCOUNT_PREFIX + b], "B's cgroup must stay"
    finally:
        end_all_of(LEARNERS)
        for name in LEARNERS:
            CGROUPS.remove(ACCOUNT_PREFIX + name)
