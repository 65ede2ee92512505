"""Ping results at scale: hosts grouped by the switch they hang off, by building, by subnet or by
VLAN, loss summed up per group pair.

A 46-host campus gives a 46 x 46 matrix; grouped by access switch it is a table of a dozen rows
that says where the loss is, and one group pair opens the hosts behind it.
"""

from __future__ import annotations

import pandas as pd

from ..catalog import role
from ..topology import Topology
from ..topology.plan import plan
from .groups import buildings

DETAIL_LIMIT = 12  # up to this many sources the full host matrix is shown at once


def host_groups(topo: Topology) -> dict[str, str]:
    """Each node -> the switch it is linked to (the first, by link order), or itself without one."""
    switches = {n.name for n in topo.nodes if role(n.kind) == "switch"}
    groups = {}
    for node in topo.nodes:
        ends = (end for link in topo.links_of(node.name) for end in link.ends() if end != node.name)
        groups[node.name] = node.name if node.name in switches else next((e for e in ends if e in switches), node.name)
    return groups


def building_groups(topo: Topology) -> dict[str, str]:
    """Like `host_groups`, but every node of a building (see groups.buildings) -> its router."""
    return host_groups(topo) | buildings(topo)


def subnet_groups(topo: Topology) -> dict[str, str]:
    """Each node -> the subnet of the address Ping all pings it at (its first, as the engine plans
    it: `Plan.address`), e.g. "10.1.1.0/24"; a node without an address -> itself."""
    planned = plan(topo)
    groups = {}
    for node in topo.nodes:
        ip = next((i.ip for i in planned.interfaces.get(node.name, []) if i.ip is not None), None)
        groups[node.name] = str(ip.network) if ip is not None else node.name
    return groups


def vlan_groups(topo: Topology) -> dict[str, str]:
    """Each node -> "VLAN n" of the switch port it is plugged into (its first such link, as the
    engine plans the ports: untagged ports are in VLAN 1); a node on no switch port -> itself."""
    planned = plan(topo)
    ports = {(i.node, i.name): i.vlan for ifs in planned.interfaces.values() for i in ifs if i.vlan is not None}
    groups = {}
    for node in topo.nodes:
        vlans = (ports.get((i.peer_node, i.peer_name)) for i in planned.interfaces.get(node.name, []))
        vlan = next((v for v in vlans if v is not None), None)
        groups[node.name] = f"VLAN {vlan}" if vlan is not None else node.name
    return groups


GROUPINGS = {"switch": host_groups, "building": building_groups, "subnet": subnet_groups, "vlan": vlan_groups}


def group_loss(pings: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """Mean loss (%) from every source group to every destination group."""
    grouped = pings.assign(
        src_group=pings.src.map(lambda n: groups.get(n, n)), dst_group=pings.dst.map(lambda n: groups.get(n, n))
    )
    return grouped.pivot_table(index="src_group", columns="dst_group", values="loss_pct", aggfunc="mean").round(1)


def block(pings: pd.DataFrame, groups: dict[str, str], src_group: str, dst_group: str) -> pd.DataFrame:
    """The host-by-host loss matrix between two groups (the drill-down of one aggregated cell)."""
    inside = pings[
        pings.src.map(lambda n: groups.get(n, n) == src_group) & pings.dst.map(lambda n: groups.get(n, n) == dst_group)
    ]
    return inside.pivot(index="src", columns="dst", values="loss_pct")
