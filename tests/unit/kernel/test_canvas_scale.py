"""The canvas at hospital scale without a browser: tiered layout, view buttons, grouped ping
results with drill-down, stale results, Run on a running lab. The lab is a stand-in here; the
real one is driven in tests/integration/test_canvas_lab.py."""

import pandas as pd
import pytest

from mnss_kernel import measure, templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.layout import fit_scale, host_blocks, overlaps, tiered
from mnss_kernel.canvas.render import _loss_colour
from mnss_kernel.canvas.results import block, group_loss, host_groups
from mnss_kernel.catalog import role
from tests.support.running_lab import RunningLab


@pytest.mark.parametrize("build", [lambda: templates.template_named("hospital-campus"), templates.hospital_campus_1000])
def test_tiered_layout_has_no_overlapping_boxes_and_reads_top_down(build):
    campus = build()
    laid = tiered(campus)
    assert overlaps(laid) == []
    y = {n.name: n.position["y"] for n in laid.nodes}
    core = min(laid.nodes, key=lambda n: n.position["y"])
    assert role(core.kind) == "router"
    for link in laid.links:
        kinds = {end: role(laid.node(end).kind) for end in link.ends()}
        if sorted(kinds.values()) == ["host", "switch"]:
            host, switch = sorted(kinds, key=lambda end: kinds[end])
            assert y[host] > y[switch], f"{host} hangs under {switch}"


def test_the_bundled_campus_opens_arranged_and_readable_but_drawings_keep_their_places(tmp_path):
    campus = templates.template_named("hospital-campus")
    assert fit_scale(campus) < 0.5, "the stored template drawing is too wide to read"
    opened = TopologyCanvas("hospital-campus", language="en").topology
    assert fit_scale(opened) >= 0.5 and overlaps(opened) == []
    campus.save(tmp_path / "mine.yaml")
    mine = TopologyCanvas(str(tmp_path / "mine.yaml"), language="en").topology
    assert [n.position for n in mine.nodes] == [n.position for n in campus.nodes]


def test_arrange_button_is_undoable():
    canvas = TopologyCanvas(templates.template_named("hospital-campus"), language="en")
    before = [n.position for n in canvas.topology.nodes]
    click(canvas, "mnss-arrange")
    assert overlaps(canvas.topology) == [] and [n.position for n in canvas.topology.nodes] != before
    click(canvas, "mnss-undo")
    assert [n.position for n in canvas.topology.nodes] == before


def click(canvas, css_class):
    def walk(widget):
        if css_class in getattr(widget, "_dom_classes", ()):
            return widget
        for child in getattr(widget, "children", ()):
            found = walk(child)
            if found:
                return found
        return None

    walk(canvas).click()


def test_view_buttons_zoom_around_the_middle_fit_and_reset():
    canvas = TopologyCanvas(templates.template_named("hospital-campus"), language="en")
    assert canvas.graph.wheel_sensitivity <= 0.3
    start = canvas.graph.cytoscape_layout
    assert start["name"] == "preset" and start["zoom"] < 1, "a large drawing opens zoomed out to fit"
    click(canvas, "mnss-zoom-in")
    zoomed = canvas.graph.cytoscape_layout
    assert zoomed["zoom"] == pytest.approx(start["zoom"] * 1.25, rel=1e-3)
    centre = lambda lay: (380 - lay["pan"]["x"]) / lay["zoom"]  # noqa: E731 - model x at the middle of the view
    assert centre(zoomed) == pytest.approx(centre(start), abs=1)
    click(canvas, "mnss-zoom-out")
    click(canvas, "mnss-zoom-out")
    assert canvas.graph.cytoscape_layout["zoom"] == pytest.approx(start["zoom"] / 1.25, rel=1e-3)
    click(canvas, "mnss-fit")
    assert canvas.graph.cytoscape_layout == start
    small = TopologyCanvas(language="en")
    small.add_node("host")
    click(small, "mnss-zoom-in")
    click(small, "mnss-reset-view")
    assert small.graph.cytoscape_layout["zoom"] == 1.0


def fake_pings(topo):
    hosts = [n.name for n in topo.nodes if role(n.kind) == "host"]
    rows = [
        {"src": s, "dst": d, "dst_ip": "", "sent": 3, "received": 0 if "b2" in d else 3, "rtt_avg_ms": 0.1}
        for s in hosts
        for d in hosts
        if s != d
    ]
    return pd.DataFrame(rows).assign(loss_pct=lambda t: 100 * (1 - t.received / t.sent))


