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


class ViewBox:
    """Maps model positions into the canvas box and back.

    The canvas places nodes itself instead of asking cytoscape to fit them: cytoscape fits once,
    possibly before the box has its final size in the page, and never again. Drawings larger
    than the box are scaled down, smaller ones are centred; a drag is mapped back to the model.
    """

    def __init__(self, width: float, height: float, padding: float = 40):
        self.width, self.height, self.padding = width, height, padding
        self.scale, self.dx, self.dy = 1.0, 0.0, 0.0
        self.fitted = False

    def inside(self, p: dict) -> bool:
        v = self.to_view(p)
        return 0 <= v["x"] <= self.width and 0 <= v["y"] <= self.height

    def fit(self, positions: list[dict]) -> None:
        """Fit the drawing into the box, unless it already shows whole (so nodes do not jump)."""
        if not positions or (self.fitted and all(self.inside(p) for p in positions)):
            return
        self.fitted = True
        xs, ys = [p["x"] for p in positions], [p["y"] for p in positions]
        span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
        room_x, room_y = self.width - 2 * self.padding, self.height - 2 * self.padding
        self.scale = min(1.0, room_x / span_x if span_x else 1.0, room_y / span_y if span_y else 1.0)
        self.dx = self.padding + (room_x - span_x * self.scale) / 2 - min(xs) * self.scale
        self.dy = self.padding + (room_y - span_y * self.scale) / 2 - min(ys) * self.scale

    def to_view(self, p: dict) -> dict:
        return {"x": p["x"] * self.scale + self.dx, "y": p["y"] * self.scale + self.dy}

    def to_model(self, p: dict) -> dict:
        return {"x": (p["x"] - self.dx) / self.scale, "y": (p["y"] - self.dy) / self.scale}
