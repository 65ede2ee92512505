"""Templates: every one validates and plans, has the size and kinds it promises, short unique names,
a tiered layout, and the guest firewall really keeps guests away from clinical systems."""

import ipaddress
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from mnss_kernel import templates
from mnss_kernel.catalog import role
from mnss_kernel.topology import Topology, plan

NAMES = list(templates.TEMPLATES)
CLINICAL_KINDS = {"pacs", "his", "emr", "lis", "database", "modality", "workstation", "nurse_station", "medical_device"}
DEPARTMENT_KINDS = {"modality", "workstation", "nurse_station", "medical_device"}


# The region's default (10,000 nodes) is checked in test_region.py; here a small one of the same shape.
SMALL_REGION = {"regions": 2, "hospitals": 2, "clinics": 2, "floors": 2, "hosts_per_floor": 6, "clinic_hosts": 3}


@pytest.fixture(scope="module")
def built():
    return {
        name: template.build(**(SMALL_REGION if name == "region" else {}))
        for name, template in templates.TEMPLATES.items()
    }


@pytest.fixture(scope="module")
def campus_1000(built):
    return built["hospital_campus_1000"]


def kinds(topo: Topology) -> Counter:
    return Counter(n.kind for n in topo.nodes)


def verdict(
    firewall, src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address, proto: str = "icmp", port: int | None = None
) -> str:
    """What the firewall's rules say about a packet: first match wins, else the default policy."""
    for rule in firewall.rules:
        if rule.get("src", "any") != "any" and src not in ipaddress.IPv4Network(rule["src"]):
            continue
        if rule.get("dst", "any") != "any" and dst not in ipaddress.IPv4Network(rule["dst"]):
            continue
        if rule.get("proto", "any") not in ("any", proto):
            continue
        if "port" in rule and rule["port"] != port:
            continue
        return rule["action"]
    return firewall.default_policy or "allow"


# ---------------------------------------------------------------------------------------------
# every template
# ---------------------------------------------------------------------------------------------


def test_registry_lists_every_template_for_the_palette():
    assert NAMES == [
        "linear",
        "star",
        "tree",
        "radiology",
        "laboratory",
        "ward",
        "guest_isolated",
        "hospital_campus",
        "hospital_campus_1000",
        "region",
    ]
    for name, entry in templates.TEMPLATES.items():
        build, title_zh, title_en, description, description_zh = entry  # a plain tuple for the palette
        assert callable(build) and build is entry.build
        assert re.search(r"[\u4e00-\u9fff]", title_zh), f"{name}: zh title"
        assert re.search(r"[\u4e00-\u9fff]", description_zh), f"{name}: zh description"
        assert title_en and description and not re.search(r"[\u4e00-\u9fff]", title_en)


@pytest.mark.parametrize("name", NAMES)
def test_template_validates_and_plans_without_problems(name, built):
    topo = built[name]
    assert isinstance(topo, Topology)
    assert Topology.from_dict(topo.to_dict()).to_dict() == topo.to_dict()
    assert plan(topo).problems == []
    assert topo.title and topo.description


@pytest.mark.parametrize("name", NAMES)
def test_template_names_are_short_unique_and_every_node_is_placed(name, built):
    topo = built[name]
    names = [n.name for n in topo.nodes]
    assert len(names) == len(set(names))
    assert max(map(len, names)) <= templates.NAME_MAX
    positions = [(n.position["x"], n.position["y"]) for n in topo.nodes]
    assert all(isinstance(c, (int, float)) for xy in positions for c in xy)
    assert len(set(positions)) == len(positions), "two nodes drawn on top of each other"


@pytest.mark.parametrize("name", NAMES)
def test_template_hosts_hang_below_their_switch(name, built):
    """A readable tiered layout: every end device is drawn below the switch or router it hangs off."""
    topo = built[name]
    by_name = {n.name: n for n in topo.nodes}
    for link in topo.links:
        ends = [by_name[link.a], by_name[link.b]]
        hosts = [n for n in ends if role(n.kind) == "host" and len(topo.links_of(n.name)) == 1]
        for host in hosts:
            other = ends[1] if host is ends[0] else ends[0]
            if host.kind != "web":  # the internet is drawn at the top
                assert host.position["y"] > other.position["y"], (host.name, other.name)


# ---------------------------------------------------------------------------------------------
# teaching set
# ---------------------------------------------------------------------------------------------


def test_linear_star_tree_sizes_and_mininet_names():
    lin = templates.linear(5)
    assert lin.names("switch") == [f"s{i}" for i in range(1, 6)] and lin.names("host") == [f"h{i}" for i in range(1, 6)]
    assert len(lin.links) == 9 and lin.link("s2", "s1") and lin.link("h5", "s5")
    st = templates.star(7)
    assert st.names("switch") == ["s1"] and len(st.names("host")) == 7 and len(st.links) == 7
    tr = templates.tree(3, 2)
    assert len(tr.names("host")) == 8 and len(tr.names("switch")) == 7 and len(tr.links) == 14
    tr = templates.tree(2, 3)
    assert len(tr.names("host")) == 9 and len(tr.names("switch")) == 4
    assert [link.ends() for link in templates.tree(2, 2).links] == [
        ("s2", "h1"),
        ("s2", "h2"),
        ("s1", "s2"),
        ("s3", "h3"),
        ("s3", "h4"),
        ("s1", "s3"),
    ]