def test_grouped_ping_results_drill_down_and_go_stale_when_a_fault_changes(monkeypatch):
    canvas = TopologyCanvas("hospital-campus", language="en")
    pings = fake_pings(canvas.topology)
    monkeypatch.setattr(measure, "ping_matrix", lambda lab: pings)
    canvas.lab = RunningLab(canvas.topology)
    click(canvas, "mnss-ping-all")
    assert canvas.last_pings is pings, "the whole DataFrame is kept and returned"
    assert canvas.drill.layout.display == "flex"
    groups = host_groups(canvas.topology)
    table = group_loss(pings, groups)
    assert len(table) < 20 and table.loc["b1d1", "b2d1"] == 100 and table.loc["b1d1", "b1d2"] == 0
    canvas.select_block("b1d1", "b2d1")
    assert "b1d1w1" in canvas.drill_detail.value and "b2d1w1" in canvas.drill_detail.value
    assert "b1d2w1" not in canvas.drill_detail.value
    assert block(pings, groups, "b1d1", "b2d1").shape == (6, 6)
    assert canvas.stale_note.value == ""
    canvas.link_down("b1r", "bbsw")
    assert "out of date" in canvas.stale_note.value
    click(canvas, "mnss-ping-all")
    assert canvas.stale_note.value == ""


def test_a_click_on_a_cell_of_the_grouped_table_opens_its_hosts(monkeypatch):
    canvas = TopologyCanvas("hospital-campus", language="zh-CN")
    pings = fake_pings(canvas.topology)
    monkeypatch.setattr(measure, "ping_matrix", lambda lab: pings)
    canvas.lab = RunningLab(canvas.topology)
    canvas.ping_all()
    table = group_loss(pings, host_groups(canvas.topology))
    cells = {c.tooltip: c for c in canvas.group_grid.children[0].children if "mnss-group-cell" in c._dom_classes}
    assert len(cells) == table.size
    lost = cells["b1d1 → b2d1：100 %（点击查看明细）"]
    kept = cells["b1d1 → b1d2：0 %（点击查看明细）"]
    assert lost.description == "100" and lost.style.button_color == _loss_colour(100)
    assert kept.style.button_color == _loss_colour(0) != lost.style.button_color
    lost.click()
    assert (canvas.drill_from.value, canvas.drill_to.value) == ("b1d1", "b2d1")
    assert "明细：b1d1 → b2d1" in canvas.drill_detail.value
    assert canvas.drill_detail.value.count('data-loss="100"') == 36, "six hosts to six, all lost"
    kept.click()
    assert "明细：b1d1 → b1d2" in canvas.drill_detail.value and 'data-loss="100"' not in canvas.drill_detail.value
    old = canvas.group_grid.children[0]
    canvas.ping_all()
    assert old.comm is None and canvas.group_grid.children[0] is not old, "the old table's widgets are closed"

    canvas.group_by.value = "building"  # the same results, by building
    cells = {c.tooltip: c for c in canvas.group_grid.children[0].children if "mnss-group-cell" in c._dom_classes}
    assert "楼宇" in canvas.group_title.value and "b1r → b2r：100 %（点击查看明细）" in cells
    assert not any(t.startswith("b1d1 →") for t in cells), "no switch of a building is a group of its own"
    cells["b1r → b2r：100 %（点击查看明细）"].click()
    assert canvas.drill_detail.value.count('data-loss="100"') == 18 * 18, "every host of one building to the other's"
    assert canvas.stale_note.value == "", "regrouping is not a new measurement, nor a change"


def test_small_networks_show_the_full_matrix_and_edits_make_results_stale(monkeypatch):
    canvas = TopologyCanvas(templates.linear(2), language="en")
    monkeypatch.setattr(measure, "ping_matrix", lambda lab: fake_pings(canvas.topology))
    canvas.lab = RunningLab(canvas.topology)
    canvas.ping_all()
    assert canvas.drill.layout.display == "none"
    canvas.lab.running = False
    canvas.add_node("host")
    assert "out of date" in canvas.stale_note.value


def test_run_on_a_running_lab_says_so():
    canvas = TopologyCanvas(templates.linear(2), language="zh-CN")
    canvas.lab = RunningLab(canvas.topology)
    click(canvas, "mnss-run")
    assert "网络已在运行中（4 个节点）" in canvas.message.value


