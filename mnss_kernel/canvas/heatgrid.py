"""The aggregated loss table (group by group) as a grid of buttons on the heatmap's colour scale.

An SVG cell cannot call back into the kernel; a button can, from a click or from the keyboard
(Tab to it, Enter), so one cell opens the host-by-host matrix behind it without any frontend code.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import pandas as pd

from .render import _loss_colour, _text_colour

CELL_WIDTH, CELL_HEIGHT = 40, 26


def loss_grid(matrix: pd.DataFrame, pick: Callable[[str, str], None], tip: Callable[..., str]) -> w.GridBox:
    """One button per (source group, destination group), coloured by its mean loss, showing the
    value; `pick(src, dst)` runs on a click. `tip(src=, dst=, loss=)` is the hover text."""
    cols = [str(c) for c in matrix.columns]
    cells: list[w.Widget] = [w.HTML("")]
    for name in cols:
        cells.append(
            w.HTML(
                f'<div style="writing-mode:vertical-rl;transform:rotate(180deg);font-size:11px;'
                f'line-height:{CELL_WIDTH}px;text-align:left">{html.escape(name)}</div>'
            )
        )
    for src, values in matrix.iterrows():
        name = html.escape(str(src))
        cells.append(w.HTML(f'<div style="font-size:11px;text-align:right;padding-right:4px">{name}</div>'))
        for dst, loss in values.items():
            missing = pd.isna(loss)
            button = w.Button(
                description="" if missing else f"{loss:g}",
                tooltip=tip(src=src, dst=dst, loss="-" if missing else f"{loss:g}"),
                layout=w.Layout(width=f"{CELL_WIDTH}px", height=f"{CELL_HEIGHT}px", padding="0", margin="0"),
                style={
                    "button_color": _loss_colour(None if missing else loss),
                    "text_color": "#1f2328" if missing else _text_colour(loss),
                    "font_size": "10px",
                },
            )
            button.add_class("mnss-group-cell")
            button.on_click(lambda _b, s=str(src), d=str(dst): pick(s, d))
            cells.append(button)
    return w.GridBox(
        cells,
        layout=w.Layout(grid_template_columns=f"auto repeat({len(cols)}, {CELL_WIDTH}px)", grid_gap="1px"),
    )


def close_all(widget: w.Widget) -> None:
    """Close a grid and its cells (their comms), before a new result replaces it."""
    for child in getattr(widget, "children", ()):
        close_all(child)
    widget.close()
