"""From a topology to the exact network to build: interfaces, bridges, subnets, addresses, routes.

Pure computation (no root): the runtime only executes a Plan, and tests and graders can check
what will run before anything runs. Problems found here (address clashes, names too long for
Linux interfaces, an exhausted pool) are reported like any other validation error.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import deque
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from mnss_foundation.problem import Problem

from ..catalog import is_l3, role

IFNAME_MAX = 15
DEFAULT_VLAN = 1
DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")  # where a lab sends what lies beyond it


@dataclass
class Interface:
    node: str
    name: str
    peer_node: str
    peer_name: str
    link_index: int
    vlan: int | None = None  # the VLAN (bridge) this port belongs to, on a switch
    ip: IPv4Interface | None = None
    segment: int | None = None
    # Unique interface index: a veth whose index equals its peer's gets its carrier changes
    # reported to bridges up to a second late, so every end gets a distinct one.
    index: int = 0


@dataclass
class Segment:
    """One broadcast domain: the interfaces that share a subnet."""

    index: int
    members: list[Interface]
    subnet: IPv4Network | None = None


@dataclass
class Plan:
    interfaces: dict[str, list[Interface]] = field(default_factory=dict)
    bridges: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # switch -> vlan -> ports
    segments: list[Segment] = field(default_factory=list)
    gateways: dict[str, IPv4Address] = field(default_factory=dict)
    routes: dict[str, list[tuple[IPv4Network, IPv4Address]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def veth_pairs(self) -> list[tuple[Interface, Interface]]:
        """Each veth pair once, in link order."""
        by_key = {(i.node, i.name): i for ifs in self.interfaces.values() for i in ifs}
        pairs, seen = [], set()
        for ifs in self.interfaces.values():
            for i in ifs:
                if (i.node, i.name) not in seen:
                    peer = by_key[(i.peer_node, i.peer_name)]
                    seen.update({(i.node, i.name), (peer.node, peer.name)})
                    pairs.append((i, peer))
        return sorted(pairs, key=lambda p: (p[0].link_index, p[0].vlan or 0))

    def address(self, node: str) -> IPv4Address | None:
        """The node's first address: what its name resolves to."""
        for i in self.interfaces.get(node, []):
            if i.ip is not None:
                return i.ip.ip
        return None

    def interfaces_of_link(self, link_index: int) -> list[Interface]:
        return [i for ifs in self.interfaces.values() for i in ifs if i.link_index == link_index]


def plan(topo) -> Plan:
    p = Plan()
    kinds = {n.name: n.kind for n in topo.nodes}
    counters = {n.name: (1 if role(n.kind) == "switch" else 0) for n in topo.nodes}
    for n in topo.nodes:
        p.interfaces[n.name] = []
        if role(n.kind) == "switch":
            p.bridges[n.name] = {}

    def new_ifname(node: str) -> str:
        name = f"{node}-eth{counters[node]}"
        counters[node] += 1
        return name

    def ifname(node: str, given: str | None, single: bool) -> str:
        """A name given in the topology (one veth pair per link only), else NODE-ethN like Mininet."""
        automatic = new_ifname(node)  # counted either way, so the other names stay as Mininet gives them
        return given if given and single else automatic

    next_pair = 0
    for index, link in enumerate(topo.links):
        switch_a, switch_b = role(kinds[link.a]) == "switch", role(kinds[link.b]) == "switch"
        vlans = (link.vlans or [DEFAULT_VLAN]) if switch_a and switch_b else [link.vlan or DEFAULT_VLAN]
        single = len(vlans) == 1
        if not single and (link.if_a or link.if_b):
            p.problems.append(
                f"link {link.a}-{link.b}: if_a/if_b: a trunk of several VLANs is one veth pair per "
                "VLAN, named by MNSS; leave the interface names out"
            )
        for vlan in vlans:
            ia = Interface(link.a, ifname(link.a, link.if_a, single), link.b, "", index, vlan if switch_a else None)
            ib = Interface(
                link.b, ifname(link.b, link.if_b, single), link.a, ia.name, index, vlan if switch_b else None
            )
            ia.peer_name = ib.name
            ia.index, ib.index = 2 + 2 * next_pair, 3 + 2 * next_pair  # 1 is lo everywhere
            next_pair += 1
            for iface in (ia, ib):
                p.interfaces[iface.node].append(iface)
                if iface.vlan is not None:
                    p.bridges[iface.node].setdefault(iface.vlan, []).append(iface.name)

    for node, ifs in p.interfaces.items():
        own = {"lo"} | {f"br{vlan}" for vlan in p.bridges.get(node, {})}  # devices MNSS itself makes there
        seen: set[str] = set()
        for i in ifs:
            if i.name in own:
                p.problems.append(
                    f"node {node!r}: interface name {i.name!r} is taken by the node's own device "
                    f"{i.name}; choose another name"
                )
            elif i.name in seen:
                p.problems.append(f"node {node!r}: interface name {i.name!r} is used twice on this node")
            seen.add(i.name)
    for ifs in p.interfaces.values():
        for i in ifs:
            if len(i.name) > IFNAME_MAX:
                longest = max(len(x.name) for x in ifs)
                p.problems.append(
                    f"node {i.node!r}: interface name {i.name!r} would be {len(i.name)} characters, Linux allows "
                    f"{IFNAME_MAX}; shorten the node name to at most {len(i.node) - (longest - IFNAME_MAX)} characters"
                )
                break
    if p.problems:
        return p

    _segments(p, kinds)
    _addresses(p, topo, kinds)
    if not p.problems:
        _gateways(p, topo, kinds)
        _routes(p, topo, kinds)
    return p