def test_teaching_topologies_are_one_broadcast_domain_even_when_big():
    for topo in (templates.linear(4), templates.star(300), templates.tree(2, 20)):
        p = plan(topo)
        assert p.problems == [] and len(p.segments) == 1
        assert len({p.address(h) for h in topo.names("host")}) == len(topo.names("host"))


def test_tree_layout_is_tiered():
    topo = templates.tree(3, 2)
    y = {n.name: n.position["y"] for n in topo.nodes}
    assert y["s1"] < y["s2"] < y["s3"] < y["h1"]
    x = {n.name: n.position["x"] for n in topo.nodes}
    assert x["h1"] < x["s1"] < x["h8"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: templates.linear(0),
        lambda: templates.star(-1),
        lambda: templates.tree(0, 2),
        lambda: templates.tree(2, 0),
        lambda: templates.tree(5, 8),
        lambda: templates.linear("3"),
        lambda: templates.department_lan("kitchen"),
        lambda: templates.hospital_campus(buildings=0),
        lambda: templates.hospital_campus(hosts_per_department=1000),
        lambda: templates.hospital_campus(departments_per_building=99, hosts_per_department=999),
    ],
)
def test_bad_template_parameters_are_refused(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------------------------
# departments
# ---------------------------------------------------------------------------------------------


def test_department_lans():
    rad = templates.department_lan("radiology", workstations=4, devices=6)
    assert kinds(rad) == Counter({"switch": 1, "pacs": 1, "modality": 6, "workstation": 4})
    assert {"ct1", "mr1", "dr1", "us1", "mg1", "ct2"} <= set(rad.names())
    lab = templates.department_lan("laboratory", workstations=3, devices=2)
    assert kinds(lab) == Counter({"switch": 1, "lis": 1, "medical_device": 2, "workstation": 3})
    ward = templates.department_lan("ward", workstations=2, devices=5)
    assert kinds(ward) == Counter({"switch": 1, "nurse_station": 2, "medical_device": 5})
    for topo in (rad, lab, ward):
        assert all(link.b == "sw1" for link in topo.links)
        assert len(plan(topo).segments) == 1, "one department, one subnet"


# ---------------------------------------------------------------------------------------------
# guest isolation
# ---------------------------------------------------------------------------------------------


def test_guest_isolated_firewall_denies_guests_the_clinical_lan(built):
    topo = built["guest_isolated"]
    p = plan(topo)
    fw = topo.node("fw")
    assert kinds(topo)["pacs"] == 1 and kinds(topo)["emr"] == 1 and kinds(topo)["guest"] == 3
    guests = [p.address(n.name) for n in topo.nodes if n.kind == "guest"]
    clinical = [p.address(n.name) for n in topo.nodes if n.kind in CLINICAL_KINDS]
    internet = p.address("inet")
    assert len(clinical) == 4
    for g in guests:
        for c in clinical:
            for proto, port in (("icmp", None), ("tcp", 104), ("tcp", 80), ("udp", 53)):
                assert verdict(fw, g, c, proto, port) == "deny", (g, c, proto)
        assert verdict(fw, g, internet, "tcp", 80) == "allow"
    for c in clinical:
        assert verdict(fw, c, internet, "tcp", 443) == "allow"
        for g in guests:
            assert verdict(fw, c, g) == "allow"
    assert all(str(p.gateways[n.name]) == "192.168.100.1" for n in topo.nodes if n.kind == "guest")
    assert str(p.address("pacs")) == "10.1.0.10" and str(p.address("emr")) == "10.1.0.11"


def test_guest_isolated_without_internet_and_other_sizes():
    topo = templates.guest_isolated(clinical_hosts=5, guests=10, internet=False)
    assert "inet" not in topo.names() and kinds(topo)["guest"] == 10 and kinds(topo)["workstation"] == 5
    assert plan(topo).problems == []


# ---------------------------------------------------------------------------------------------
# campus
# ---------------------------------------------------------------------------------------------


def department_segments(topo, p):
    """access switch -> the one subnet its devices are on."""
    out = {}
    for node in topo.nodes:
        if node.kind in DEPARTMENT_KINDS:
            switch = topo.links_of(node.name)[0]
            access = switch.b if switch.a == node.name else switch.a
            out.setdefault(access, set()).add(p.segments[p.interfaces[node.name][0].segment].subnet)
    return out


def check_campus(topo, buildings, departments, hosts_per_department, guests):
    p = plan(topo)
    assert p.problems == []
    k = kinds(topo)
    assert sum(k[x] for x in DEPARTMENT_KINDS) == buildings * departments * hosts_per_department
    assert k["guest"] == guests
    assert {"pacs", "his", "emr", "lis", "database", "firewall", "nat", "web"} <= set(k)
    assert k["router"] == buildings + 1  # the core and one distribution router per building
    assert k["switch"] == buildings * departments + 3  # access switches, backbone, data centre, guests
    subnets = department_segments(topo, p)
    assert len(subnets) == buildings * departments
    assert all(len(s) == 1 for s in subnets.values()), "each department is one subnet"
    all_subnets = [s for nets in subnets.values() for s in nets]
    assert len(set(all_subnets)) == len(all_subnets), "no two departments share a subnet"
    # every department reaches the data centre through its building router and the core
    for access in subnets:
        building_router = f"{access.split('d')[0]}r"
        router_ip = next(i.ip.ip for i in p.interfaces[building_router] if i.peer_node == access)
        devices = [i.peer_node for i in p.interfaces[access] if i.peer_node != building_router]
        assert devices and all(p.gateways[d] == router_ip for d in devices)
    # the guest firewall: every guest denied every clinical address, allowed the internet
    fw = topo.node("fw")
    clinical = [p.address(n.name) for n in topo.nodes if n.kind in CLINICAL_KINDS]
    for g in (p.address(n.name) for n in topo.nodes if n.kind == "guest"):
        assert all(verdict(fw, g, c) == "deny" for c in clinical)
        assert verdict(fw, g, p.address("inet"), "tcp", 443) == "allow"
    assert all(verdict(fw, c, p.address("inet"), "tcp", 443) == "allow" for c in clinical[:50])
    return p


def test_hospital_campus_default(built):
    topo = built["hospital_campus"]
    check_campus(topo, 2, 3, 6, 4)
    assert {"core", "bbsw", "dcsw", "fw", "gsw", "nat", "inet", "b1r", "b2r", "b1d1", "b2d3"} <= set(topo.names())
    y = {n.name: n.position["y"] for n in topo.nodes}
    assert y["inet"] < y["core"] < y["bbsw"] < y["b1r"] < y["b1d1"] < y["b1d1x1"]


def test_hospital_campus_1000_is_big_and_plans_fast(campus_1000):
    start = time.perf_counter()
    topo = templates.hospital_campus_1000()
    p = plan(topo)
    elapsed = time.perf_counter() - start
    assert elapsed < 3, f"building and planning the 1000-device campus took {elapsed:.1f}s"
    assert p.problems == []
    check_campus(topo, 4, 5, 50, 40)
    assert sum(1 for n in topo.nodes if role(n.kind) == "host") >= 1000
    assert max(len(n) for n in topo.names()) <= templates.NAME_MAX
    assert topo.name == "hospital_campus_1000"


def test_hospital_campus_big_departments_get_wider_subnets():
    topo = templates.hospital_campus(
        buildings=1, departments_per_building=2, hosts_per_department=300, guests=300, internet=False
    )
    p = plan(topo)
    assert p.problems == []
    subnets = department_segments(topo, p)
    assert {next(iter(s)).prefixlen for s in subnets.values()} == {23}
    assert "nat" not in topo.names()
    guest_net = p.segments[p.interfaces["g1"][0].segment].subnet
    assert guest_net.prefixlen == 23 and ipaddress.IPv4Network(topo.node("fw").rules[0]["src"]) == guest_net


def test_hospital_campus_department_kinds_cycle():
    topo = templates.hospital_campus(buildings=1, departments_per_building=4, hosts_per_department=8, guests=0)
    radiology = Counter(n.kind for n in topo.nodes if n.name.startswith("b1d1") and n.name != "b1d1")
    assert radiology == Counter({"modality": 2, "workstation": 6})
    assert {n.kind for n in topo.nodes if n.name.startswith("b1d2") and n.name != "b1d2"} == {
        "medical_device",
        "workstation",
    }
    assert {n.kind for n in topo.nodes if n.name.startswith("b1d3") and n.name != "b1d3"} == {
        "nurse_station",
        "medical_device",
    }
    assert "fw" not in topo.names() and plan(topo).problems == []
    assert topo.node("b1d4").label.endswith("放射科2")


# ---------------------------------------------------------------------------------------------
# saved examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", templates.SAVED)
def test_saved_example_is_the_template(name, built):
    path = templates.examples_dir() / f"{name}.yaml"
    assert path.exists(), "run `python -m mnss_kernel.templates`"
    assert templates.load_example(name).to_dict() == built[name].to_dict(), (
        "the template changed: run `python -m mnss_kernel.templates`"
    )


def test_saved_examples_are_exactly_what_write_examples_writes(tmp_path):
    written = templates.write_examples(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.yaml" for n in templates.SAVED)
    for path in written:
        assert path.read_text("utf-8") == (templates.examples_dir() / path.name).read_text("utf-8")
    assert not list(Path(tmp_path).glob(".*.tmp"))


def test_only_saved_examples_are_in_the_directory():
    on_disk = sorted(p.stem for p in templates.examples_dir().glob("*.yaml"))
    assert on_disk == sorted(templates.SAVED)
    for path in templates.examples_dir().glob("*.yaml"):
        assert yaml.safe_load(path.read_text("utf-8"))["name"] == path.stem
    with pytest.raises(KeyError):
        templates.load_example("hospital_campus_1000")
