"""Results the canvas shows: a loss heatmap as an SVG plot, throughput bars and the diagnosis's
suspects, drawn here from the data (the learner image has no plotting library; a few dozen lines of
SVG need none)."""

from __future__ import annotations

import html

import pandas as pd

from ..diagnose import KIND_LABELS
from .layout import label_width

# Cividis (Nuñez, Anderton and Renslow 2018): dark blue to yellow, even in lightness and made
# to read the same for colour-blind eyes; sampled at nine points and interpolated between them.
CIVIDIS = [
    (0, 34, 78),
    (35, 62, 108),
    (87, 92, 109),
    (112, 115, 115),
    (124, 123, 120),
    (165, 156, 116),
    (198, 184, 101),
    (229, 212, 84),
    (253, 234, 69),
]
MISSING = "#eaeef2"  # a node with itself: no measurement
SCALE_ID = "mnss-loss-scale"


def _loss_colour(loss: float | None) -> str:
    """0 % loss dark blue, 100 % yellow, on the cividis scale."""
    if loss is None or pd.isna(loss):
        return MISSING
    f = min(max(float(loss), 0.0), 100.0) / 100 * (len(CIVIDIS) - 1)
    i = min(int(f), len(CIVIDIS) - 2)
    low, high = CIVIDIS[i], CIVIDIS[i + 1]
    return "rgb({},{},{})".format(*(round(a + (b - a) * (f - i)) for a, b in zip(low, high, strict=True)))


def _text_colour(loss: float) -> str:
    return "#1f2328" if loss >= 55 else "#ffffff"


def loss_heatmap(matrix: pd.DataFrame, title: str, legend: str, css: str = "mnss-heatmap") -> str:
    """A src x dst matrix of loss percentages as an SVG plot: one coloured cell per pair (hover
    shows its value), rows and columns named, a colour scale with its legend. Cells shrink with
    the size of the matrix down to 6 px, and names thin out so they never overlap."""
    rows, cols = [str(r) for r in matrix.index], [str(c) for c in matrix.columns]
    cell = max(6.0, min(28.0, 560 / max(len(rows), len(cols), 1)))
    every = max(1, -(-11 // int(cell)))  # label every n-th row/column: 11 px text needs 11 px
    left = 10 + 1.2 * max(map(label_width, rows), default=6)  # label_width is for cytoscape's font
    top = 10 + 1.2 * max(map(label_width, cols), default=6)
    grid_w, grid_h = cell * len(cols), cell * len(rows)
    bar_x, bar_h = left + grid_w + 24, max(grid_h, 120)
    width, height = bar_x + 40 + label_width(legend), top + bar_h + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="sans-serif" font-size="11" role="img" aria-label="{html.escape(title)}">',
        f'<defs><linearGradient id="{SCALE_ID}" x1="0" y1="1" x2="0" y2="0">',
        *(f'<stop offset="{i / (len(CIVIDIS) - 1):.3f}" stop-color="rgb{c}"/>' for i, c in enumerate(CIVIDIS)),
        "</linearGradient></defs>",
    ]
    for j, name in enumerate(cols):
        if j % every == 0:
            x, y = left + (j + 0.5) * cell + 4, top - 6
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate(-90 {x:.1f} {y:.1f})">{html.escape(name)}</text>'
            )
    for i, (src, values) in enumerate(matrix.iterrows()):
        y = top + i * cell
        if i % every == 0:
            out.append(
                f'<text x="{left - 6:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="end">{html.escape(str(src))}</text>'
            )
        for j, (dst, v) in enumerate(values.items()):
            missing = pd.isna(v)
            shown = "" if missing else f"{v:g}"
            tip = f"{src} → {dst}: {shown or '-'} %"
            names = f'data-src="{html.escape(str(src))}" data-dst="{html.escape(str(dst))}"'
            out.append(
                f'<rect class="mnss-loss" {names} data-loss="{shown}" x="{left + j * cell:.1f}" y="{y:.1f}" '
                f'width="{cell:.1f}" height="{cell:.1f}" fill="{_loss_colour(v)}" stroke="#ffffff" stroke-width="0.5">'
                f"<title>{html.escape(tip)}</title></rect>"
            )
            if cell >= 24 and not missing:
                out.append(
                    f'<text class="mnss-loss-value" x="{left + (j + 0.5) * cell:.1f}" y="{y + cell / 2 + 4:.1f}" '
                    f'text-anchor="middle" font-size="10" fill="{_text_colour(v)}">{shown}</text>'
                )
    out.append(f'<rect x="{bar_x:.1f}" y="{top:.1f}" width="14" height="{bar_h:.1f}" fill="url(#{SCALE_ID})"/>')
    for tick in (0, 25, 50, 75, 100):
        y = top + bar_h * (1 - tick / 100)
        out.append(f'<line x1="{bar_x + 14:.1f}" x2="{bar_x + 18:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#57606a"/>')
        out.append(f'<text x="{bar_x + 21:.1f}" y="{y + 4:.1f}">{tick}</text>')
    out.append(f'<text class="mnss-legend" x="{bar_x:.1f}" y="{top - 8:.1f}">{html.escape(legend)}</text></svg>')
    return f'<div class="{css}"><b>{html.escape(title)}</b><div style="overflow:auto">{"".join(out)}</div></div>'


