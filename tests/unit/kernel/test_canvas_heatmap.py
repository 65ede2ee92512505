"""The loss heatmap is an SVG plot drawn from the data: a colour-blind-safe scale with a legend,
readable from a handful of hosts up to a thousand."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from mnss_kernel.canvas.render import CIVIDIS, MISSING, _loss_colour, loss_heatmap

SVG = "{http://www.w3.org/2000/svg}"


def plot(matrix, legend="丢包率 %"):
    page = loss_heatmap(matrix, "标题", legend)
    return page, ET.fromstring(re.search(r"<svg.*</svg>", page, re.S).group(0))


def square(n: int) -> pd.DataFrame:
    names = [f"h{i}" for i in range(n)]
    values = np.arange(n * n, dtype=float).reshape(n, n) % 101
    np.fill_diagonal(values, np.nan)
    return pd.DataFrame(values, index=names, columns=names)


def lightness(colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_scale_is_cividis_and_grows_steadily_lighter():
    shades = [lightness(_loss_colour(v)) for v in range(0, 101, 5)]
    assert shades == sorted(shades) and shades[-1] - shades[0] > 0.6, "readable without telling hues apart"
    assert _loss_colour(0) == "rgb({},{},{})".format(*CIVIDIS[0])
    assert _loss_colour(float("nan")) == MISSING


def test_every_pair_is_a_cell_with_its_colour_value_and_names():
    matrix = square(4)
    page, svg = plot(matrix)
    cells = svg.findall(f".//{SVG}rect[@class='mnss-loss']")
    assert len(cells) == 16
    by_pair = {(c.get("data-src"), c.get("data-dst")): c for c in cells}
    assert by_pair[("h1", "h2")].get("data-loss") == "6" and by_pair[("h1", "h2")].get("fill") == _loss_colour(6)
    assert by_pair[("h2", "h2")].get("data-loss") == "" and by_pair[("h2", "h2")].get("fill") == MISSING
    assert by_pair[("h1", "h2")].find(f"{SVG}title").text == "h1 → h2: 6 %"
    values = [t.text for t in svg.findall(f".//{SVG}text[@class='mnss-loss-value']")]
    assert len(values) == 12 and "6" in values, "small matrices print the values in the cells"
    assert svg.find(f".//{SVG}text[@class='mnss-legend']").text == "丢包率 %"
    assert [s.get("stop-color") for s in svg.findall(f".//{SVG}stop")] == [f"rgb{c}" for c in CIVIDIS]
    assert page.startswith('<div class="mnss-heatmap"><b>标题</b>')


@pytest.mark.parametrize("n", [50, 200])
def test_a_large_matrix_stays_on_screen_with_names_that_do_not_overlap(n):
    _page, svg = plot(square(n))
    cells = svg.findall(f".//{SVG}rect[@class='mnss-loss']")
    assert len(cells) == n * n
    size = float(cells[0].get("width"))
    assert size >= 6 and size * n <= 6000
    rows = sorted(float(t.get("y")) for t in svg.findall(f"{SVG}text[@text-anchor='end']"))
    assert rows and min(b - a for a, b in zip(rows, rows[1:], strict=False)) >= 11, "row names 11 px apart"
    assert not svg.findall(f".//{SVG}text[@class='mnss-loss-value']"), "no numbers crammed into small cells"
