"""Live link load on the canvas: while a throughput test runs, each drawn line is coloured and
widened by its Mbit/s (read from the links' byte counters) and captioned with it; cleared after.
The lab and its counters are stand-ins here; Chromium and a real lab in
tests/integration/test_canvas_groups_browser.py."""

import threading

import pandas as pd

from mnss_kernel import measure, templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.style import LOAD_LEVELS, cytoscape_style, load_level
from tests.support.running_lab import RunningLab

PROC_NET_DEV = """Inter-|   Receive                                  |  Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
    lo:    0       0    0    0    0     0          0         0     0       0    0    0    0     0       0          0
s1-eth1: 1500     10    0    0    0     0          0         0  2500      20    0    0    0     0       0          0
"""


def test_proc_net_dev_counts_both_directions():
    assert measure.parse_proc_net_dev(PROC_NET_DEV) == {"lo": 0, "s1-eth1": 4000}


def test_levels_are_quarters_of_the_bandwidth_and_differ_by_width_too():
    assert [load_level(v, 100) for v in (0.1, 10, 30, 60, 99, 250)] == [0, 1, 2, 3, 4, 4]
    assert load_level(50, None) == 0
    widths = [width for _colour, width in LOAD_LEVELS]
    assert widths == sorted(set(widths)), "each step wider than the last"
    rules = {r["selector"]: r["style"] for r in cytoscape_style()}
    assert rules["edge.load-4"]["line-color"] == LOAD_LEVELS[3][0]


def test_links_are_coloured_while_the_throughput_test_runs_and_cleared_after(monkeypatch):
    canvas = TopologyCanvas(templates.linear(3), language="zh-CN")
    canvas.lab = RunningLab(canvas.topology)
    path = {"h1-s1", "s1-s2", "s2-h2"} & {f"{link.a}-{link.b}" for link in canvas.topology.links}
    counted = {f"{link.a}-{link.b}": 0 for link in canvas.topology.links}

    def link_bytes(lab):
        for key in path:
            counted[key] += 6_250_000  # bytes per look: about 100 Mbit/s at a look every 0.5 s
        return dict(counted)

    seen = {}

    def iperf(lab, src, dst, seconds):
        for _ in range(100):  # until the sampler has shown a load, as a real test would be running
            loaded = {k: e.classes for k, e in canvas._edge_widgets.items() if "load-" in e.classes}
            if loaded:
                seen.update(loaded)
                seen["captions"] = [e.data["caption"] for e in canvas._edge_widgets.values()]
                break
            threading.Event().wait(0.05)
        return pd.DataFrame([{"src": src, "dst": dst, "mbps_sent": 1.0, "mbps_received": 1.0}])

    monkeypatch.setattr(measure, "link_bytes", link_bytes)
    monkeypatch.setattr(measure, "iperf", iperf)
    canvas.iperf("h1", "h3")
    drawn = {f"{a}-{b}" for a, b in canvas._edge_widgets}
    assert path and {k for k in seen if k != "captions"} == {canvas._drawn_as[k] for k in path if k in drawn}
    assert all(c.endswith("load-4") for k, c in seen.items() if k != "captions"), "one link, full speed"
    assert any(c.endswith("Mbit/s") for c in seen["captions"]), "the rate is written on the line"
    assert not any("load-" in e.classes for e in canvas._edge_widgets.values()), "cleared after the test"
    assert not any("Mbit/s" in e.data["caption"] for e in canvas._edge_widgets.values())
