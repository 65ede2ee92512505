"""The layout choice without a browser: the tiers are the canvas's own (kept in the topology), the
cytoscape.js layouts change only the view, and "As drawn" puts every node back. Whether each
layout really lays the campus out without overlaps is checked in Chromium
(tests/integration/test_canvas_groups_browser.py)."""

import pytest

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.browser_layouts import BROWSER_LAYOUTS, browser_layout
from mnss_kernel.canvas.layout import overlaps

BUNDLED_JS_LAYOUTS = {"dagre", "cola", "klay"}  # what ipycytoscape 1.3.3 registers with cytoscape.use()


@pytest.fixture
def canvas():
    return TopologyCanvas(templates.template_named("hospital-campus"), language="zh-CN")


def test_the_list_offers_the_tiers_and_the_layouts_ipycytoscape_bundles(canvas):
    assert set(BROWSER_LAYOUTS) == BUNDLED_JS_LAYOUTS
    assert [value for _label, value in canvas.layout_picker.options] == ["drawn", "tiers", "dagre", "cola", "klay"]
    labels = [label for label, _value in canvas.layout_picker.options]
    assert labels[:2] == ["按绘制位置", "分层：核心、汇聚、接入"] and canvas.layout_picker.description == "布局"
    english = TopologyCanvas(language="en").layout_picker
    assert [label for label, _v in english.options][:2] == ["As drawn", "Tiers: core, distribution, access"]


@pytest.mark.parametrize("name", sorted(BUNDLED_JS_LAYOUTS))
def test_a_browser_layout_changes_the_view_only_and_as_drawn_brings_the_positions_back(canvas, name):
    before = canvas.topology.to_dict()
    canvas.layout_picker.value = name
    layout = canvas.graph.cytoscape_layout
    assert layout["name"] == name and layout["nodeDimensionsIncludeLabels"] and not layout["animate"]
    assert canvas.topology.to_dict() == before, "the topology keeps its positions"
    assert f"用 {name} 排列" in canvas.message.value

    canvas.fit()  # cytoscape's own fit: only the browser knows where the layout put the nodes
    assert canvas.graph.cytoscape_layout == {"name": "preset", "fit": True, "padding": 30}
    canvas._guard(lambda: canvas.zoom_by(1.25))
    assert "鼠标滚轮" in canvas.message.value and "mnss-error" in canvas.message.value

    canvas.layout_picker.value = "drawn"
    assert canvas.graph.cytoscape_layout["name"] == "preset" and canvas._browser_layout is None
    assert "已回到绘制的位置" in canvas.message.value
    canvas.zoom_by(1.25)  # the canvas's own view again
    assert canvas.graph.cytoscape_layout["zoom"] > 0


def test_leaving_a_browser_layout_sends_every_drawn_position_once(canvas, monkeypatch):
    canvas.layout_picker.value = "dagre"
    sent = []
    monkeypatch.setattr(type(canvas.graph), "cytoscape_layout", property(lambda s: {}, lambda s, v: sent.append(v)))
    canvas.layout_picker.value = "drawn"
    first = sent[0]
    assert first["name"] == "preset" and not first["fit"]
    shown = {key: node.position for key, node in canvas._node_widgets.items() if node.position}
    assert first["positions"] == shown and len(shown) >= 40


def test_tiers_from_the_list_arranges_the_topology_like_the_button():
    canvas = TopologyCanvas(templates.template_named("hospital-campus"), language="en", arrange=False)
    assert canvas.layout_picker.value == "drawn"
    canvas.layout_picker.value = "tiers"
    assert overlaps(canvas.topology) == [] and "Arranged" in canvas.message.value
    assert canvas.layout_picker.value == "tiers"


def test_an_unknown_browser_layout_is_named():
    with pytest.raises(KeyError, match="'cose'.*dagre, cola, klay"):
        browser_layout("cose")
