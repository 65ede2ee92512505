"""A regional network on the canvas: regions found from the wiring, drawn folded (regions, then
sites, then floors), opened one level at a time, so the browser never gets the whole network."""

from mnss_kernel import templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.groups import buildings, regions

SMALL = {"regions": 3, "hospitals": 2, "clinics": 3, "floors": 2, "hosts_per_floor": 5, "clinic_hosts": 4}
DATA_CENTRE = {"dc", "dcsw", "pacs", "his", "emr", "lis", "db"}


def test_a_region_is_a_wan_router_with_the_sites_behind_it():
    topo = templates.region(**SMALL)
    found = regions(topo)
    assert sorted(set(found.values())) == ["r1", "r2", "r3"]
    r2 = {m for m, r in found.items() if r == "r2"}
    assert r2 == {n.name for n in topo.nodes if n.name.startswith("r2")}, "the router, its sites, floors, devices"
    assert not DATA_CENTRE & set(found), "the data centre is in no region"
    assert {r for r in buildings(topo).values() if r.startswith("r1")} == {"r1h1", "r1h2", "r1c1", "r1c2", "r1c3"}
    assert regions(templates.hospital_campus_1000()) == {}, "a campus's buildings hang off a switch: no region"
    one_site = templates.region(regions=2, hospitals=1, clinics=0, floors=2, hosts_per_floor=2)
    assert regions(one_site) == {}, "one site behind a router is a WAN link, not a region"


def drawn(canvas) -> set[str]:
    return set(canvas._node_widgets)


def collapsed(canvas) -> set[str]:
    return {n for n, w in canvas._node_widgets.items() if "collapsed" in w.classes}


def test_the_region_opens_folded_and_each_level_opens_on_demand():
    canvas = TopologyCanvas(templates.region(**SMALL), language="zh-CN")
    top = drawn(canvas)
    assert top == DATA_CENTRE | {"region:r1", "region:r2", "region:r3"}, "under 200 nodes hosts are drawn one by one"
    assert collapsed(canvas) == {"region:r1", "region:r2", "region:r3"}
    assert canvas._node_widgets["region:r2"].data["name"] == "区域 r2（60 个节点），已折叠"
    assert {("dc", "region:r1"), ("dc", "region:r3")} <= set(canvas._edge_widgets), "WAN lines end at the box"

    canvas._on_node_tap({"data": {"id": "region:r2"}})
    assert canvas._selection == ("r2",), "a click on the region selects its router"
    expand = [b for b in canvas.panel.children[-1].children if "mnss-expand-box" in b._dom_classes]
    expand[0].click()
    sites = {f"site:r2h{j}" for j in (1, 2)} | {f"site:r2c{c}" for c in (1, 2, 3)}
    assert drawn(canvas) == top | {"r2"} | sites
    assert collapsed(canvas) == {"region:r1", "region:r3"} | sites, "its sites come folded"
    assert canvas._node_widgets["site:r2h1"].data["parent"] == "region:r2"
    assert ("r2", "site:r2c3") in canvas._edge_widgets

    canvas.expand("r2h1")
    floors = {"r2h1f1", "r2h1f2"}
    assert drawn(canvas) - top - {"r2"} - sites == {"r2h1"} | floors | {"hosts:r2h1f1", "hosts:r2h1f2"}
    assert canvas._node_widgets["r2h1f1"].data["parent"] == "site:r2h1"
    assert "hosts:r2h1f1" in collapsed(canvas), "each floor's devices stay folded"

    canvas.expand("r2h1f2")
    assert {"r2h1f2w1", "r2h1f2n2", "r2h1f2m3", "r2h1f2w4", "r2h1f2n5"} <= drawn(canvas)
    assert canvas._node_widgets["r2h1f2w1"].data["parent"] == "site:r2h1", "hosts one by one in their site"
    assert not any(n.startswith(("r1", "r3", "r2c")) for n in drawn(canvas)), "nothing else opened"

    canvas.collapse_all()
    assert drawn(canvas) == top, "back as it opened"
    canvas.expand_all()
    assert len(drawn(canvas)) > len(canvas.topology.nodes), "every node, in its boxes"


def test_english_region_box_and_a_campus_is_not_folded():
    canvas = TopologyCanvas(templates.region(**SMALL), language="en")
    assert canvas._node_widgets["region:r1"].data["name"] == "Region r1 (60 nodes), collapsed"
    campus = TopologyCanvas("hospital-campus", language="en")
    assert not collapsed(campus), "only a regional network opens folded"
