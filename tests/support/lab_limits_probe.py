"""Run by tests/integration/test_lab_limits.py (as root or as an unprivileged account, inside a
cgroup the test made as a hard bound): two labs with the same per-lab limits; a runaway
process-spawner in a node of lab A, then a memory hog there; prints what happened as JSON.

    python lab_limits_probe.py OWNER PROCESSES MEMORY_MIB HOG_MIB
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from mnss_kernel.runtime import Lab, holder as holders
from mnss_kernel.runtime.limits import LabLimits
from mnss_kernel.topology import Topology

PAIR = {
    "name": "pair",
    "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}, {"name": "s1", "kind": "switch"}],
    "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}],
}

# Forks sleepers until refused (never more than `cap`), says how many it got, holds them until a
# line arrives on stdin, then ends them and exits.
SPAWNER = """
import errno, os, signal, sys, time
cap, children, said = int(sys.argv[1]), [], "NOT REFUSED"
try:
    while len(children) < cap:
        pid = os.fork()
        if pid == 0:
            time.sleep(300)
            os._exit(0)
        children.append(pid)
except OSError as err:
    said = "REFUSED " + errno.errorcode.get(err.errno, str(err.errno))
print(said, len(children), flush=True)
sys.stdin.readline()
for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in children:
    os.waitpid(pid, 0)
"""


def ping(lab: Lab) -> int:
    return lab.cmd("h1", "ping -c 2 -i 0.2 -W 2 h2", timeout=20).returncode


def main() -> None:
    owner, processes, memory_mib, hog_mib = sys.argv[1], *map(int, sys.argv[2:])
    limits = LabLimits(processes=processes, memory=memory_mib << 20)
    topology = Topology.from_dict(PAIR)
    out: dict = {"uid": os.geteuid()}
    with Lab(topology, owner=f"{owner}a", limits=limits) as a, Lab(topology, owner=f"{owner}b", limits=limits) as b:
        out.update(in_force=a.limits_in_force(), rootless=a.rootless, cgroups=a._cgroup.paths())
        out["holders"] = [a.holder_pid, b.holder_pid]
        out["ping_before"] = [ping(a), ping(b)]
        spawner = a.popen(
            "h1",
            [sys.executable, "-c", SPAWNER, str(4 * processes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        out["spawner"] = spawner.stdout.readline().split()
        full = a.cmd("h1", "true", timeout=20)
        out["a_while_full"] = [full.returncode, full.stderr.strip()[-200:]]
        out["b_while_a_full"] = ping(b)
        spawner.stdin.write("end\n")
        spawner.stdin.close()
        out["spawner_exit"] = spawner.wait(30)
        out["ping_after_spawner"] = [ping(a), ping(b)]
        if out["in_force"]["memory"]:
            hog = a.cmd("h1", f"{sys.executable} -c \"b = b'x' * ({hog_mib} << 20); print(len(b))\"", timeout=60)
            out["hog"] = [hog.returncode, hog.stdout.strip()]
            out["holder_alive_after_hog"] = a._place.alive()
            out["ping_after_hog"] = [ping(a), ping(b)]
    out["holders_left"] = [pid for pid in holders.holders().values() if pid in out["holders"]]
    out["cgroups_left"] = [path for path in out["cgroups"] if os.path.isdir(path)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
