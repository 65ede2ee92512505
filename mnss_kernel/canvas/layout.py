"""Positions for nodes drawn without one: routers on top, switches below, each switch's hosts
in a small block under it. Deterministic, so the same file always opens the same way."""

from __future__ import annotations

from ..catalog import role
from ..topology import Topology

COLUMN, ROW, BLOCK = 70, 70, 4


def place_missing(topo: Topology) -> Topology:
    """A copy of `topo` where every node has a position; given positions are kept."""
    topo = topo.copy()
    missing = [n for n in topo.nodes if not n.position]
    if not missing:
        return topo
    kinds = {n.name: role(n.kind) for n in topo.nodes}
    switches = [n.name for n in topo.nodes if kinds[n.name] == "switch"]
    routers = [n.name for n in topo.nodes if kinds[n.name] in ("router", "firewall", "nat")]
    under: dict[str, list[str]] = {s: [] for s in switches}
    loose: list[str] = []
    for n in topo.nodes:
        if kinds[n.name] in ("switch", "router", "firewall", "nat"):
            continue
        parent = next((p for link in topo.links_of(n.name) for p in link.ends() if p in under), None)
        (under[parent] if parent else loose).append(n.name)
    spots: dict[str, dict] = {}
    width = max(BLOCK, 1) * COLUMN
    for i, name in enumerate(routers):
        spots[name] = {"x": 60 + i * width, "y": 40}
    for i, switch in enumerate(switches):
        x0 = 60 + i * width
        spots[switch] = {"x": x0 + width / 2 - COLUMN / 2, "y": 40 + 1.6 * ROW}
        for j, host in enumerate(under[switch]):
            spots[host] = {"x": x0 + (j % BLOCK) * COLUMN, "y": 40 + (3 + j // BLOCK) * ROW}
    for j, host in enumerate(loose):
        spots[host] = {"x": 60 + j * COLUMN, "y": 40 + 1.6 * ROW if not switches else 40}
    for n in missing:
        n.position = spots[n.name]
    return topo