def _segments(p: Plan, kinds: dict[str, str]) -> None:
    """Union the interfaces that share a broadcast domain (through bridges of the same VLAN)."""
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x, y):
        parent[find(x)] = find(y)

    for ifs in p.interfaces.values():
        for i in ifs:
            here = ("bridge", i.node, i.vlan) if i.vlan is not None else ("if", i.node, i.name)
            peer = p_iface(p, i.peer_node, i.peer_name)
            there = ("bridge", peer.node, peer.vlan) if peer.vlan is not None else ("if", peer.node, peer.name)
            union(here, there)
    groups: dict = {}
    for ifs in p.interfaces.values():
        for i in ifs:
            if role(kinds[i.node]) != "switch":
                groups.setdefault(find(("if", i.node, i.name)), []).append(i)
    ordered = sorted(groups.values(), key=lambda members: min(m.link_index for m in members))
    for index, members in enumerate(ordered):
        for m in members:
            m.segment = index
        p.segments.append(Segment(index, members))


def p_iface(p: Plan, node: str, name: str) -> Interface:
    return next(i for i in p.interfaces[node] if i.name == name)


def _describe(segment: Segment) -> str:
    nodes = sorted({m.node for m in segment.members})
    shown = ", ".join(nodes[:4]) + (f" and {len(nodes) - 4} more" if len(nodes) > 4 else "")
    return f"the segment of {shown}"


def _addresses(p: Plan, topo, kinds: dict[str, str]) -> None:
    explicit: dict[tuple[str, str], IPv4Interface] = {}
    by_link: dict[int, list[Interface]] = {}  # one pass, not one per addressed link (10,000 nodes)
    for ifs in p.interfaces.values():
        for i in ifs:
            by_link.setdefault(i.link_index, []).append(i)
    for index, link in enumerate(topo.links):
        for end, ip in ((link.a, link.ip_a), (link.b, link.ip_b)):
            if ip:
                for i in by_link.get(index, []):
                    if i.node == end:
                        explicit[(i.node, i.name)] = IPv4Interface(ip)
    for node in topo.nodes:
        if node.ip and p.interfaces[node.name]:
            explicit[(node.name, p.interfaces[node.name][0].name)] = IPv4Interface(node.ip)

    taken: list[tuple[IPv4Network, Segment]] = []
    for seg in p.segments:
        given = [(m, explicit[(m.node, m.name)]) for m in seg.members if (m.node, m.name) in explicit]
        nets = {ip.network for _, ip in given}
        if len(nets) > 1:
            shown = ", ".join(f"{m.node} {ip}" for m, ip in given)
            p.problems.append(
                f"{_describe(seg)}: addresses {shown} are in different subnets; one segment is one subnet"
            )
            continue
        if nets:
            seg.subnet = nets.pop()
            for other_net, other in taken:
                if other_net.overlaps(seg.subnet):
                    p.problems.append(
                        f"{_describe(seg)}: subnet {seg.subnet} overlaps {other_net} of {_describe(other)}"
                    )
            taken.append((seg.subnet, seg))
        for m, ip in given:
            m.ip = ip
    if p.problems:
        return

    pool = IPv4Network(topo.addressing["pool"])
    candidates = pool.subnets(new_prefix=topo.addressing["prefix"])
    for seg in p.segments:
        if seg.subnet is None:
            for net in candidates:
                if not any(net.overlaps(t) for t, _ in taken):
                    seg.subnet = net
                    taken.append((net, seg))
                    break
            else:
                p.problems.append(f"{_describe(seg)}: no free /{topo.addressing['prefix']} left in pool {pool}")
                return
        _fill(p, seg, kinds)


