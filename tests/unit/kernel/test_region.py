"""The regional health network template: about 10,000 nodes by default, chosen smaller by its
parameters, addressed per region, site and floor, WAN links shaped, refusals that name the parameter."""

import inspect
import ipaddress
import re
from collections import Counter

import pytest

from mnss_kernel import templates
from mnss_kernel.catalog import role
from mnss_kernel.runtime.lab import BATCH_LINES, _chunks
from mnss_kernel.topology import plan

SMALL = {"regions": 3, "hospitals": 2, "clinics": 3, "floors": 2, "hosts_per_floor": 5, "clinic_hosts": 4}


@pytest.fixture(scope="module")
def default():
    return templates.region()


@pytest.fixture(scope="module")
def small():
    return templates.region(**SMALL)


def test_default_is_about_ten_thousand_nodes_and_plans(default):
    sizes = {k: v.default for k, v in inspect.signature(templates.region).parameters.items()}
    assert len(default.nodes) == templates.region_size(**sizes) and 9_500 <= len(default.nodes) <= 10_500
    assert default.name == "region" and re.search(r"[\u4e00-\u9fff]", default.title)
    assert Counter(role(n.kind) for n in default.nodes)["router"] == 1 + 8 + 8 * (4 + 12)
    assert plan(default).problems == []
    assert max(len(n.name) for n in default.nodes) <= templates.NAME_MAX


def test_size_follows_the_parameters_and_names_say_where(small):
    assert len(small.nodes) == templates.region_size(**SMALL) == 7 + 3 * (1 + 2 * 13 + 3 * 11)
    assert small.name == "region-3x2h3c"
    names = set(small.names())
    assert {"dc", "dcsw", "pacs", "r1", "r3", "r2h2", "r2h2f2", "r3c3", "r3c3f2"} <= names
    assert {"r1h1f1w1", "r1h1f1n2", "r1h1f1m3", "r1c1f1w4", "r1c1f2m4"} <= names
    assert not {"r4", "r1h3", "r1c4", "r1h1f3", "r1h1f1w6"} & names


def test_addresses_per_region_site_and_floor(small):
    p = plan(small)
    net = {
        i.node: i.ip.network
        for ifs in p.interfaces.values()
        for i in ifs
        if i.ip and role(small.node(i.node).kind) == "host"
    }
    assert net["r2h1f2w1"] == ipaddress.IPv4Network("10.2.12.0/24")
    assert net["r3c2f1w1"] == ipaddress.IPv4Network("10.3.103.0/24")
    assert net["r3c2f2m1"] == ipaddress.IPv4Network("10.3.104.0/24")
    assert net["pacs"] == ipaddress.IPv4Network("10.0.10.0/24")
    assert p.gateways["r2h1f2w1"] == ipaddress.IPv4Address("10.2.12.1")
    widest = templates.region(regions=1, hospitals=9, clinics=54, floors=9, hosts_per_floor=1, clinic_hosts=1)
    assert plan(widest).problems == [], "the most sites and floors a region may have fit its address plan"


def test_wan_links_are_shaped_by_tier(small):
    shaped = {(link.a, link.b): link.bw for link in small.links if link.bw}
    assert shaped[("dc", "r2")] == 1000
    assert shaped[("r2", "r2h1")] == 100 and shaped[("r2", "r2c3")] == 20
    assert len(shaped) == 3 + 3 * (2 + 3), "every WAN link and no LAN link"
    assert all(role(small.node(a).kind) == role(small.node(b).kind) == "router" for a, b in shaped)


def test_probes_cross_every_kind_of_wan_link(small):
    assert templates.region_probes(small) == [
        "pacs",
        "r1h1f1w1",
        "r1c1f1w1",
        "r2h1f1w1",
        "r2c1f1w1",
        "r3h1f1w1",
        "r3c1f1w1",
    ]
    only_clinics = templates.region(regions=2, hospitals=0, clinics=2, floors=1, hosts_per_floor=1, clinic_hosts=1)
    assert templates.region_probes(only_clinics) == ["pacs", "r1c1f1w1", "r2c1f1w1"]


@pytest.mark.parametrize(
    "params, named",
    [
        ({"regions": 0}, "regions must be an integer from 1 to 9, not 0"),
        ({"regions": 10}, "regions must be an integer from 1 to 9"),
        ({"clinics": 55}, "clinics must be an integer from 0 to 54, not 55"),
        ({"hosts_per_floor": 100}, "hosts_per_floor must be an integer from 1 to 99"),
        ({"floors": "6"}, "floors must be an integer from 1 to 9, not '6'"),
        ({"hospitals": 0, "clinics": 0}, "at least one hospital or clinic"),
    ],
)
def test_bad_parameters_are_refused_by_name(params, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        templates.region(**params)


def test_namespaces_and_links_are_created_in_batches_of_bounded_size():
    """iproute2 holds two descriptors per veth line until it exits: a 10,000-node lab in one batch
    ran out of them, so the lines go in chunks, in order, none lost."""
    lines = [f"line {i}" for i in range(2 * 10_127)]
    chunks = _chunks(lines, BATCH_LINES)
    assert max(map(len, chunks)) == BATCH_LINES and 2 * BATCH_LINES + 100 < 1024
    assert [line for chunk in chunks for line in chunk] == lines
    assert _chunks([], BATCH_LINES) == []


def test_the_default_region_reaches_the_canvas_as_a_few_boxes(default):
    """10,127 nodes, but the browser gets 16 nodes and 10 lines: the data centre and 8 folded regions."""
    from mnss_kernel.canvas import TopologyCanvas

    canvas = TopologyCanvas(default, language="en")
    assert len(canvas._node_widgets) == 16 and len(canvas._edge_widgets) == 10
    assert {n for n in canvas._node_widgets if n.startswith("region:")} == {f"region:r{i}" for i in range(1, 9)}
    assert canvas._node_widgets["region:r8"].data["name"] == "Region r8 (1265 nodes), collapsed"
    canvas.expand("r8")
    assert len(canvas._node_widgets) == 16 + 1 + 16, "the region's router and its 16 folded sites"
