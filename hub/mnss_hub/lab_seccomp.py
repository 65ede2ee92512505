"""The seccomp profile of a learner's container: Docker's default profile plus the three system
calls the rootless engine needs, each narrowed as far as the engine allows.

Why a profile and no capability: the container runs as an ordinary user with no capability.
Docker's default profile refuses unshare/setns/mount to a container without CAP_SYS_ADMIN, so the
engine could not make the user namespace that holds a lab. Allowing those calls gives nothing
outside that namespace: the kernel still asks for CAP_SYS_ADMIN over the namespace being changed,
and the learner has that only in user namespaces of their own (README, "Who is root where").

The base is Docker 20.10's own default (`seccomp/docker-default-20.10.json`, from moby's
profiles/seccomp/default.json, Apache-2.0), kept verbatim so it can be compared with upstream.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DOCKER_DEFAULT = Path(__file__).with_name("seccomp") / "docker-default-20.10.json"

# The namespaces a lab uses: its holder is `unshare --user --net --mount --pid` (runtime/commands.py),
# `ip netns add` makes network namespaces, the engine's private /proc/sys and sysfs views are mount
# namespaces. Not UTS, IPC, cgroup or time namespaces.
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
LAB_NAMESPACES = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
OTHER_FLAGS = 0xFFFFFFFF & ~LAB_NAMESPACES  # any of these set: the rule does not match, so refused


def _only_lab_namespaces(index: int) -> list[dict]:
    """Argument `index` (a flags word) may name no namespace other than the lab's four."""
    return [{"index": index, "value": OTHER_FLAGS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]


# Each addition is the smallest one a lab was seen to need in a container without capabilities
# (tests/integration/test_docker_mode.py); without any one of them building a lab fails.
ADDITIONS = [
    {
        "names": ["unshare"],
        "action": "SCMP_ACT_ALLOW",
        "args": _only_lab_namespaces(0),
        "comment": "mnss-lab: a lab's holder makes its user, network, mount and PID namespaces "
        "(unshare --user --net --mount --pid), ip netns add makes network namespaces, the engine "
        "writes kernel settings from a private mount namespace. Other namespace kinds stay refused.",
    },
    {
        "names": ["setns"],
        "action": "SCMP_ACT_ALLOW",
        "args": _only_lab_namespaces(1),
        "comment": "mnss-lab: every command of a lab enters its namespaces with nsenter "
        "(without it: \"reassociate to namespace 'ns/user' failed\"). Same four kinds only.",
    },
    {
        "names": ["mount"],
        "action": "SCMP_ACT_ALLOW",
        "comment": "mnss-lab: inside the lab's own user namespace: a tmpfs on /run, ip netns's "
        'bind mounts under /run/netns, private propagation (without it: "unshare: cannot change '
        'root filesystem propagation"). Outside it the kernel refuses: no capability.',
    },
]


@cache
def profile() -> dict:
    """Docker's default profile with ADDITIONS appended (a seccomp rule that matches allows)."""
    base = json.loads(DOCKER_DEFAULT.read_text())
    return {**base, "syscalls": [*base["syscalls"], *ADDITIONS]}


@cache
def security_opt() -> str:
    """The `seccomp=<json>` item of HostConfig.SecurityOpt (the API takes the profile itself)."""
    return "seccomp=" + json.dumps(profile(), separators=(",", ":"), sort_keys=True)