def colour_scale(legend: str, height: float = 120) -> str:
    """The heatmap's colour scale alone (0-100 %, cividis), for a table drawn by other means."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{60 + label_width(legend):.0f}" height="{height + 30:.0f}" '
        f'font-family="sans-serif" font-size="11" class="mnss-scale">',
        f'<defs><linearGradient id="{SCALE_ID}-bar" x1="0" y1="1" x2="0" y2="0">',
        *(f'<stop offset="{i / (len(CIVIDIS) - 1):.3f}" stop-color="rgb{c}"/>' for i, c in enumerate(CIVIDIS)),
        "</linearGradient></defs>",
        f'<text class="mnss-legend" x="0" y="12">{html.escape(legend)}</text>',
        f'<rect x="0" y="20" width="14" height="{height:.0f}" fill="url(#{SCALE_ID}-bar)"/>',
    ]
    for tick in (0, 25, 50, 75, 100):
        y = 20 + height * (1 - tick / 100)
        out.append(f'<line x1="14" x2="18" y1="{y:.1f}" y2="{y:.1f}" stroke="#57606a"/>')
        out.append(f'<text x="21" y="{y + 4:.1f}">{tick}</text>')
    return "".join(out) + "</svg>"


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


def suspects_table(diagnosis, language: str, heading) -> str:
    """The ranked suspects of a diagnosis as an HTML table in `language`: rank, kind, what is
    suspected, score and the evidence it rests on. `heading(code)` gives the column names."""
    i = 1 if language == "zh-CN" else 0  # a suspect's texts are (English, Chinese) pairs
    columns = ("col_rank", "col_kind", "col_suspect", "col_score", "col_evidence")
    nowrap = ("col_rank", "col_kind", "col_score")  # short columns: JupyterLab would wrap "排名"
    style = {
        c: "text-align:left;vertical-align:top;padding:2px 8px" + (";white-space:nowrap" * (c in nowrap))
        for c in columns
    }
    head = "".join(f'<th style="{style[c]}">{html.escape(heading(c))}</th>' for c in columns)
    rows = []
    for rank, suspect in enumerate(diagnosis.suspects, 1):
        evidence = "".join(f"<li>{html.escape(e[i])}</li>" for e in suspect.evidence)
        cells = (
            str(rank),
            html.escape(KIND_LABELS[suspect.kind][i]),
            html.escape(suspect.summary[i]),
            f"{suspect.score:.2f}",
            f'<ul style="margin:0;padding-left:16px">{evidence}</ul>',
        )
        tds = "".join(f'<td style="{style[c]}">{cell}</td>' for c, cell in zip(columns, cells, strict=True))
        rows.append(f'<tr class="mnss-suspect" data-rank="{rank}" data-kind="{html.escape(suspect.kind)}">{tds}</tr>')
    return (
        f'<div class="mnss-diagnosis"><b>{html.escape(heading("suspects_title"))}</b>'
        f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