def _fill(p: Plan, seg: Segment, kinds: dict[str, str]) -> None:
    """Routers take the lowest addresses (.1, .2, ...), hosts start at .10 when there is room.

    Addresses are counted, never listed: a /8 has 16 million of them.
    """
    net = seg.subnet
    used = {m.ip.ip for m in seg.members if m.ip}
    need = [m for m in seg.members if m.ip is None]
    edge = 1 if net.prefixlen < 31 else 0  # network and broadcast addresses are not hosts
    size = net.num_addresses - 2 * edge
    if size - len(used) < len(need):
        p.problems.append(
            f"{_describe(seg)}: subnet {net} has room for {size} addresses, {len(used) + len(need)} are needed"
        )
        return
    first = int(net.network_address) + edge

    def free(start: int):
        for k in itertools.chain(range(start, size), range(0, start)):
            ip = IPv4Address(first + k)
            if ip not in used:
                yield ip

    l3 = [m for m in need if is_l3(kinds[m.node])]
    others = [m for m in need if not is_l3(kinds[m.node])]
    low = free(0)
    for m in l3:
        m.ip = IPv4Interface(f"{next(low)}/{net.prefixlen}")
        used.add(m.ip.ip)
    high = free(9 if size - 9 >= len(others) + len(used) else 0)
    for m in others:
        m.ip = IPv4Interface(f"{next(high)}/{net.prefixlen}")
        used.add(m.ip.ip)


def _gateways(p: Plan, topo, kinds: dict[str, str]) -> None:
    for node in topo.nodes:
        if role(node.kind) != "host":
            continue
        mine = p.interfaces[node.name]
        if node.gateway:
            gw = IPv4Address(node.gateway)
            if not any(gw in i.ip.network for i in mine):
                where = f"node {node.name!r}: gateway"
                text = f"{where}: {gw} is not on any subnet of this node"
                p.problems.append(Problem(text, "gateway_off_subnet", where, value=str(gw)))
            p.gateways[node.name] = gw
            continue
        for i in mine:
            routers = sorted((m for m in p.segments[i.segment].members if is_l3(kinds[m.node])), key=lambda m: m.ip.ip)
            if routers:
                p.gateways[node.name] = routers[0].ip.ip
                break


def _routes(p: Plan, topo, kinds: dict[str, str]) -> None:
    explicit = {n.name: [(ipaddress.IPv4Network(r["to"]), IPv4Address(r["via"])) for r in n.routes] for n in topo.nodes}
    for name, routes in explicit.items():
        for net, via in routes:
            if not any(via in i.ip.network for i in p.interfaces[name] if i.ip):
                p.problems.append(f"node {name!r}: route to {net} via {via}: {via} is not on a subnet of this node")
    routers = [n.name for n in topo.nodes if is_l3(n.kind)]
    attached = {r: {i.segment for i in p.interfaces[r]} for r in routers}
    gateway = next((n.name for n in topo.nodes if role(n.kind) == "gateway"), None)
    for r in routers:
        routes = list(explicit[r])
        if topo.routing == "auto":
            routes += _shortest_path_routes(p, r, routers, attached, {net for net, _ in routes}, gateway)
        p.routes[r] = routes
    for node in topo.nodes:
        if not is_l3(node.kind) and explicit[node.name]:
            p.routes[node.name] = explicit[node.name]


def _shortest_path_routes(
    p: Plan, start: str, routers: list[str], attached: dict, have: set, gateway: str | None = None
) -> list:
    """Breadth-first over routers sharing segments; each remote subnet via the first hop, and, in a
    lab with a virtual-real gateway, the default route via the first hop towards it (what lies
    beyond the lab is reached through the gateway, unless a default route is given)."""
    first_hop: dict[str, IPv4Address | None] = {start: None}
    queue, routes, covered = deque([start]), [], set(attached[start])
    while queue:
        here = queue.popleft()
        for seg_index in sorted(attached[here]):
            for m in p.segments[seg_index].members:
                if m.node in attached and m.node not in first_hop:
                    first_hop[m.node] = first_hop[here] or m.ip.ip
                    queue.append(m.node)
        if here != start:
            for seg_index in sorted(attached[here] - covered):
                net = p.segments[seg_index].subnet
                covered.add(seg_index)
                if net not in have:
                    routes.append((net, first_hop[here]))
    if gateway is not None and gateway != start and first_hop.get(gateway) and DEFAULT_ROUTE not in have:
        routes.append((DEFAULT_ROUTE, first_hop[gateway]))
    return routes
