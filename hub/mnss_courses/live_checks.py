"""Network checks measured by the trusted grader, in the learner's live network.

For `check_reach(net, A, B, EXPECTED)` the learner's kernel only says where its lab is (the lab's
name and B's address, `mnss_kernel.grading.where`). The grader then finds the lab itself: the
holder process with that name must be a descendant of the box's own process and run as the box's
uid, and each node's network namespace, opened through the holder, must be owned by the holder's
user namespace or one below it, so a learner cannot point the grader at another process or at the
machine's own network. The grader checks that B's address is on B and not on A, then pings from
A's namespace with the machine's own `fping` (it enters the network namespace only, never the
box's mounts), so nothing the learner's Python does can change what is measured. For
`check_recovers` the grader also pulls the cable itself first: both ends of the link go down.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
from contextlib import ExitStack
from pathlib import Path

from mnss_kernel.measure import parse_fping
from mnss_kernel.runtime import holder, registry

NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE = 0xB701, 0xB702, 0xB703  # linux/nsfs.h
CLONE_NEWNET = 0x40000000
LAB_NAME = re.compile(r"[a-z0-9]{1,12}-[0-9a-f]{1,32}")
NODE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
COUNT, TIMEOUT_MS = 3, 1000  # as the engine's own reachability checks (grading.LiveNetwork)


class LiveCheckError(Exception):
    """The lab cannot be measured as the kernel described it; the message says why."""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            tree.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    return tree


def descendants(root: int) -> list[int]:
    """Every process below `root` (the box's own process: all of the box is below it)."""
    tree, found, todo = _children(), [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _real_uid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def find_holder(box_pid: int, uid: int, lab: str) -> int:
    """The pid of the holder of `lab` inside the box: exactly one, run as the box's uid."""
    found = []
    for pid in descendants(box_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if holder.named(argv) == lab and _real_uid(pid) == uid:
            found.append(pid)
    if len(found) != 1:
        raise LiveCheckError(f"{'no' if not found else 'more than one'} running lab named {lab} in the box")
    return found[0]


def _owned_below(ns_fd: int, userns_ino: int) -> bool:
    """Whether the namespace's owning user namespace is `userns_ino` or lies below it."""
    current = fcntl.ioctl(ns_fd, NS_GET_USERNS)
    try:
        while True:
            if os.fstat(current).st_ino == userns_ino:
                return True
            try:
                parent = fcntl.ioctl(current, NS_GET_PARENT)
            except OSError:  # the top, or outside what this process may see
                return False
            os.close(current)
            current = parent
    finally:
        os.close(current)


def open_netns(holder_pid: int, lab: str, node: str) -> int:
    """An fd of `node`'s network namespace in the holder's lab, checked to belong to the box."""
    if not NODE_NAME.fullmatch(node):
        raise LiveCheckError(f"not a node name: {node!r}")
    path = f"/proc/{holder_pid}/root/run/netns/{registry.PREFIX}-{lab}-{node}"
    try:
        userns_ino = os.stat(f"/proc/{holder_pid}/ns/user").st_ino
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        raise LiveCheckError(f"the lab has no node {node} running") from None
    try:
        if fcntl.ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET or not _owned_below(fd, userns_ino):
            raise LiveCheckError(f"node {node}'s namespace is not one of the box's own networks")
    except OSError:
        os.close(fd)
        raise LiveCheckError(f"node {node}'s namespace is not a network namespace") from None
    except LiveCheckError:
        os.close(fd)
        raise
    return fd


def _inside(
    net_fd: int, argv: list[str], enter_user: bool, more_fds: tuple[int, ...] = (), env: dict | None = None
) -> subprocess.CompletedProcess:
    """`argv` run from the grader's own files, in that network namespace (and, for a grader that
    is not root on the host, the user namespace that owns it, where it is root). `more_fds` are
    passed on to it."""
    with ExitStack() as stack:
        fds = [net_fd, *more_fds]
        prefix = ["nsenter"]
        if enter_user:
            user_fd = fcntl.ioctl(net_fd, NS_GET_USERNS)
            stack.callback(os.close, user_fd)
            fds.append(user_fd)
            prefix += [f"--user=/proc/self/fd/{user_fd}", "--preserve-credentials"]
        prefix.append(f"--net=/proc/self/fd/{net_fd}")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", **(env or {})}
        return subprocess.run(
            [*prefix, *argv], pass_fds=fds, capture_output=True, text=True, env=env, timeout=60, check=False
        )


def addresses(net_fd: int, enter_user: bool) -> set[str]:
    """The IPv4 addresses on the namespace's interfaces (loopback excepted)."""
    done = _inside(net_fd, ["ip", "-j", "-4", "addr", "show"], enter_user)
    if done.returncode != 0:
        raise LiveCheckError(f"cannot read the node's addresses: {done.stderr.strip()[:200]}")
    return {
        info["local"]
        for link in json.loads(done.stdout or "[]")
        if link.get("ifname") != "lo"
        for info in link.get("addr_info", [])
        if "local" in info
    }


def _links(net_fd: int, enter_user: bool) -> list[dict]:
    done = _inside(net_fd, ["ip", "-j", "link", "show"], enter_user)
    if done.returncode != 0:
        raise LiveCheckError(f"cannot read the node's interfaces: {done.stderr.strip()[:200]}")
    return json.loads(done.stdout or "[]")


def cut(holder_pid: int, lab: str, ends: tuple[str, str], enter_user: bool) -> None:
    """Take the link between the two nodes down at both ends, as a cable pulled: each veth of one
    whose peer (in another namespace) is a veth of the other pointing back at it."""
    x, y = ends
    with ExitStack() as stack:
        fd_x = open_netns(holder_pid, lab, x)
        stack.callback(os.close, fd_x)
        fd_y = open_netns(holder_pid, lab, y)
        stack.callback(os.close, fd_y)
        on_x, on_y = _links(fd_x, enter_user), _links(fd_y, enter_user)
        pairs = [
            (i["ifname"], j["ifname"])
            for i in on_x
            for j in on_y
            if "link_netnsid" in i
            and "link_netnsid" in j
            and i.get("link_index") == j["ifindex"]
            and j.get("link_index") == i["ifindex"]
        ]
        if not pairs:
            raise LiveCheckError(f"no link between {x} and {y}")
        for fd, names in ((fd_x, [p[0] for p in pairs]), (fd_y, [p[1] for p in pairs])):
            for name in names:
                done = _inside(fd, ["ip", "link", "set", "dev", name, "down"], enter_user)
                if done.returncode != 0:
                    raise LiveCheckError(f"cannot take {name} down: {done.stderr.strip()[:200]}")


def locate(box_pid: int, uid: int, where: object) -> tuple[int, str, str]:
    """(holder pid, lab name, address) from the kernel's [lab name, address], the holder found
    in the box; raises LiveCheckError when the report is not that."""
    if not (
        isinstance(where, list) and len(where) == 2 and all(isinstance(w, str) for w in where)
    ) or not LAB_NAME.fullmatch(where[0]):
        raise LiveCheckError("the kernel did not say where its lab is")
    lab, address = where
    return find_holder(box_pid, uid, lab), lab, address


def open_pair(stack: ExitStack, holder_pid: int, lab: str, a: str, b: str, address: str, enter_user: bool):
    """fds of a's and b's namespaces (closed with `stack`), two namespaces, `address` on b alone."""
    fd_a = open_netns(holder_pid, lab, a)
    stack.callback(os.close, fd_a)
    fd_b = open_netns(holder_pid, lab, b)
    stack.callback(os.close, fd_b)
    if os.fstat(fd_a).st_ino == os.fstat(fd_b).st_ino:
        raise LiveCheckError(f"{a} and {b} are one network namespace")
    if address not in addresses(fd_b, enter_user) or address in addresses(fd_a, enter_user):
        raise LiveCheckError(f"{address} is not an address of {b} alone")
    return fd_a, fd_b


def loss(holder_pid: int, lab: str, address: str, enter_user: bool, a: str, b: str) -> float:
    """Percentage of pings from `a` to `b` (at `address`) lost, measured by this process."""
    with ExitStack() as stack:
        fd_a, _ = open_pair(stack, holder_pid, lab, a, b, address, enter_user)
        ping = ["fping", "-q", "-C", str(COUNT), "-p", "20", "-i", "1", "-r", "0", "-t", str(TIMEOUT_MS), address]
        done = _inside(fd_a, ping, enter_user)
    sent, received, _rtt = parse_fping(done.stderr + done.stdout).get(address, (0, 0, None))
    if not sent:
        raise LiveCheckError(f"the grader's ping from {a} failed: {(done.stderr or done.stdout).strip()[:200]}")
    return round(100.0 * (sent - received) / sent, 1)


def reach(
    box_pid: int, uid: int, enter_user: bool, where: object, a: str, b: str, cut_first: tuple[str, str] | None = None
) -> float:
    """Percentage of pings from `a` to `b` lost, measured by this process in the box's lab (after
    cutting the link `cut_first`, if given). `where` is the kernel's [lab name, address of b];
    raises LiveCheckError when it does not hold."""
    holder_pid, lab, address = locate(box_pid, uid, where)
    if cut_first:
        cut(holder_pid, lab, cut_first, enter_user)
    return loss(holder_pid, lab, address, enter_user, a, b)
