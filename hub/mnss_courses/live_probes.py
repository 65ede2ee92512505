"""Route and service checks measured by the trusted grader inside the learner's lab.

`check_path(NET, a, b, HOPS)`: the grader runs the machine's own traceroute in a's namespace to
b's address (checked to be b's alone) and names each hop by the node that holds the address, as
read from the lab's namespaces (`live_shape.read`), not as the kernel says. `check_service(NET,
client, server, KIND, PORT, EXPECTED)`: the grader runs the engine's probe (`python -m
mnss_kernel.services probe`, from the grader's own files; for `tcp`, a connection only,
`netns_connect.py`) in the client's namespace. The probe
parses what the learner's server answers, so for a grader running as root it runs as the box's
uid, with no capability and no way to gain one.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path

import mnss_kernel
from mnss_kernel import grading
from mnss_kernel.measure import parse_traceroute

from .live_checks import LiveCheckError, _inside, addresses, open_netns, open_pair

ENGINE_ROOT = str(Path(mnss_kernel.__file__).resolve().parents[1])
CONNECT_HELPER = Path(__file__).with_name("netns_connect.py")


def path(holder_pid: int, lab: str, address: str, enter_user: bool, a: str, b: str, owners: dict) -> list[str]:
    """The nodes a packet from a passes to b (silent hops left out; an address no node holds is
    named as it is). `owners`: {address: node} read from the lab."""
    with ExitStack() as stack:
        fd_a, fd_b = open_pair(stack, holder_pid, lab, a, b, address, enter_user)
        _inside(fd_b, ["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"], enter_user)  # b answers every probe
        trace = ["traceroute", "-n", "-q", "1", "-w", "1", "-m", str(grading.TRACE_HOPS), address]
        done = _inside(fd_a, trace, enter_user)
    if done.returncode != 0 and not done.stdout:
        raise LiveCheckError(f"the grader's traceroute from {a} failed: {done.stderr.strip()[:200]}")
    hops = [row["address"] for row in parse_traceroute(done.stdout) if row["address"]]
    return [owners.get(hop, hop) for hop in hops]


def service(
    holder_pid: int, lab: str, address: str, enter_user: bool, client: str, server: str, what: tuple, uid: int
) -> dict:
    """The row of one probe from client to server's address; `what` is (probe kind, port, timeout)."""
    kind, port, timeout = what
    probe = [
        sys.executable,
        *("-m", "mnss_kernel.services", "probe", kind, address, str(int(port))),
        *("--timeout", str(int(timeout))),
    ]
    if kind == "tcp":  # a connection only: the stdlib helper, not the engine's probe package
        probe = [sys.executable, "-I", "-S", str(CONNECT_HELPER), address, str(int(port)), str(int(timeout))]
    if not enter_user:  # root on the host: the probe reads the learner's answers as the box's uid
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]
        probe = [*drop, "--bounding-set=-all", "--inh-caps=-all", *probe]
    env = {"PYTHONPATH": ENGINE_ROOT, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/"}
    with ExitStack() as stack:
        if client == server:  # the service seen from its own node (is it running at all?)
            fd_client = open_netns(holder_pid, lab, server)
            stack.callback(os.close, fd_client)
            if address not in addresses(fd_client, enter_user):
                raise LiveCheckError(f"{address} is not an address of {server}")
        else:
            fd_client, _ = open_pair(stack, holder_pid, lab, client, server, address, enter_user)
        done = _inside(fd_client, probe, enter_user, env=env)
    lines = done.stdout.strip().splitlines()
    try:
        row = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise LiveCheckError(f"the grader's {kind} probe from {client} failed: {done.stderr.strip()[-200:]}") from None
    if not isinstance(row, dict):
        raise LiveCheckError(f"the grader's {kind} probe printed no row")
    return row