def test_state_and_loss_colours_are_not_red_and_green():
    from mnss_kernel.canvas.render import _loss_colour
    from mnss_kernel.canvas.style import cytoscape_style

    state = {rule["selector"]: rule["style"] for rule in cytoscape_style() if rule["selector"].endswith(("up", "down"))}
    assert state["node.up"]["border-color"] == "#0072b2" and state["node.down"]["border-color"] == "#d55e00"
    assert state["node.down"]["border-style"] == "dashed" and state["edge.down"]["line-style"] == "dashed"
    assert _loss_colour(0) == "rgb(0,34,78)" and _loss_colour(100) == "rgb(253,234,69)"  # cividis


def test_at_hospital_scale_hosts_are_drawn_in_one_box_per_switch():
    campus = templates.hospital_campus_1000()
    canvas = TopologyCanvas(campus, arrange=True, language="zh-CN")
    blocks = host_blocks(canvas.topology)
    boxes = {name for name, node in canvas._node_widgets.items() if node.data["kind"] == "group"}
    assert boxes == {f"hosts:{s}" for s in blocks.values()} and len(blocks) > 900
    for host, switch in blocks.items():
        assert canvas._node_widgets[host].data["parent"] == f"hosts:{switch}"
    assert canvas._node_widgets["hosts:b1d1"].data["name"] == "50 台终端"
    drawn = set(canvas._edge_widgets)
    assert len(drawn) == len(campus.links) - len(blocks) + len(boxes), "one line per box, none per grouped host"
    assert ("b1d1", "hosts:b1d1") in drawn and not any(a in blocks or b in blocks for a, b in drawn)

    canvas._on_node_tap({"data": {"id": "hosts:b1d1"}})
    assert canvas._selection == ("b1d1",), "a click on the box selects its switch"
    host = next(h for h, s in blocks.items() if s == "b1d1")
    canvas._on_node_tap({"data": {"id": host}})
    click(canvas, "mnss-uplink")
    assert set(canvas._selection) == {host, "b1d1"}, "the hidden link is editable from its host"

    class Broken(RunningLab):
        def status(self):
            return {
                "nodes": {n.name: True for n in campus.nodes},
                "links": {f"{link.a}-{link.b}": host not in (link.a, link.b) for link in campus.links},
            }

    canvas.lab = Broken(campus)
    canvas._show_state()
    assert canvas._node_widgets[host].classes == "down", "a grouped host shows its link's state"
    assert canvas._node_widgets["b1d1"].classes == "up" and canvas._node_widgets["hosts:b1d1"].classes == ""
    canvas.lab = None

    canvas.group_toggle.value = False  # the "group hosts" toggle
    assert len(canvas._edge_widgets) == len(campus.links) and "hosts:b1d1" not in canvas._node_widgets
    assert canvas._node_widgets[host].data["parent"] == "site:b1r", "out of its switch's box, still in its building"
    small = TopologyCanvas("hospital-campus", language="en")
    assert not small.group_toggle.value and len(small._edge_widgets) == len(small.topology.links)
    style = {rule["selector"]: rule["style"] for rule in canvas.graph.cytoscape_style}
    assert style["node"]["min-zoomed-font-size"] == 5 and style["edge"]["min-zoomed-font-size"] == 5


def test_add_connect_and_delete_work_from_lists_and_buttons_alone():
    """What the keyboard reaches: the kind list and Add, the two node lists, Connect and Delete."""
    canvas = TopologyCanvas(templates.linear(2), language="zh-CN")
    click(canvas, "mnss-add")
    new = canvas.topology.nodes[-1].name
    canvas.node_select.value = new
    assert canvas._selection == (new,)
    click(canvas, "mnss-connect-selected")
    assert "请先在“选择节点”中选一个节点" in canvas.message.value, "no target chosen: told what to do"
    canvas.connect_to.value = "s1"
    click(canvas, "mnss-connect-selected")
    assert canvas.topology.link(new, "s1") and f"已连接 {new} — s1" in canvas.message.value
    canvas._on_node_tap({"data": {"id": "h1"}})
    assert canvas.node_select.value == "h1", "a click shows in the list too"
    click(canvas, "mnss-delete")
    assert "h1" not in [n.name for n in canvas.topology.nodes] and canvas.node_select.value == ""
    canvas.node_select.value = "zz9"
    assert "没有名为“zz9”的节点" in canvas.message.value and canvas._selection == ()
    canvas.node_select.value = new
    canvas.connect_to.value = "h9"
    click(canvas, "mnss-connect-selected")
    assert "没有名为“h9”的节点" in canvas.message.value
