"""Time for a ~300-node hospital template (`--campus-1000`: the 1,076-node campus, laid out in
tiers) to render in JupyterLab (Chromium): the MNSS canvas vs a bare ipycytoscape widget showing
the same elements, in the same run.

Measured in the page: from pressing Shift+Enter until cytoscape holds every node with its final
position and has drawn a frame. Run as root: `.venv/bin/python benchmarks/canvas_render.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.browser import browser_page  # noqa: E402
from tests.support.hubproc import VENV_BIN, free_ports, stop_process_group  # noqa: E402

SETUP = (
    "from mnss_kernel import templates\ntopo = templates.hospital_campus(buildings=3, departments_per_building=4, "
    "hosts_per_department=22)\nprint(len(topo.nodes))"
)
OURS = "from mnss_kernel.canvas import TopologyCanvas\nTopologyCanvas(topo)"
STOCK = (
    "from ipycytoscape import CytoscapeWidget\nfrom mnss_kernel.topology.convert import to_cytoscape\n"
    "from mnss_kernel.canvas.layout import place_missing\n"
    "w = CytoscapeWidget()\nw.graph.add_graph_from_json(to_cytoscape(place_missing(topo)))\n"
    "w.set_layout(name='preset', fit=True)\nw"
)
# The 1,076-node campus: the canvas lays it out in tiers itself and draws hosts in one box per
# switch; stock shows the same positions, with every link.
BIG_SETUP = "from mnss_kernel import templates\ntopo = templates.hospital_campus_1000()\nprint(len(topo.nodes))"
BIG_OURS = "from mnss_kernel.canvas import TopologyCanvas\nTopologyCanvas(topo, arrange=True)"
BIG_STOCK = STOCK.replace("place_missing(topo)", "tiered(topo)").replace("import place_missing", "import tiered")

COUNT_NODES = """() => { let best = 0; for (const el of document.querySelectorAll('div')) {
  if (el._cyreg && el._cyreg.cy) best = Math.max(best, el._cyreg.cy.nodes('[kind != "group"]').length); }
  return best; }"""  # network nodes: the canvas's boxes of hosts (kind "group") are not counted


def notebook(setup: str, code: str) -> dict:
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
        for src in (setup, code)
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def time_render(page, url: str, name: str, visit: int) -> float:
    # a fresh workspace per visit, so JupyterLab does not restore the previous notebook's tab
    page.goto(f"{url}lab/workspaces/bench{visit}/tree/{name}?token=bench")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    page.wait_for_timeout(2000)
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")  # the set-up cell (builds the topology in the kernel)
    page.locator(".jp-OutputArea-output", has_text="").first.wait_for(timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    expected = int(page.locator(".jp-OutputArea-output pre").first.inner_text().strip())
    started = time.perf_counter()
    page.keyboard.press("Shift+Enter")  # the widget cell
    try:
        page.wait_for_function(f"({COUNT_NODES})() >= {expected}", timeout=120_000, polling=20)
    except Exception:
        page.screenshot(path=str(ROOT / "test-artifacts" / f"bench-timeout-{name}.png"))
        print(name, "drew", page.evaluate(f"({COUNT_NODES})()"), "of", expected, file=sys.stderr)
        raise
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--campus-1000", action="store_true", help="the 1,076-node campus instead")
    args = parser.parse_args()
    setup, ours, stock = (BIG_SETUP, BIG_OURS, BIG_STOCK) if args.campus_1000 else (SETUP, OURS, STOCK)
    (port,) = free_ports(1)
    with tempfile.TemporaryDirectory(prefix="mnss-canvas-bench-") as tmp:
        for name, code in (("ours.ipynb", ours), ("stock.ipynb", stock)):
            Path(tmp, name).write_text(json.dumps(notebook(setup, code)))
        server = subprocess.Popen(
            [
                str(VENV_BIN / "jupyter"),
                "lab",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                "--IdentityProvider.token=bench",
                "--allow-root",
            ],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "MNSS_LANG": "en"},
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            for _ in range(120):
                try:
                    if requests.get(url + "api/status?token=bench", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.5)
            times: dict[str, list[float]] = {"ours": [], "stock": []}
            with browser_page(locale="en-US") as page:
                for visit in range(args.rounds):
                    for kind in ("ours", "stock"):
                        times[kind].append(time_render(page, url, f"{kind}.ipynb", visit * 2 + (kind == "stock")))
                        page.goto("about:blank")
        finally:
            stop_process_group(server)
    o, s = statistics.median(times["ours"]), statistics.median(times["stock"])
    size = "1,076-node campus, laid out in tiers" if args.campus_1000 else "~300-node campus template"
    print(f"{size}, render + layout in Chromium (median of {args.rounds})")
    print(f"MNSS canvas: {o:.2f} s (target < 5 s); bare ipycytoscape: {s:.2f} s; ratio ours/stock {o / s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
