"""The canvas widget without a browser: buttons and graph events are fired as the front end would
send them (the comm is ipywidgets' dummy one); edits reach the model, the model reaches the graph."""

from pathlib import Path

import pytest

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas, TopologyEditor
from mnss_kernel.canvas.i18n import current_language
from mnss_kernel.canvas.layout import place_missing
from mnss_kernel.topology import Topology, TopologyError


def tap(canvas, name, widget="node", event="tap", **extra):
    """What ipycytoscape's front end sends when a node is clicked."""
    canvas.graph._handle_interaction(
        None, {"widget": widget, "event": event, "data": {"data": {"id": name}, **extra}}, None
    )


def button(canvas, css_class):
    for box in (canvas.toolbar, canvas.runbar, canvas.cmdbar, canvas.panel):
        for child in box.children:
            if css_class in child._dom_classes:
                return child
            for inner in getattr(child, "children", ()):
                if css_class in inner._dom_classes:
                    return inner
    raise LookupError(css_class)


@pytest.fixture
def canvas():
    return TopologyCanvas(language="en")


def test_palette_adds_nodes_and_clicks_connect_them(canvas):
    for kind in ("host", "host", "switch"):
        canvas.kind_picker.value = kind
        button(canvas, "mnss-add").click()
    assert [(n.name, n.kind) for n in canvas.topology.nodes] == [("h1", "host"), ("h2", "host"), ("s1", "switch")]
    canvas.connect_toggle.value = True
    for name in ("h1", "s1", "h2", "s1"):
        tap(canvas, name)
    assert [(link.a, link.b) for link in canvas.topology.links] == [("h1", "s1"), ("h2", "s1")]
    assert {e.data["id"] for e in canvas.graph.graph.edges} == {"h1-s1", "h2-s1"}
    assert "Connected h2 — s1." in canvas.message.value


def test_invalid_edit_is_refused_with_the_model_text_and_nothing_changes(canvas):
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    before = canvas.topology.to_dict()
    canvas.connect_toggle.value = True
    tap(canvas, "h1")
    tap(canvas, "s1")
    assert "Not changed: link h1-s1: there is already a link between these nodes" in canvas.message.value
    assert canvas.topology.to_dict() == before


def test_property_panel_refuses_a_bad_address_and_applies_a_good_one(canvas):
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    tap(canvas, "h1")
    ip_box = next(c for c in canvas.panel.children if "mnss-field-ip" in c._dom_classes)
    ip_box.value = "10.0.0.300/24"
    button(canvas, "mnss-apply").click()
    assert "node h1: IP address: &#x27;10.0.0.300/24&#x27; is not an IPv4 address" in canvas.message.value
    assert canvas.topology.node("h1").ip is None
    ip_box.value = "192.168.10.5/24"
    button(canvas, "mnss-apply").click()
    assert canvas.topology.node("h1").ip == "192.168.10.5/24"


def test_link_properties_and_undo(canvas):
    canvas.add_node("host")
    canvas.add_node("host")
    canvas.connect("h1", "h2")
    tap(canvas, None, widget="edge", data={"id": "h1-h2", "source": "h1", "target": "h2"})
    canvas._on_edge_tap({"data": {"source": "h1", "target": "h2"}})
    bw = next(c for c in canvas.panel.children if "mnss-field-bw" in c._dom_classes)
    bw.value = "25"
    button(canvas, "mnss-apply").click()
    assert canvas.topology.link("h1", "h2").bw == 25
    assert canvas.graph.graph.edges[0].data["caption"] == "25M"
    button(canvas, "mnss-undo").click()
    assert canvas.topology.link("h1", "h2").bw is None


def test_python_edits_show_on_the_canvas_and_delete_removes_links(canvas):
    canvas.add_node("pacs", name="pacs1")
    canvas.add_node("switch")
    canvas.connect("pacs1", "s1")
    node = next(n for n in canvas.graph.graph.nodes if n.data["id"] == "pacs1")
    assert node.data["kind"] == "pacs" and node.position
    tap(canvas, "s1")
    button(canvas, "mnss-delete").click()
    assert canvas.topology.names() == ["pacs1"] and canvas.topology.links == []
    assert [n.data["id"] for n in canvas.graph.graph.nodes] == ["pacs1"]


def test_dragging_a_node_keeps_it_where_it_was_dropped(canvas):
    canvas.add_node("host")
    canvas.add_node("host")
    tap(canvas, "h1", event="tapend", position={"x": 333.3, "y": 222.2})
    shown = next(n.position for n in canvas.graph.graph.nodes if n.data["id"] == "h1")
    assert shown == pytest.approx({"x": 333.3, "y": 222.2})
    assert canvas.topology.node("h1").position == pytest.approx(canvas.view.to_model({"x": 333.3, "y": 222.2}), abs=0.1)


def test_rename_carries_into_links(canvas):
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    canvas.update_node("h1", name="ward1")
    assert [(link.a, link.b) for link in canvas.topology.links] == [("ward1", "s1")]


def test_save_and_load_round_trip(canvas, tmp_path):
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1", bw=10)
    canvas.file_box.value = str(tmp_path / "t.yaml")
    button(canvas, "mnss-save").click()
    other = TopologyCanvas(tmp_path / "t.yaml", language="en")
    assert other.topology.to_dict() == canvas.topology.to_dict()
    (tmp_path / "bad.yaml").write_text("nodes: [{name: h1, kind: nope}]\n")
    canvas.file_box.value = str(tmp_path / "bad.yaml")
    button(canvas, "mnss-load").click()
    assert "node h1: Kind: &#x27;nope&#x27; is not allowed" in canvas.message.value
    assert canvas.topology.names() == ["h1", "s1"]


