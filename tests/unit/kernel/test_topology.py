"""The topology model: bad files get precise errors naming the element; good ones plan exactly."""

import ipaddress

import pytest

from mnss_kernel.topology import Topology, TopologyError, plan
from tests.support.topologies import links, nodes


def errors(data):
    with pytest.raises(TopologyError) as info:
        Topology.from_dict(data)
    return info.value.problems


SMALL = {"nodes": nodes("h1:host", "h2:host", "s1:switch"), "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}]}


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"nodes": nodes("h1:hots")}, "node 'h1': kind: 'hots' is not allowed; allowed values:"),
        ({"nodes": nodes("h1:host", "h1:host")}, "node 'h1': the name is used 2 times; names must be unique"),
        ({"nodes": nodes("h1:host"), "links": [{"a": "h1", "b": "x9"}]}, "link h1-x9: node 'x9' does not exist"),
        (
            {"nodes": nodes("h1:host"), "links": [{"a": "h1", "b": "h1"}]},
            "link h1-h1: a link must join two different nodes",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2"}, {"a": "h2", "b": "h1"}]},
            "link h2-h1: there is already a link between these nodes",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "ip_a": "10.0.0.300/24"}]},
            "link h1-h2: ip_a: '10.0.0.300/24' is not an IPv4 address with prefix length",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "ip_a": "10.0.0.255/24"}]},
            "link h1-h2: ip_a: 10.0.0.255/24 is the broadcast address of 10.0.0.0/24; use a host address",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "bw": 0}]},
            "link h1-h2: bw: 0 is out of range; must be > 0",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "loss": 101}]},
            "link h1-h2: loss: 101 is out of range; must be <= 100",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "vlan": 10}]},
            "link h1-h2: vlan: only a link to a switch has an access VLAN",
        ),
        (
            {"nodes": nodes("s1:switch", "s2:switch"), "links": [{"a": "s1", "b": "s2", "vlan": 10}]},
            "link s1-s2: vlan: a switch-to-switch link is a trunk; give its VLANs as 'vlans'",
        ),
        (
            {"nodes": nodes("h1:host", "s1:switch"), "links": [{"a": "h1", "b": "s1", "ip_b": "10.0.0.2/24"}]},
            "link h1-s1: ip_b: 's1' is a switch and has no address on its ports",
        ),
        (
            {"nodes": nodes("h1:host", "h2:host"), "links": [{"a": "h1", "b": "h2", "colour": "red"}]},
            "link h1-h2: colour: unknown key; allowed keys here:",
        ),
        (
            {"nodes": [{"name": "r1", "kind": "router", "rules": [{"action": "deny"}]}]},
            "node 'r1': rules: only a firewall has filter rules",
        ),
        (
            {
                "nodes": [{"name": "h1", "kind": "host", "gateway": "10.9.9.1"}, {"name": "r1", "kind": "router"}],
                "links": [{"a": "h1", "b": "r1"}],
            },
            "node 'h1': gateway: 10.9.9.1 is not on any subnet of this node",
        ),
        (
            {"nodes": [{"name": "n1", "kind": "nat"}]},
            "node 'n1': outside: a NAT gateway needs the name of its outside neighbour",
        ),
        (
            {"nodes": [{"name": "f1", "kind": "firewall", "rules": [{"action": "deny", "src": "guests"}]}]},
            "node 'f1': rules[0].src: 'guests' is not an IPv4 network like 10.0.2.0/24 or 'any'",
        ),
        (
            {"nodes": [{"name": "f1", "kind": "firewall", "rules": [{"action": "deny", "port": 80}]}]},
            "node 'f1': rules[0].port: a port needs proto tcp or udp",
        ),
        (
            {"nodes": nodes("radiologypacs:pacs", "s1:switch"), "links": [{"a": "radiologypacs", "b": "s1"}]},
            "node 'radiologypacs': interface name 'radiologypacs-eth0' would be 18 characters, Linux allows 15",
        ),
        (
            {
                "nodes": [
                    {"name": "a", "kind": "host", "ip": "10.0.1.5/24"},
                    {"name": "b", "kind": "host", "ip": "10.0.2.5/24"},
                ],
                "links": [{"a": "a", "b": "b"}],
            },
            "are in different subnets; one segment is one subnet",
        ),
        (
            {"nodes": [{"name": "h1", "kind": "host", "ip": "10.0.1.5/24"}]},
            "node 'h1': ip: the shorthand is for a node with exactly one link (it has 0)",
        ),
        (
            {
                "addressing": {"pool": "10.0.0.0/30", "prefix": 30},
                "nodes": nodes("h1:host", "h2:host", "h3:host", "s1:switch"),
                "links": [{"a": h, "b": "s1"} for h in ("h1", "h2", "h3")],
            },
            "has room for 2 addresses, 3 are needed",
        ),
        ({"nodes": "h1"}, "nodes: 'h1' is a string, expected array"),
        ([], "top level must be a mapping with 'nodes' and 'links', not a list"),
    ],
)
def test_bad_topologies_are_named_precisely(data, expected):
    assert any(expected in p for p in errors(data)), errors(data)


