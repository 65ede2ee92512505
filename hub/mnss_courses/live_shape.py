"""The shape of a learner's running lab, read by the trusted grader from the lab's namespaces.

A learner could build a second, easier lab and report that one to the network checks. So a cell
with a hidden `check_shape(NET, SHAPE)` has every lab it measures read first: its nodes (the
network namespaces the lab's holder names, each checked to be the box's own), each node's IPv4
addresses, and its links. A veth names its peer's namespace only by an id local to its own
namespace; the grader asks the kernel which node has that id (`netns_ids.py`, run in the lab),
and accepts a link only when the peer points back. An interface that leads to a namespace that is
not one of the lab's nodes, or a veth whose peer does not point back, is reported; the comparison
with SHAPE is `mnss_kernel.shape.differences`.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from mnss_kernel.runtime import registry

from .live_checks import LiveCheckError, _inside, open_netns

IDS_HELPER = Path(__file__).with_name("netns_ids.py")


def node_names(holder_pid: int, lab: str) -> list[str]:
    """The lab's nodes: the names of its network namespaces in the holder's /run/netns."""
    prefix = f"{registry.PREFIX}-{lab}-"
    try:
        entries = os.listdir(f"/proc/{holder_pid}/root/run/netns")
    except OSError as err:
        raise LiveCheckError(f"cannot list the lab's namespaces: {err.strerror}") from None
    return sorted(e[len(prefix) :] for e in entries if e.startswith(prefix))


def _interfaces(fd: int, enter_user: bool) -> list[dict]:
    done = _inside(fd, ["ip", "-j", "-d", "addr", "show"], enter_user)
    if done.returncode != 0:
        raise LiveCheckError(f"cannot read a node's interfaces: {done.stderr.strip()[:200]}")
    return json.loads(done.stdout or "[]")


def _ids(fds: list[int], enter_user: bool) -> list[dict[str, int]]:
    argv = [sys.executable, "-I", str(IDS_HELPER), *map(str, fds)]
    done = _inside(fds[0], argv, enter_user, tuple(fds[1:]))
    if done.returncode != 0:
        raise LiveCheckError(f"cannot tell the lab's namespaces apart: {done.stderr.strip()[-200:]}")
    return json.loads(done.stdout)


def read(holder_pid: int, lab: str, enter_user: bool) -> tuple[set[str], list[tuple[str, str]], dict, list[str]]:
    """(nodes, links, {node: {"ip/prefix"}}, problems) of the running lab, from its namespaces."""
    names = node_names(holder_pid, lab)
    if not names:
        raise LiveCheckError("the lab has no nodes running")
    with ExitStack() as stack:
        fds = []
        for name in names:
            fds.append(open_netns(holder_pid, lab, name))
            stack.callback(os.close, fds[-1])
        found = {name: _interfaces(fd, enter_user) for name, fd in zip(names, fds, strict=True)}
        ids = _ids(fds, enter_user)  # after the dump: showing a cable gives its peer's namespace an id
    addresses = {
        name: {
            f"{a['local']}/{a['prefixlen']}"
            for i in ifs
            if i.get("ifname") != "lo"
            for a in i.get("addr_info", [])
            if a.get("family") == "inet"
        }
        for name, ifs in found.items()
    }
    links, problems = [], []
    for index, name in enumerate(names):
        for iface in found[name]:
            if "link_netnsid" not in iface:
                if _kind(iface) == "veth":  # both ends in one namespace: a loop, not a cable
                    problems.append(f"{name} has a cable to itself ({iface['ifname']})")
                continue
            peer_index = ids[index].get(str(iface["link_netnsid"]))
            if peer_index is None:
                problems.append(f"{name}'s interface {iface['ifname']} leads outside the lab's nodes")
                continue
            peer = names[peer_index]
            if _kind(iface) != "veth":  # macvlan, ipvlan, ...: it joins the two namespaces all the same
                links.append((name, peer))
                continue
            back = [
                j
                for j in found[peer]
                if j.get("ifindex") == iface.get("link_index") and _kind(j) == "veth" and "link_netnsid" in j
            ]
            if (
                len(back) != 1
                or back[0].get("link_index") != iface.get("ifindex")
                or (ids[peer_index].get(str(back[0]["link_netnsid"])) != index)
            ):
                problems.append(f"{name}'s cable {iface['ifname']} has no peer pointing back at it")
            elif (name, iface["ifindex"]) < (peer, back[0]["ifindex"]):  # each cable once
                links.append((name, peer))
    return set(names), links, addresses, problems


def _kind(iface: dict) -> str:
    return (iface.get("linkinfo") or {}).get("info_kind", "")
