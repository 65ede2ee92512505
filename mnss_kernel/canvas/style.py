"""Cytoscape style: colour and shape per catalog kind, state shown by classes (up/down).

State colours are blue and vermilion (Okabe-Ito), which stay apart for colour-blind eyes; down
is also shown by a dashed line and a faded node, not by colour alone."""

from __future__ import annotations

from ..catalog import KINDS


def cytoscape_style() -> list[dict]:
    style = [
        {
            "selector": "node",
            "style": {
                "label": "data(name)",
                "text-valign": "bottom",
                "text-margin-y": 4,
                "font-size": 11,
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
    for kind in KINDS.values():
        style.append(
            {"selector": f'node[kind = "{kind.name}"]', "style": {"background-color": kind.colour, "shape": kind.shape}}
        )
    return style