def test_overlapping_explicit_subnets():
    data = {
        "nodes": nodes("a:host", "b:host", "c:host", "d:host"),
        "links": [{"a": "a", "b": "b", "ip_a": "10.1.0.1/16"}, {"a": "c", "b": "d", "ip_a": "10.1.2.1/24"}],
    }
    assert any("subnet 10.1.2.0/24 overlaps 10.1.0.0/16" in p for p in errors(data))


def test_every_problem_is_reported_at_once():
    data = {"nodes": nodes("h1:host", "h1:host"), "links": [{"a": "h1", "b": "zz"}, {"a": "h1", "b": "yy"}]}
    assert len(errors(data)) == 3


def test_file_round_trip(tmp_path):
    topo = Topology.from_dict(
        {
            **SMALL,
            "title": "病房网络",
            "links": [{"a": "h1", "b": "s1", "bw": 10, "up": False}, {"a": "h2", "b": "s1", "vlan": 20}],
        }
    )
    for name in ("t.yaml", "t.json"):
        again = Topology.load(topo.save(tmp_path / name))
        assert again.to_dict() == topo.to_dict()
    assert "病房网络" in (tmp_path / "t.yaml").read_text("utf-8")


def test_failed_save_leaves_the_old_file(tmp_path):
    path = Topology.from_dict(SMALL).save(tmp_path / "t.yaml")
    before = path.read_text()
    broken = Topology.from_dict(SMALL)
    broken.links.append(broken.links[0])
    with pytest.raises(TopologyError):
        broken.save(path)
    assert path.read_text() == before


def test_load_reports_the_file_and_yaml_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [\n")
    with pytest.raises(TopologyError, match="not valid YAML") as info:
        Topology.load(bad)
    assert str(bad) in str(info.value)


def test_plan_addresses_routers_low_hosts_from_ten():
    p = plan(
        Topology.from_dict(
            {
                "nodes": nodes("h1:host", "h2:host", "s1:switch", "r1:router"),
                "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}, {"a": "r1", "b": "s1"}],
            }
        )
    )
    assert p.address("r1") == ipaddress.IPv4Address("10.0.0.1")
    assert [str(p.address(h)) for h in ("h1", "h2")] == ["10.0.0.10", "10.0.0.11"]
    assert p.gateways == {"h1": ipaddress.IPv4Address("10.0.0.1"), "h2": ipaddress.IPv4Address("10.0.0.1")}


def test_plan_vlans_split_segments_and_trunks_join_them():
    p = plan(
        Topology.from_dict(
            {
                "nodes": nodes("a:host", "b:host", "g1:guest", "g2:guest", "s1:switch", "s2:switch"),
                "links": [
                    {"a": "a", "b": "s1", "vlan": 10},
                    {"a": "g1", "b": "s1", "vlan": 20},
                    {"a": "s1", "b": "s2", "vlans": [10, 20]},
                    {"a": "b", "b": "s2", "vlan": 10},
                    {"a": "g2", "b": "s2", "vlan": 20},
                ],
            }
        )
    )
    groups = sorted(sorted(m.node for m in s.members) for s in p.segments)
    assert groups == [["a", "b"], ["g1", "g2"]]
    assert sorted(p.bridges["s1"]) == [10, 20] and len(p.veth_pairs()) == 6


def test_plan_auto_routes_follow_shortest_paths():
    topo = Topology.from_dict(
        {
            "nodes": nodes("h1:host", "r1:router", "r2:router", "r3:router", "h3:host"),
            "links": links("h1-r1", "r1-r2", "r2-r3", "r3-h3", "r1-r3"),
        }
    )
    p = plan(topo)
    h3_net = next(s.subnet for s in p.segments if any(m.node == "h3" for m in s.members))
    via = dict(p.routes["r1"])[h3_net]
    r3_on_shared = next(i.ip.ip for i in p.interfaces["r3"] if i.peer_node == "r1")
    assert via == r3_on_shared, "r1 must reach h3's subnet directly via r3, not through r2"


def test_static_routing_keeps_only_given_routes():
    topo = Topology.from_dict(
        {
            "routing": "static",
            "nodes": nodes("h1:host", "r1:router", "r2:router"),
            "links": [{"a": "h1", "b": "r1"}, {"a": "r1", "b": "r2"}],
        }
    )
    assert plan(topo).routes == {"r1": [], "r2": []}
