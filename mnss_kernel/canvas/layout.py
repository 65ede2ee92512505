"""Positions for nodes: `place_missing` for nodes drawn without one, `tiered` for a whole network
drawn as core, distribution and access tiers. Deterministic, so the same file always opens the
same way."""

from __future__ import annotations

from ..catalog import role
from ..topology import Topology
from .groups import buildings

COLUMN, ROW, BLOCK = 70, 70, 4


def place_missing(topo: Topology) -> Topology:
    """A copy of `topo` where every node has a position; given positions are kept."""
    topo = topo.copy()
    missing = [n for n in topo.nodes if not n.position]
    if not missing:
        return topo
    kinds = {n.name: role(n.kind) for n in topo.nodes}
    switches = [n.name for n in topo.nodes if kinds[n.name] == "switch"]
    routers = [n.name for n in topo.nodes if kinds[n.name] in ("router", "firewall", "nat", "gateway")]
    under: dict[str, list[str]] = {s: [] for s in switches}
    loose: list[str] = []
    for n in topo.nodes:
        if kinds[n.name] in ("switch", "router", "firewall", "nat", "gateway"):
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


NODE_SIZE, CHAR_WIDTH, LABEL_HEIGHT = 34, 6.5, 16  # as drawn by style.py (11 px labels under the node)


def label_width(text: str) -> float:
    """About how wide an 11 px label is drawn: CJK characters are twice as wide as Latin ones."""
    return sum(2 * CHAR_WIDTH if ord(c) >= 0x2E80 else CHAR_WIDTH for c in text)


def node_box(text: str, position: dict) -> tuple[float, float, float, float]:
    """The box a node takes when drawn: its circle and its label `text` under it (left, top, right, bottom)."""
    half = max(NODE_SIZE, label_width(text)) / 2
    x, y = position["x"], position["y"]
    return x - half, y - NODE_SIZE / 2, x + half, y + NODE_SIZE / 2 + LABEL_HEIGHT


def overlaps(topo: Topology) -> list[tuple[str, str]]:
    """Pairs of nodes whose drawn boxes (circle and label) overlap; nodes without a position skipped."""
    boxes = sorted((node_box(n.label or n.name, n.position), n.name) for n in topo.nodes if n.position)
    found = []
    for i, (a, name_a) in enumerate(boxes):
        for b, name_b in boxes[i + 1 :]:
            if b[0] >= a[2]:
                break
            if b[1] < a[3] and a[1] < b[3]:
                found.append((name_a, name_b))
    return found


def fit_scale(topo: Topology, box: tuple[float, float] = (760, 480)) -> float:
    """The zoom at which the whole drawing fits `box` (about 1 or more: readable; 0.2: not)."""
    return _fit_scale([n.position for n in topo.nodes if n.position], box)


def _fit_scale(positions: list[dict], box: tuple[float, float]) -> float:
    xs = [p["x"] for p in positions] or [0]
    ys = [p["y"] for p in positions] or [0]
    return min(box[0] / (max(xs) - min(xs) + COLUMN), box[1] / (max(ys) - min(ys) + ROW))


BUILDING_MARGIN = 16  # room on each side of a building's box, so two boxes never touch


def tiered(topo: Topology, box: tuple[float, float] = (760, 480)) -> Topology:
    """A copy of `topo` in `tree_positions`, with the width of the host blocks that makes the
    drawing largest in `box`; each building (see groups.buildings) gets a margin for its box."""
    margins = {router: BUILDING_MARGIN for router in set(buildings(topo).values())}
    reach = router_reach(topo)  # once, not per block width: a BFS per router is most of the work at 10,000 nodes
    best, best_scale = {}, -1.0
    for block in range(1, 11):
        spots = tree_positions(topo, block, margins, reach)
        scale = _fit_scale(list(spots.values()), box)
        if scale > best_scale + 1e-9:
            best, best_scale = spots, scale
    topo = topo.copy()
    for n in topo.nodes:
        n.position = best[n.name]
    return topo


def _neighbours(topo: Topology) -> dict[str, list[str]]:
    neighbours: dict[str, list[str]] = {n.name: [] for n in topo.nodes}
    for link in topo.links:
        if link.a in neighbours and link.b in neighbours and link.a != link.b:
            neighbours[link.a].append(link.b)
            neighbours[link.b].append(link.a)
    return neighbours


def router_reach(topo: Topology) -> dict[str, int]:
    """Each router, firewall, NAT and tunnel gateway -> hops to the farthest node it reaches."""
    neighbours = _neighbours(topo)
    l3 = ("router", "firewall", "nat", "gateway")
    return {n.name: _eccentricity(n.name, neighbours) for n in topo.nodes if role(n.kind) in l3}


