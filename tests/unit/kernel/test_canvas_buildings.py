"""Buildings as boxes on the canvas: found from the wiring, laid out apart, collapsed into one node
and opened again, with the lines into a collapsed box ending at it."""

import pytest

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.groups import buildings
from mnss_kernel.canvas.layout import node_box, tiered
from mnss_kernel.topology import Topology


def small_site(switches: int) -> Topology:
    nodes = [{"name": "r1", "kind": "router"}]
    links = []
    for i in range(1, switches + 1):
        nodes += [{"name": f"s{i}", "kind": "switch"}, {"name": f"h{i}", "kind": "host"}]
        links += [{"a": "r1", "b": f"s{i}"}, {"a": f"s{i}", "b": f"h{i}"}]
    return Topology.from_dict({"nodes": nodes, "links": links})


def test_a_building_is_a_router_with_its_access_switches_and_their_hosts():
    campus = templates.template_named("hospital-campus")
    found = buildings(campus)
    assert sorted(set(found.values())) == ["b1r", "b2r"], "the core, with one data-centre switch, is none"
    assert {m for m, r in found.items() if r == "b1r"} == {"b1r", "b1d1", "b1d2", "b1d3"} | {
        n.name for n in campus.nodes if n.name.startswith("b1d") and len(n.name) > 4
    }
    assert "bbsw" not in found and "core" not in found and "pacs" not in found
    assert buildings(small_site(1)) == {}, "one router with one switch is a LAN, not a building"
    assert set(buildings(small_site(2))) == {"r1", "s1", "s2", "h1", "h2"}


@pytest.mark.parametrize("build", [lambda: templates.template_named("hospital-campus"), templates.hospital_campus_1000])
def test_tiered_buildings_hold_their_nodes_and_no_other(build):
    laid = tiered(build())
    assert min(laid.nodes, key=lambda n: n.position["y"]).name == "core", "the tree hangs from the core"
    found = buildings(laid)
    boxes = {n.name: node_box(n.label or n.name, n.position) for n in laid.nodes}
    for router in set(found.values()):
        inside = [boxes[m] for m, r in found.items() if r == router]
        frame = (min(b[0] for b in inside), min(b[1] for b in inside), max(b[2] for b in inside))
        frame += (max(b[3] for b in inside),)
        margin = 12  # the drawn box's padding and border (style.BUILDING_BOX) and a host box's
        for name, b in boxes.items():
            if found.get(name) == router:
                continue
            apart = b[2] <= frame[0] - margin or b[0] >= frame[2] + margin or b[3] <= frame[1] - margin
            assert apart or b[1] >= frame[3] + margin, f"{name} lies in building {router}"


def test_collapse_and_expand_a_building_and_a_switch_s_hosts():
    canvas = TopologyCanvas("hospital-campus", language="zh-CN")
    drawn = set(canvas._node_widgets)
    assert canvas.building_toggle.value and {"site:b1r", "site:b2r"} <= drawn
    assert canvas._node_widgets["b1d1"].data["parent"] == "site:b1r"
    assert canvas._node_widgets["site:b1r"].data["name"] == "楼宇 b1r（22 个节点）"

    canvas._on_node_tap({"data": {"id": "site:b1r"}})
    assert canvas._selection == ("b1r",), "a click on the building selects its router"
    collapse = [b for b in canvas.panel.children[-1].children if "mnss-collapse-box" in b._dom_classes]
    collapse[0].click()
    box = canvas._node_widgets["site:b1r"]
    assert "collapsed" in box.classes and box.position and box.data["name"].endswith("，已折叠")
    assert not any(n.startswith("b1") for n in canvas._node_widgets), "everything in it is hidden"
    assert ("site:b1r", "bbsw") in canvas._edge_widgets, "the backbone line ends at the box"
    assert not any("b1d" in a or "b1d" in b for a, b in canvas._edge_widgets)
    assert "已折叠 b1r" in canvas.message.value

    canvas.collapse("b2d1")  # one switch's hosts, while hosts are otherwise drawn one by one
    assert "collapsed" in canvas._node_widgets["hosts:b2d1"].classes
    assert canvas._node_widgets["hosts:b2d1"].data["parent"] == "site:b2r"
    assert ("b2d1", "hosts:b2d1") in canvas._edge_widgets and "b2d1x1" not in canvas._node_widgets
    assert "b2d2m1" in canvas._node_widgets

    canvas.expand("b1r")
    assert "collapsed" not in canvas._node_widgets["site:b1r"].classes and "b1d1x1" in canvas._node_widgets
    canvas.expand_all()
    assert set(canvas._node_widgets) == drawn
    canvas.collapse_all()
    assert {n for n, w in canvas._node_widgets.items() if "collapsed" in w.classes} == {"site:b1r", "site:b2r"}
    canvas._guard(lambda: canvas.collapse("pacs"))
    assert "pacs" in canvas.message.value and "mnss-error" in canvas.message.value
    canvas.building_toggle.value = False
    assert not any(n.startswith("site:") for n in canvas._node_widgets) and "b1d1x1" in canvas._node_widgets


def test_english_texts_and_small_drawings_have_no_building_boxes():
    canvas = TopologyCanvas("hospital-campus", language="en")
    assert canvas._node_widgets["site:b2r"].data["name"] == "Building b2r (22 nodes)"
    assert not TopologyCanvas(small_site(2), language="en").building_toggle.value, "one building: no box"
