"""Render the tutorials' SVG figures to the PNG files the tutorials show.

JupyterLab draws a notebook attachment only in the raster types of its image renderer (PNG, JPEG,
GIF, WebP, BMP), not SVG, so a figure is drawn as SVG (text, diffable) and shipped as PNG beside
it. Run after changing a figure:  .venv/bin/python scripts/render_figures.py [courses/X/tutorials/figures/Y.svg ...]
Uses Playwright with Debian's Chromium (as the browser tests do), at twice the size for sharp text.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def render(svgs: list[Path]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(device_scale_factor=2)
            for svg in svgs:
                page.set_content(f'<body style="margin:0">{svg.read_text("utf-8")}</body>')
                page.locator("svg").first.screenshot(path=str(svg.with_suffix(".png")))
                print(svg.with_suffix(".png").relative_to(ROOT))
        finally:
            browser.close()


if __name__ == "__main__":
    named = [Path(a).resolve() for a in sys.argv[1:]]
    render(named or sorted(ROOT.glob("courses/*/tutorials/figures/*.svg")))