def test_load_opens_a_containerlab_file_and_shows_what_the_import_changed(canvas):
    """Opening containerlab's br01 example: the renamed bridge is said in the message, escaped."""
    path = Path(__file__).parents[2] / "data" / "containerlab" / "br01.clab.yml"
    canvas.file_box.value = str(path)
    button(canvas, "mnss-load").click()
    assert canvas.topology.names() == ["srl1", "srl2", "srl3", "br_clab"]
    assert "Changed on import: node &#x27;br-clab&#x27; is named &#x27;br_clab&#x27;" in canvas.message.value
    assert any("br_clab" in note for note in canvas.import_notes)


def test_edits_are_refused_while_running(canvas):
    class RunningLab:
        running = True

        def status(self):
            return {"nodes": {}, "links": {}}

    canvas.lab = RunningLab()
    button(canvas, "mnss-add").click()
    assert "stop it before changing the topology" in canvas.message.value
    assert canvas.topology.nodes == []


def test_measuring_without_a_running_network_says_so(canvas):
    button(canvas, "mnss-ping-all").click()
    assert "The network is not running; press Run first." in canvas.message.value


def test_chinese_labels(tmp_path):
    zh = TopologyCanvas(language="zh-CN")
    assert button(zh, "mnss-run").description == "运行"
    assert dict(zh.kind_picker.options)["影像归档 PACS"] == "pacs"
    settings = tmp_path / ".jupyter/lab/user-settings/@jupyterlab/translation-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"locale": "en"}')
    assert current_language(tmp_path) == "en"
    (settings / "plugin.jupyterlab-settings").write_text('{"locale": "zh_CN"}')
    assert current_language(tmp_path) == "zh-CN"


def test_editor_refuses_unknown_kind_and_fields():
    editor = TopologyEditor()
    with pytest.raises(TopologyError, match="kind 'router2' is not in the catalog"):
        editor.add_node("router2")
    with pytest.raises(TopologyError, match="link property 'colour' does not exist"):
        editor.add_node("host")
        editor.add_node("host")
        editor.connect("h1", "h2", colour="red")


def test_layout_places_only_missing_nodes():
    topo = Topology.from_dict(
        {
            "nodes": [
                {"name": "h1", "kind": "host"},
                {"name": "s1", "kind": "switch"},
                {"name": "r1", "kind": "router", "position": {"x": 5, "y": 6}},
            ],
            "links": [{"a": "h1", "b": "s1"}, {"a": "r1", "b": "s1"}],
        }
    )
    placed = place_missing(topo)
    assert placed.node("r1").position == {"x": 5, "y": 6}
    assert placed.node("s1").position["y"] < placed.node("h1").position["y"]
    assert topo.node("h1").position is None, "the input is not changed"


@pytest.mark.parametrize("name", ["t.py", "t.clab.yml", "t.json"])
def test_save_and_open_other_formats(canvas, tmp_path, name):
    canvas.add_node("host")
    canvas.add_node("switch")
    canvas.connect("h1", "s1")
    canvas.file_box.value = str(tmp_path / name)
    button(canvas, "mnss-save").click()
    other = TopologyCanvas(language="en")
    other.file_box.value = str(tmp_path / name)
    button(other, "mnss-load").click()
    assert [(link.a, link.b) for link in other.topology.links] == [("h1", "s1")], other.message.value
    assert {n.kind for n in other.topology.nodes} == {"host", "switch"}


def test_unknown_file_type_is_refused(canvas, tmp_path):
    canvas.file_box.value = str(tmp_path / "t.txt")
    button(canvas, "mnss-save").click()
    assert "unknown file type" in canvas.message.value and not (tmp_path / "t.txt").exists()


def test_view_box_fits_large_drawings_and_maps_drags_back():
    from mnss_kernel.canvas.layout import ViewBox

    box = ViewBox(760, 480, padding=40)
    box.fit([{"x": 0, "y": 0}, {"x": 2000, "y": 100}])
    left, right = box.to_view({"x": 0, "y": 0}), box.to_view({"x": 2000, "y": 100})
    assert left["x"] == pytest.approx(40) and right["x"] == pytest.approx(720)
    assert box.to_model(box.to_view({"x": 123, "y": 45})) == pytest.approx({"x": 123, "y": 45})
    box = ViewBox(760, 480, padding=40)
    box.fit([{"x": 10, "y": 10}, {"x": 110, "y": 10}])
    assert box.scale == 1.0 and box.to_view({"x": 10, "y": 10})["x"] == pytest.approx(330), "small drawings centred"


def test_the_canvas_opens_a_bundled_template_by_name(tmp_path, monkeypatch):
    """README: TopologyCanvas("ward.yaml") works from any folder; a file of that name wins; a name
    that is neither says both and lists the templates."""
    monkeypatch.chdir(tmp_path)
    for name in ("ward", "ward.yaml", "hospital-campus"):
        assert TopologyCanvas(name).topology.nodes
    assert TopologyCanvas("ward.yaml").topology == templates.load_example("ward")
    Topology.from_dict({"name": "mine", "nodes": [{"name": "h1", "kind": "host"}], "links": []}).save(
        tmp_path / "ward.yaml"
    )
    assert [n.name for n in TopologyCanvas("ward.yaml").topology.nodes] == ["h1"]
    with pytest.raises(FileNotFoundError, match=r"no topology file 'nosuch.yaml', and no bundled template.*ward"):
        TopologyCanvas("nosuch.yaml")
