"""The canvas driving a real emulation (no browser): run, measure, fault, capture, stop."""

import subprocess

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

    click(canvas, "mnss-ping-all")
    assert (canvas.last_pings.loss_pct == 0).all()
    assert "2/2 pairs reachable" in canvas.message.value

    canvas.iperf_from.value, canvas.iperf_to.value = "h1", "h2"
    click(canvas, "mnss-iperf")

    canvas._on_edge_tap({"data": {"source": "s1", "target": "s2"}})
    click(canvas, "mnss-link-down")
    edge = next(e for e in canvas.graph.graph.edges if {e.data["source"], e.data["target"]} == {"s1", "s2"})
    assert edge.classes == "down"
    assert (canvas.ping_all().loss_pct == 100).all()
    click(canvas, "mnss-link-up")
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