def tree_positions(
    topo: Topology, block: int = 6, margins: dict[str, float] | None = None, reach: dict[str, int] | None = None
) -> dict[str, dict]:
    """Positions for a tree drawing from the core: each tier one row further down, the leaves of
    a node (hosts under their switch) in a block of `block` columns right under it.

    The core is the router in the middle of each connected part (the fewest hops to its farthest
    node; then the best-connected), or without routers the best-connected node; parts sit side by
    side. Columns are as wide as the longest label, so no two node boxes overlap whatever the
    names; `margins` adds room on each side of a node's whole subtree (a building's box); `reach`
    is `router_reach(topo)` when the caller has it already.
    """
    margins = margins or {}
    names = [n.name for n in topo.nodes]
    text = {n.name: n.label or n.name for n in topo.nodes}
    gap = 16
    row = NODE_SIZE + LABEL_HEIGHT + 30
    neighbours = _neighbours(topo)
    order = {n: i for i, n in enumerate(names)}
    reach = router_reach(topo) if reach is None else reach
    rank = {n: (n not in reach, reach.get(n, 0), -len(neighbours[n]), order[n]) for n in names}
    children: dict[str, list[str]] = {n: [] for n in names}
    roots, seen = [], set()
    for start in sorted(names, key=rank.get):
        if start in seen:
            continue
        roots.append(start)
        seen.add(start)
        queue = [start]
        for node in queue:
            for other in sorted(neighbours[node], key=order.get):
                if other not in seen:
                    seen.add(other)
                    children[node].append(other)
                    queue.append(other)
    leaves = {n: [c for c in children[n] if not children[c]] for n in names}
    inner = {n: [c for c in children[n] if children[c]] for n in names}
    width: dict[str, float] = {}
    column = {n: max([COLUMN] + [label_width(text[leaf]) + gap for leaf in leaves[n]]) for n in names}

    def measure(node: str) -> float:
        block_width = min(len(leaves[node]), block) * column[node]
        own = max(COLUMN, label_width(text[node]) + gap)
        width[node] = max(own, block_width, sum(measure(c) for c in inner[node])) + 2 * margins.get(node, 0)
        return width[node]

    def place(node: str, x0: float, y: float) -> None:
        margin = margins.get(node, 0)
        x0, width[node] = x0 + margin, width[node] - 2 * margin
        spot[node] = {"x": round(x0 + width[node] / 2, 1), "y": round(y, 1)}
        mine = leaves[node]
        step = column[node]
        left = x0 + (width[node] - min(len(mine), block) * step) / 2 + step / 2
        for j, leaf in enumerate(mine):
            spot[leaf] = {"x": round(left + (j % block) * step, 1), "y": round(y + row * (1 + j // block), 1)}
        rows = -(-len(mine) // block)
        x = x0 + (width[node] - sum(width[c] for c in inner[node])) / 2
        for child in inner[node]:
            place(child, x, y + row * (1 + rows) + (row / 2 if rows else 0))
            x += width[child] + 2 * margins.get(child, 0)

    spot: dict[str, dict] = {}
    x = 0.0
    for root in roots:
        measure(root)
        place(root, x, 40)
        x += width[root] + 2 * margins.get(root, 0) + COLUMN
    return spot


def _eccentricity(start: str, neighbours: dict[str, list[str]]) -> int:
    """Hops from `start` to the farthest node it reaches."""
    hops, queue = {start: 0}, [start]
    for node in queue:
        for other in neighbours[node]:
            if other not in hops:
                hops[other] = hops[node] + 1
                queue.append(other)
    return max(hops.values())


class ViewBox:
    """Maps model positions into the canvas box and back.

    The canvas places nodes itself instead of asking cytoscape to fit them: cytoscape fits once,
    possibly before the box has its final size in the page, and never again. Drawings larger
    than the box are scaled down, smaller ones are centred; a drag is mapped back to the model.
    """

    def __init__(self, width: float, height: float, padding: float = 40, shrink: bool = True):
        self.width, self.height, self.padding, self.shrink = width, height, padding, shrink
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
        if not self.shrink:  # the caller zooms the whole view instead, so node boxes keep their spacing
            self.scale = 1.0
        self.dx = self.padding + (room_x - span_x * self.scale) / 2 - min(xs) * self.scale
        self.dy = self.padding + (room_y - span_y * self.scale) / 2 - min(ys) * self.scale

    def too_big(self, positions: list[dict]) -> bool:
        """Whether some position falls outside the box as mapped now (the view must zoom out)."""
        return not all(self.inside(p) for p in positions)

    def to_view(self, p: dict) -> dict:
        return {"x": p["x"] * self.scale + self.dx, "y": p["y"] * self.scale + self.dy}

    def to_model(self, p: dict) -> dict:
        return {"x": (p["x"] - self.dx) / self.scale, "y": (p["y"] - self.dy) / self.scale}


def host_blocks(topo: Topology) -> dict[str, str]:
    """Each host, server or device whose only link goes to a switch -> that switch.

    At hospital scale the canvas draws these in one box per switch (a compound node) instead of
    a line per host: the tree reads better, and a thousand fewer link widgets draw much faster."""
    kinds = {n.name: role(n.kind) for n in topo.nodes}
    ends: dict[str, list[str]] = {n: [] for n in kinds}
    for link in topo.links:
        if link.a in ends and link.b in ends:
            ends[link.a].append(link.b)
            ends[link.b].append(link.a)
    inner = ("switch", "router", "firewall", "nat", "gateway")
    return {
        name: others[0]
        for name, others in ends.items()
        if kinds[name] not in inner and len(others) == 1 and kinds[others[0]] == "switch"
    }
