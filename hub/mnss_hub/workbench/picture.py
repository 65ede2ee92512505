"""A small SVG picture of a topology for the experiment cards, drawn server-side from the same
layout the canvas opens with (its positions, or the canvas's tiers for a template too wide to
read), in the catalog's colours. No labels: at card size they would be unreadable anyway. A
regional network is drawn folded as the canvas opens it: one mark per region (see
mnss_kernel.canvas.groups.regions), so a 10,000-node card is a few dozen shapes, not 20,000."""

from __future__ import annotations

from functools import cache
from html import escape

WIDTH, HEIGHT, PAD = 320, 180, 12
SHAPES = {"round-rectangle": "rect", "diamond": "diamond", "hexagon": "diamond", "barrel": "rect"}


def layout(topo):
    """The topology with the positions the canvas would show it in when opened by name."""
    from mnss_kernel.canvas.layout import fit_scale, place_missing, tiered

    placed = place_missing(topo)
    return tiered(topo) if fit_scale(placed) < 0.5 else placed  # the canvas's READABLE_ZOOM


def svg(topo, title: str = "") -> str:
    """The picture as an SVG document (scaled to fit WIDTH x HEIGHT)."""
    from mnss_kernel.canvas.groups import regions
    from mnss_kernel.catalog import KINDS

    topo = layout(topo)
    folded = regions(topo)  # member -> its region's router, drawn at the middle of the region
    spots: dict[str, list[tuple[float, float]]] = {}
    for n in topo.nodes:
        spots.setdefault(folded.get(n.name, n.name), []).append((n.position["x"], n.position["y"]))
    middle = {name: (sum(x for x, _ in p) / len(p), sum(y for _, y in p) / len(p)) for name, p in spots.items()}
    xs = [x for x, _ in middle.values()] or [0]
    ys = [y for _, y in middle.values()] or [0]
    span_x, span_y = max(max(xs) - min(xs), 1), max(max(ys) - min(ys), 1)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y, 1.5)
    dx = PAD + (WIDTH - 2 * PAD - span_x * scale) / 2 - min(xs) * scale
    dy = PAD + (HEIGHT - 2 * PAD - span_y * scale) / 2 - min(ys) * scale
    at = {name: (x * scale + dx, y * scale + dy) for name, (x, y) in middle.items()}
    r = max(1.5, min(7.0, 14 * scale))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mnss-topology-picture" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    parts.append(f'<g stroke="#9aa5b1" stroke-width="{max(0.4, min(1.5, 3 * scale)):.2f}">')
    drawn = set()
    for link in topo.links:
        a, b = folded.get(link.a, link.a), folded.get(link.b, link.b)
        if a == b or (a, b) in drawn or (b, a) in drawn:
            continue
        drawn.add((a, b))
        (x1, y1), (x2, y2) = at[a], at[b]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
    parts.append("</g><g>")
    for node in topo.nodes:
        if node.name not in at:  # inside a region
            continue
        kind = KINDS.get(node.kind)
        x, y = at[node.name]
        size = 2 * r if node.name in folded else r  # a region: its router's mark, twice as big
        parts.append(
            _mark(SHAPES.get(kind.shape if kind else "", "circle"), x, y, size, kind.colour if kind else "#888")
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _mark(shape: str, x: float, y: float, r: float, colour: str) -> str:
    if shape == "rect":
        box = f'x="{x - r:.1f}" y="{y - r * 0.7:.1f}" width="{2 * r:.1f}" height="{1.4 * r:.1f}"'
        return f'<rect {box} fill="{colour}"/>'
    if shape == "diamond":
        points = f"{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'


@cache
def template_svg(name: str) -> str:
    """The picture of a bundled template, drawn once per hub process."""
    from .catalogue import template_topology

    return svg(template_topology(name), name)


@cache
def experiment_svg(name: str) -> str:
    """The picture of a research catalog experiment's topology (its template with its parameters)."""
    from mnss_kernel import experiments

    return svg(experiments.load(name).topology(), name)
