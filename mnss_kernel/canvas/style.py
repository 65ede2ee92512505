"""Cytoscape style: colour and shape per catalog kind, state shown by classes (up/down).

State colours are blue and vermilion (Okabe-Ito), which stay apart for colour-blind eyes; down
is also shown by a dashed line and a faded node, not by colour alone."""

from __future__ import annotations

import math

# Labels smaller than this on screen are not drawn: unreadable anyway, and at hospital scale
# (the whole campus in view) drawing a thousand of them is most of cytoscape's drawing time.
MIN_SHOWN_FONT = 5


def cytoscape_style() -> list[dict]:
    style = [
        {
            "selector": "node",
            "style": {
                "label": "data(name)",
                "text-valign": "bottom",
                "text-margin-y": 4,
                "font-size": 11,
                "min-zoomed-font-size": MIN_SHOWN_FONT,
                "width": 34,
                "height": 34,
                "border-width": 2,
                "border-color": "#ffffff",
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": 3,
                "line-color": "#9aa7b5",
                "curve-style": "bezier",
                "label": "data(caption)",
                "font-size": 9,
                "min-zoomed-font-size": MIN_SHOWN_FONT,
                "text-rotation": "autorotate",
            },
        },
        {"selector": "node:selected", "style": {"border-color": "#1f6feb", "border-width": 4}},
        {"selector": "edge:selected", "style": {"line-color": "#1f6feb", "width": 5}},
        {"selector": "node.pick", "style": {"border-color": "#f0a202", "border-width": 5}},
        {"selector": "node.up", "style": {"border-color": "#0072b2", "border-width": 4}},
        {
            "selector": "node.down",
            "style": {"opacity": 0.45, "border-color": "#d55e00", "border-width": 4, "border-style": "dashed"},
        },
        {"selector": "edge.up", "style": {"line-color": "#0072b2"}},
        {"selector": "edge.down", "style": {"line-color": "#d55e00", "line-style": "dashed", "width": 4}},
    ]
    # Colour and shape come with each node's data (from the catalog, see to_cytoscape): one rule
    # instead of one per kind, which halves cytoscape's styling time for a thousand nodes.
    style.insert(1, {"selector": "node[colour]", "style": {"background-color": "data(colour)", "shape": "data(shape)"}})
    style += [GROUP_BOX, BUILDING_BOX, REGION_BOX, COLLAPSED_BOX]
    for level, (colour, width) in enumerate(LOAD_LEVELS, start=1):
        style.append({"selector": f"edge.load-{level}", "style": {"line-color": colour, "width": width, "z-index": 9}})
    return style


# A link's load during a throughput test, in four steps of a quarter of its bandwidth (or of the
# busiest link's rate when it has none): Okabe-Ito sky blue, blue, orange, reddish purple, and
# wider at each step, so the steps are told apart by width too (and the caption gives Mbit/s).
LOAD_LEVELS = [("#56b4e9", 5), ("#0072b2", 7), ("#e69f00", 9), ("#cc79a7", 11)]
IDLE_MBPS = 0.5  # below this a link is idle (ARP, pings)


def load_level(mbps: float, capacity: float | None) -> int:
    """0 (idle) to 4 (at or over `capacity`, in Mbit/s)."""
    if mbps < IDLE_MBPS or not capacity:
        return 0
    return min(len(LOAD_LEVELS), max(1, math.ceil(len(LOAD_LEVELS) * mbps / capacity)))


# The box around the hosts of one switch (a compound node): its padding keeps the boxes of two
# neighbouring switches apart, since tiered() leaves 16 px between their outermost hosts.
GROUP_BOX = {
    "selector": 'node[kind = "group"]',
    "style": {
        "shape": "round-rectangle",
        "background-color": "#f6f8fa",
        "border-width": 1,
        "border-style": "dashed",
        "border-color": "#8c959f",
        "padding": 5,
        "text-valign": "top",
        "text-margin-y": -2,
        "font-size": 10,
        "color": "#57606a",
    },
}


# A building (a distribution router, its access switches and their hosts): a solid frame in
# Okabe-Ito blue, so it reads apart from the dashed grey box of one switch's hosts.
BUILDING_BOX = {
    "selector": 'node[kind = "building"]',
    "style": {
        "shape": "round-rectangle",
        "background-color": "#eef5fb",
        "background-opacity": 0.6,
        "border-width": 2,
        "border-color": "#0072b2",
        "padding": 8,
        "text-valign": "top",
        "text-margin-y": -2,
        "font-size": 11,
        "font-weight": "bold",
        "color": "#0b4f7c",
    },
}

# A region (a WAN router and the sites behind it): a heavier frame in Okabe-Ito vermillion, around
# the blue building boxes of its sites.
REGION_BOX = {
    "selector": 'node[kind = "region"]',
    "style": {
        "shape": "round-rectangle",
        "background-color": "#fdf3ec",
        "background-opacity": 0.5,
        "border-width": 3,
        "border-color": "#d55e00",
        "padding": 12,
        "text-valign": "top",
        "text-margin-y": -2,
        "font-size": 12,
        "font-weight": "bold",
        "color": "#8a3d00",
    },
}

# A collapsed box: one node standing for everything in it; a double border says it opens.
COLLAPSED_BOX = {
    "selector": "node.collapsed",
    "style": {
        "shape": "round-rectangle",
        "width": 120,
        "height": 40,
        "border-style": "double",
        "border-width": 5,
        "text-valign": "center",
        "text-wrap": "wrap",
        "text-max-width": 112,
    },
}
