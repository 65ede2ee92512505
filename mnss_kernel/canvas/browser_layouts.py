"""The cytoscape.js layouts the canvas offers besides its own tiers: the three that ipycytoscape
1.3 bundles and registers in the browser (dagre, cola and klay; checked in its JavaScript).

They run in the browser, on the nodes as drawn (boxes included). The options make each one
leave room for a node's label, so node boxes do not overlap (checked in Chromium on the campus,
`tests/integration/test_canvas_groups_browser.py`), and draw at once instead of animating, so
the first frame is the final one."""

from __future__ import annotations

COMMON = {"fit": True, "padding": 30, "animate": False, "nodeDimensionsIncludeLabels": True}

BROWSER_LAYOUTS: dict[str, dict] = {
    # layered, like a network diagram drawn from the core down
    "dagre": {"name": "dagre", "rankDir": "TB", "nodeSep": 24, "rankSep": 70, "edgeSep": 10, **COMMON},
    # force-directed with overlap removal; a fixed seed layout (no randomising) so it opens the same way
    "cola": {
        "name": "cola",
        "avoidOverlap": True,
        "nodeSpacing": 12,
        "randomize": False,
        "maxSimulationTime": 3000,
        **COMMON,
    },
    # layered (Eclipse KLay), top to bottom, with compound nodes laid out inside their box
    "klay": {
        "name": "klay",
        "klay": {"direction": "DOWN", "spacing": 30, "layoutHierarchy": True, "borderSpacing": 20},
        **COMMON,
    },
}


def browser_layout(name: str) -> dict:
    """The cytoscape layout options for `name` (a fresh dict: the widget syncs on assignment)."""
    if name not in BROWSER_LAYOUTS:
        raise KeyError(f"no browser layout {name!r}; choose one of: {', '.join(BROWSER_LAYOUTS)}")
    return {**BROWSER_LAYOUTS[name]}
