"""The canvas driving a real emulation (no browser): run, measure, fault, capture, stop."""

import subprocess
import time

import pytest

from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.templates import linear

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]


def click(canvas, css_class):
    boxes = [canvas.toolbar, canvas.runbar, canvas.cmdbar, canvas.panel]
    for widget in (w for box in boxes for child in box.children for w in (child, *getattr(child, "children", ()))):
        if css_class in widget._dom_classes:
            widget.click()
            return
    raise LookupError(css_class)


def test_canvas_runs_measures_faults_captures_and_stops(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # captures/ is written next to the notebook
    canvas = TopologyCanvas(linear(2), language="en")
    try:
        exercise(canvas)
    finally:
        canvas.stop()


def exercise(canvas):
    click(canvas, "mnss-run")
    assert "Network running" in canvas.message.value, canvas.message.value
    assert {n.classes for n in canvas.graph.graph.nodes} == {"up"}
    click(canvas, "mnss-run")
    assert "already running (4 nodes)" in canvas.message.value

    click(canvas, "mnss-ping-all")
    assert (canvas.last_pings.loss_pct == 0).all()
    assert "2/2 pairs reachable" in canvas.message.value

    canvas.iperf_from.value, canvas.iperf_to.value = "h1", "h2"
    click(canvas, "mnss-iperf")

    canvas._on_edge_tap({"data": {"source": "s1", "target": "s2"}})
    click(canvas, "mnss-link-down")
    edge = next(e for e in canvas.graph.graph.edges if {e.data["source"], e.data["target"]} == {"s1", "s2"})
    assert edge.classes == "down" and "Fault injected: link s1 — s2 down" in canvas.message.value
    assert "out of date" in canvas.stale_note.value, "the 0 % loss measured before the fault is stale"
    assert (canvas.ping_all().loss_pct == 100).all()
    assert canvas.stale_note.value == ""
    click(canvas, "mnss-link-up")
    assert "out of date" in canvas.stale_note.value
    assert edge.classes == "up" and (canvas.ping_all().loss_pct == 0).all()

    canvas._on_node_tap({"data": {"id": "h2"}})
    path = canvas.capture("h2", seconds=0.5)
    assert path.exists() and path.suffix == ".pcap"
    assert subprocess.run(["tcpdump", "-nr", str(path)], capture_output=True).returncode == 0

    result = canvas.cmd("h1", "ip -4 -o addr show h1-eth0")
    assert canvas.lab.address("h1") in result.stdout

    click(canvas, "mnss-stop")
    assert "Network stopped" in canvas.message.value and not canvas.lab.running
    assert {n.classes for n in canvas.graph.graph.nodes} == {""}


@pytest.mark.slow
def test_ping_all_on_the_campus_groups_by_switch_and_drills_down(tmp_path, monkeypatch):
    """The 60-node campus in a real emulation: the canvas groups the results of every pair of its
    end nodes by access switch; one group pair opens its hosts."""
    monkeypatch.chdir(tmp_path)
    canvas = TopologyCanvas("hospital-campus", language="zh-CN")
    try:
        canvas.run()
        started = time.perf_counter()
        pings = canvas.ping_all()
        seconds = time.perf_counter() - started
        canvas.select_block("b1d1", "b2d2")
        detail = canvas.drill_detail.value
    finally:
        canvas.stop()
    hosts = pings.src.nunique()
    assert hosts > 40 and len(pings) == hosts * (hosts - 1)
    clinical = pings[pings.src.str.startswith("b1d1") & pings.dst.str.startswith("b2d2")]
    assert len(clinical) == 36 and (clinical.loss_pct == 0).all()
    assert canvas.drill.layout.display == "flex"
    assert list(canvas.drill_from.options) == sorted(set(canvas._groups[h] for h in pings.src))
    assert "b1d1w1" in detail and "b2d2m1" in detail and "b2d1w1" not in detail
    print(f"ping all on {hosts} hosts through the canvas: {seconds:.1f} s")
