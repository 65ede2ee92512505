"""Validation as you type in the property panel: a value that does not parse, or that the engine
would refuse for this node or link, is framed and named in the canvas's language while it is typed,
Apply stays disabled, and both clear with the next valid change. In Chromium:
tests/integration/test_canvas_groups_browser.py."""

import pytest

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas, TopologyEditor


def panel(canvas, css_class):
    return next(c for c in canvas.panel.children if css_class in c._dom_classes)


@pytest.fixture
def zh():
    canvas = TopologyCanvas(language="zh-CN")
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.add_node("host")
    canvas.connect("h1", "s1")
    canvas.connect("h2", "s1")
    return canvas


def state(canvas):
    note = panel(canvas, "mnss-form-problems").value
    bad = [c._dom_classes for c in canvas.panel.children if "mnss-invalid" in getattr(c, "_dom_classes", ())]
    return note, len(bad), panel(canvas, "mnss-apply").disabled


def test_a_value_that_is_not_a_number_is_flagged_while_typing_and_cleared_by_the_next_good_one(zh):
    zh._on_edge_tap({"data": {"source": "h1", "target": "s1"}})
    bw = panel(zh, "mnss-field-bw")
    assert "如 100" in bw.placeholder, "the box says what it takes"
    bw.value = "1"
    assert state(zh) == ("", 0, False)
    bw.value = "1x"  # one keystroke too many
    note, framed, disabled = state(zh)
    assert "带宽 Mbit/s：“1x”不是数字" in note and framed == 1 and disabled
    assert "could not convert" not in note and zh.topology.link("h1", "s1").bw is None, "nothing applied"
    bw.value = "10"
    assert state(zh) == ("", 0, False), "the next valid value clears it"
    panel(zh, "mnss-apply").click()
    assert zh.topology.link("h1", "s1").bw == 10


def test_values_the_engine_refuses_are_named_in_english_too():
    canvas = TopologyCanvas(language="en")
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    canvas._on_edge_tap({"data": {"source": "s1", "target": "h1"}})  # the form's a end is s1, stored as b
    panel(canvas, "mnss-field-mtu").value = "50"
    panel(canvas, "mnss-field-loss").value = "200"
    note, framed, disabled = state(canvas)
    assert "MTU: 50 is out of range" in note and "Loss %: 200.0 is out of range" in note, note
    assert framed == 2 and disabled
    panel(canvas, "mnss-field-mtu").value = "1500"
    panel(canvas, "mnss-field-loss").value = ""
    panel(canvas, "mnss-field-ip_b").value = "10.0.0.300/24"  # h1's side, stored as ip_a
    note, framed, disabled = state(canvas)
    assert "10.0.0.300/24" in note and framed == 1 and disabled
    assert "mnss-invalid" in panel(canvas, "mnss-field-ip_b")._dom_classes
    panel(canvas, "mnss-field-ip_b").value = "10.0.0.5/24"
    assert state(canvas) == ("", 0, False)


def test_a_taken_name_and_a_bad_address_are_flagged_on_a_node(zh):
    zh._on_node_tap({"data": {"id": "h1"}})
    panel(zh, "mnss-field-name").value = "h2"
    note, framed, disabled = state(zh)
    assert "h2" in note and "已" in note and disabled and "mnss-invalid" in panel(zh, "mnss-field-name")._dom_classes
    panel(zh, "mnss-field-name").value = "pacs1"
    panel(zh, "mnss-field-ip").value = "10.0.0.300/24"
    note, framed, disabled = state(zh)
    assert "IP 地址：“10.0.0.300/24”不是带前缀长度的 IPv4 地址" in note and framed == 1 and disabled
    panel(zh, "mnss-field-ip").value = "10.0.0.30/24"
    assert state(zh) == ("", 0, False)
    panel(zh, "mnss-apply").click()
    assert zh.topology.node("pacs1").ip == "10.0.0.30/24" and "已修改 pacs1" in zh.message.value


def test_the_checks_look_at_the_element_only_and_change_nothing():
    editor = TopologyEditor(templates.template_named("hospital-campus"))
    before = editor.topology.to_dict()
    host = "b1d1w1"
    assert editor.check_node(host, ip="10.0.0.300/24")[0].code == "not_interface"
    assert editor.check_node(host, name="core")[0].code == "name_in_use"
    assert editor.check_node(host, label="新名字") == []
    link = editor.topology.links[0]
    assert [p.code for p in editor.check_link(link.a, link.b, mtu=50, vlan=5000)] == ["out_of_range", "out_of_range"]
    assert editor.topology.to_dict() == before and not editor.can_undo
