"""Results as HTML the canvas shows: a loss heatmap and throughput bars (no plotting library)."""

from __future__ import annotations

import html

import pandas as pd


def _loss_colour(loss: float | None) -> str:
    """Blue (0 % loss) to vermilion (100 %): a scale that colour-blind eyes also read."""
    if loss is None or pd.isna(loss):
        return "#f6f8fa"
    f = min(max(float(loss), 0.0), 100.0) / 100
    low, high = (0, 114, 178), (213, 94, 0)
    return "rgb({},{},{})".format(*(round(a + (b - a) * f) for a, b in zip(low, high, strict=True)))


def loss_heatmap(matrix: pd.DataFrame, title: str, css: str = "mnss-heatmap") -> str:
    """A src x dst table coloured from green (0 % loss) to red (100 %)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in matrix.columns)
    rows = []
    for src, values in matrix.iterrows():
        cells = "".join(
            f'<td class="mnss-loss" data-src="{html.escape(str(src))}" data-dst="{html.escape(str(dst))}" '
            f'style="background:{_loss_colour(v)};color:#fff;text-align:center">{"" if pd.isna(v) else f"{v:g}"}</td>'
            for dst, v in values.items()
        )
        rows.append(f"<tr><th>{html.escape(str(src))}</th>{cells}</tr>")
    return (
        f'<div class="{css}"><b>{html.escape(title)}</b><table style="border-collapse:collapse">'
        f"<tr><th></th>{head}</tr>{''.join(rows)}</table></div>"
    )


def throughput_bars(results: pd.DataFrame, caption) -> str:
    """One horizontal bar per iperf result, scaled to the largest."""
    top = max(results.mbps_received.max(), 1e-9)
    bars = []
    for row in results.itertuples():
        width = max(2, int(300 * row.mbps_received / top))
        text = html.escape(caption(src=row.src, dst=row.dst, mbps=row.mbps_received))
        bars.append(
            f'<div class="mnss-throughput"><div style="display:inline-block;width:{width}px;height:12px;'
            f'background:#4c78a8"></div> {text}</div>'
        )
    return "".join(bars)
