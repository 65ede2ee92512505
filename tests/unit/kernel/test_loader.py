"""The one loader: it finds each format by name or content, keeps containerlab's and Mininet's names,
addresses and interface names, reports what it changed as data, and names file and format in errors.
Pure Python: no root, no processes."""

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from mininet.topo import SingleSwitchTopo, Topo

from mnss_kernel import cli, templates
from mnss_kernel.topology import Imported, Topology, TopologyError, load, plan
from mnss_kernel.topology.convert import (
    to_containerlab,
    to_cytoscape,
    to_mininet_python,
)
from mnss_kernel.topology.formats.common import node_names
from mnss_kernel.topology.formats.mininet import import_mininet
from mnss_kernel.topology.loader import detect

CLAB = Path(__file__).parents[2] / "data" / "containerlab"
MNSS_YAML = "name: two\nnodes: [{name: h1, kind: host}, {name: h2, kind: host}]\nlinks: [{a: h1, b: h2}]\n"
MININET_PY = textwrap.dedent("""\
    from mininet.topo import Topo

    class Pair(Topo):
        def build(self):
            self.addLink(self.addHost('h1'), self.addHost('h2'))
    """)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def interfaces(topo: Topology) -> dict[str, set[str]]:
    return {node: {i.name for i in ifs} for node, ifs in plan(topo).interfaces.items()}


# -- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("t.yaml", MNSS_YAML, "yaml"),
        ("t.json", json.dumps(yaml.safe_load(MNSS_YAML)), "json"),
        ("t.clab.yml", (CLAB / "br01.clab.yml").read_text(), "containerlab"),
        ("lab.yaml", (CLAB / "br01.clab.yml").read_text(), "containerlab"),  # content decides without .clab
        ("t.py", MININET_PY, "mininet"),
        ("topo.txt", MININET_PY, "mininet"),
        ("t.json", json.dumps(to_cytoscape(templates.star(2))), "cytoscape"),
        ("t.cyjs", json.dumps(to_cytoscape(templates.star(2))), "cytoscape"),
        ("", json.dumps({"elements": {"nodes": [], "edges": []}}), "cytoscape"),
        ("noext", MNSS_YAML, "yaml"),
    ],
    ids=[
        "yaml",
        "json",
        "clab-name",
        "clab-content",
        "py",
        "py-content",
        "cyto-json",
        "cyjs",
        "cy-elements",
        "yaml-content",
    ],
)
def test_detect_by_name_then_content(name, text, expected):
    assert detect(text, name)[0] == expected


@pytest.mark.parametrize(
    "fmt, writer",
    [
        ("yaml", lambda t: yaml.safe_dump(t.to_dict())),
        ("containerlab", lambda t: yaml.safe_dump(to_containerlab(t), sort_keys=False)),
        ("cytoscape", lambda t: json.dumps(to_cytoscape(t))),
    ],
)
def test_every_format_loads_from_a_file_or_its_text_to_the_same_topology(tmp_path, fmt, writer):
    topo = templates.tree(2, 2)
    text = writer(topo)
    from_file = load(write(tmp_path, "some-file", text))
    from_text = load(text)
    assert from_file.format == from_text.format == fmt
    assert from_file.topology.to_dict() == from_text.topology.to_dict() == topo.to_dict()
    assert from_file.source.endswith("some-file") and from_text.source == "text"


def test_mininet_file_and_mnss_written_mininet_file(tmp_path):
    pair = load(write(tmp_path, "pair.py", MININET_PY))
    assert pair.format == "mininet" and [n.name for n in pair.topology.nodes] == ["h1", "h2"]
    topo = Topology.from_dict(
        templates.linear(3).to_dict()
        | {"nodes": [{k: v for k, v in n.items() if k != "position"} for n in templates.linear(3).to_dict()["nodes"]]}
    )
    back = load(write(tmp_path, "linear.py", to_mininet_python(topo, addresses="given"))).topology
    assert back.to_dict() == topo.to_dict(), "a file MNSS wrote keeps MNSS's addressing, not Mininet's"


# -- errors name the file, the format and what is wrong ------------------------------------------


def test_errors_name_file_format_and_problem(tmp_path):
    with pytest.raises(TopologyError, match=r"invalid topology .*bad\.clab\.yml \(containerlab\)") as err:
        load(
            write(
                tmp_path,
                "bad.clab.yml",
                "name: x\ntopology:\n  nodes: {a: {kind: linux}}\n  links: [{endpoints: ['a:eth1', 'ghost:eth1']}]\n",
            )
        )
    assert err.value.problems == ["links[0] (a:eth1 - ghost:eth1): node 'ghost' is not in topology.nodes"]

    with pytest.raises(TopologyError, match=r"broken\.yaml \(yaml\).*\n.*not valid YAML"):
        load(write(tmp_path, "broken.yaml", "nodes: [unclosed\n"))
    with pytest.raises(TopologyError, match=r"broken\.json \(json\).*\n.*not valid JSON"):
        load(write(tmp_path, "broken.json", "{"))
    with pytest.raises(TopologyError, match=r"boom\.py \(mininet\).*\n.*running the file failed: ZeroDivisionError"):
        load(write(tmp_path, "boom.py", "1 / 0\n"))
    with pytest.raises(TopologyError, match=r"missing\.yaml.*\n.*cannot read file: No such file"):
        load(tmp_path / "missing.yaml")
    with pytest.raises(TopologyError, match=r"(?s)thing\.txt \(YAML\).*not valid YAML.*formats read: MNSS YAML"):
        load(write(tmp_path, "thing.txt", "a: [\n"))
    with pytest.raises(TopologyError, match="unknown format 'gns3'"):
        load(MNSS_YAML, "gns3")
    with pytest.raises(TopologyError, match=r"text \(mininet\).*\n.*loaded from its \.py file"):
        load(MININET_PY, "mininet")
    with pytest.raises(TopologyError, match=r"link h1-nowhere: node 'nowhere' does not exist"):
        load("nodes: [{name: h1, kind: host}]\nlinks: [{a: h1, b: nowhere}]\n")


def test_mininet_topology_that_needs_parameters_says_how_to_give_them(tmp_path):
    path = write(
        tmp_path,
        "param.py",
        "from mininet.topo import Topo\nclass Chain(Topo):\n"
        "    def build(self, N):\n"
        "        for i in range(1, N):\n"
        "            self.addLink('h%d' % i if i == 1 else 's%d' % (i - 1), self.addSwitch('s%d' % i))\n"
        "    def addLink(self, a, b, **kw):\n"
        "        a = a if a in self.g.node else self.addHost(a)\n"
        "        return Topo.addLink(self, a, b, **kw)\n",
    )
    with pytest.raises(TopologyError, match=r"missing 1 required positional argument: 'N'; give its parameters"):
        load(path)
    assert len(load(path, params={"N": 4}).topology.names("switch")) == 3
    assert len(load(path, args=(5,)).topology.names("switch")) == 4


def test_mininet_file_without_topos_offers_its_topo_classes_by_name(tmp_path):
    path = write(tmp_path, "two.py", MININET_PY + "\nclass Other(Pair):\n    pass\n")
    with pytest.raises(TopologyError, match=r"defines 2 topologies \(Pair, Other\); say which one"):
        load(path)
    assert load(path, name="Other").topology.name == "Other"
    with pytest.raises(TopologyError, match="no Topo class"):
        load(write(tmp_path, "none.py", "from mininet.topo import Topo\n"))


# -- names ---------------------------------------------------------------------------------------


def test_node_names_map_to_valid_unique_mnss_names():
    assert node_names(["br-clab", "br_clab", "1st", "ok", "a.b", "-"]) == {
        "br-clab": "br_clab_2",
        "br_clab": "br_clab",
        "1st": "n1st",
        "ok": "ok",
        "a.b": "a_b",
        "-": "n_",
    }


def test_containerlab_br01_maps_the_bridge_name_and_says_so():
    imported = load(CLAB / "br01.clab.yml")
    assert isinstance(imported, Imported) and imported.format == "containerlab"
    assert imported.renamed == {"br-clab": "br_clab"}
    assert "node 'br-clab' is named 'br_clab' (MNSS node names use letters, digits and '_')" in imported.notes
    topo = imported.topology
    assert topo.node("br_clab").kind == "switch" and topo.node("br_clab").label == "br-clab"
    assert [n.kind for n in topo.nodes if n.name.startswith("srl")] == ["router"] * 3
    assert interfaces(topo) == {
        "srl1": {"e1-1"},
        "srl2": {"e1-1"},
        "srl3": {"e1-1"},
        "br_clab": {"eth1", "eth2", "eth3"},
    }


def test_containerlab_exec_addresses_and_routes_are_kept_and_the_rest_noted():
    imported = load(CLAB / "frr01.clab.yml")
    topo, p = imported.topology, plan(imported.topology)
    assert [n.kind for n in topo.nodes] == ["router"] * 3 + ["host"] * 3
    assert {str(i.ip) for i in p.interfaces["PC1"]} == {"192.168.11.2/24"}
    assert [i.name for i in p.interfaces["PC1"]] == ["eth1"]
    assert topo.node("PC2").routes == [
        {"to": "192.168.0.0/16", "via": "192.168.12.1"},
        {"to": "10.10.10.0/24", "via": "192.168.12.1"},
    ]
    assert "node 'router1': binds ignored (MNSS configures nodes from the topology)" in imported.notes
    assert not any("exec not run" in note for note in imported.notes), "every exec line of frr01 is understood"


def test_containerlab_exec_default_routes_and_unknown_lines():
    imported = load(
        textwrap.dedent("""\
        name: x
        topology:
          nodes:
            h: {kind: linux, exec: ["ip addr add 10.1.0.2/24 dev eth1", "ip route add default via 10.1.0.1",
                                    "sysctl -w net.ipv4.ip_forward=1"]}
            r: {kind: linux, image: frrouting/frr:v8, exec: ["ip route add default via 10.1.0.2"]}
          links: [{endpoints: ["h:eth1", "r:eth1"]}]
          """)
    )
    topo = imported.topology
    assert topo.node("h").gateway == "10.1.0.1" and topo.links[0].ip_a == "10.1.0.2/24"
    assert topo.node("r").kind == "router" and topo.node("r").routes == [{"to": "0.0.0.0/0", "via": "10.1.0.2"}]
    assert "node 'h': exec not run: sysctl -w net.ipv4.ip_forward=1" in imported.notes


def test_containerlab_interface_names_linux_refuses_are_left_to_mnss():
    imported = load(
        textwrap.dedent("""\
        name: x
        topology:
          nodes: {a: {kind: linux}, b: {kind: linux}}
          links: [{endpoints: ["a:ethernet-1/1", "b:eth1"]}]
          """)
    )
    assert interfaces(imported.topology) == {"a": {"a-eth0"}, "b": {"eth1"}}
    assert imported.notes == (
        (
            "links[0] (a:ethernet-1/1 - b:eth1): interface name 'ethernet-1/1' is not a Linux "
            "interface name; MNSS names it"
        ),
    )


def test_containerlab_round_trip_keeps_given_interface_names():
    topo = load(CLAB / "br01.clab.yml").topology
    again = load(yaml.safe_dump(to_containerlab(topo), sort_keys=False)).topology
    assert again.to_dict() == topo.to_dict()


# -- Mininet fidelity ------------------------------------------------------------------------------


def test_mininet_addressing_is_mininets():
    class Numbered(Topo):
        def build(self):
            s1 = self.addSwitch("s1")
            for name in ("h10", "h2", "h1"):  # added out of order: Mininet numbers in name order
                self.addLink(self.addHost(name), s1)
            self.addLink(self.addHost("h3", ip="10.0.0.33/8"), s1)

    topo = import_mininet(Numbered()).topology
    p = plan(topo)
    assert {h: str(p.interfaces[h][0].ip) for h in ("h1", "h2", "h3", "h10")} == {
        "h1": "10.0.0.1/8",
        "h2": "10.0.0.2/8",
        "h3": "10.0.0.33/8",
        "h10": "10.0.0.4/8",
    }
    assert {h: p.interfaces[h][0].name for h in ("h1", "h2", "h10")} == {
        "h1": "h1-eth0",
        "h2": "h2-eth0",
        "h10": "h10-eth0",
    }


def test_mininet_addressing_can_be_left_to_mnss():
    topo = import_mininet(SingleSwitchTopo(k=2), mininet_addresses=False).topology
    assert str(plan(topo).interfaces["h1"][0].ip) == "10.0.0.10/24"


def test_mininet_intfname_and_ports_are_kept():
    class Named(Topo):
        def build(self):
            r0 = self.addNode("r0", cls=type("LinuxRouter", (), {}), ip="192.168.1.1/24")
            s1, s2 = self.addSwitch("s1"), self.addSwitch("s2")
            self.addLink(s1, r0, intfName2="r0-eth1", params2={"ip": "192.168.1.1/24"})
            self.addLink(s2, r0, intfName2="r0-eth2", params2={"ip": "172.16.0.1/12"})
            self.addLink(self.addHost("h1", ip="192.168.1.100/24"), s1, intfName1="uplink")
            self.addLink(self.addHost("h2", ip="172.16.0.100/12"), s2, port2=7)

    topo = import_mininet(Named()).topology
    assert interfaces(topo) == {
        "r0": {"r0-eth1", "r0-eth2"},
        "s1": {"s1-eth1", "s1-eth2"},
        "s2": {"s2-eth1", "s2-eth7"},
        "h1": {"uplink"},
        "h2": {"h2-eth0"},
    }
    assert [(link.if_a, link.if_b) for link in topo.links] == [
        (None, "r0-eth1"),
        (None, "r0-eth2"),
        ("uplink", None),
        (None, "s2-eth7"),
    ], "only names MNSS would not choose"


def test_mininet_names_with_hyphens_are_mapped_and_keep_their_interface_names():
    class Hyphens(Topo):
        def build(self):
            s1 = self.addSwitch("s1")
            self.addLink(self.addHost("h1-100"), s1)
            self.addLink(self.addHost("h2-100"), s1)

    imported = import_mininet(Hyphens())
    assert imported.renamed == {"h1-100": "h1_100", "h2-100": "h2_100"}
    assert interfaces(imported.topology)["h1_100"] == {"h1-100-eth0"}
    assert imported.topology.node("h1_100").label == "h1-100"


# -- the model's interface names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "links, problem",
    [
        (
            [{"a": "h1", "b": "s1", "if_a": "x"}, {"a": "h2", "b": "s1", "if_b": "s1-eth1"}],
            "node 's1': interface name 's1-eth1' is used twice on this node",
        ),
        (
            [{"a": "h1", "b": "s1", "if_b": "br1"}, {"a": "h2", "b": "s1"}],
            "node 's1': interface name 'br1' is taken by the node's own device br1; choose another name",
        ),
        (
            [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1", "if_a": "lo"}],
            "node 'h2': interface name 'lo' is taken by the node's own device lo; choose another name",
        ),
    ],
)
def test_interface_names_that_cannot_work_are_named(links, problem):
    data = {
        "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}, {"name": "s1", "kind": "switch"}],
        "links": links,
    }
    with pytest.raises(TopologyError) as err:
        Topology.from_dict(data)
    assert problem in err.value.problems


def test_interface_name_form_and_trunks_are_checked():
    base = {"nodes": [{"name": "s1", "kind": "switch"}, {"name": "s2", "kind": "switch"}]}
    with pytest.raises(TopologyError, match="if_a"):
        Topology.from_dict(base | {"links": [{"a": "s1", "b": "s2", "if_a": "has/slash"}]})
    with pytest.raises(TopologyError, match="a trunk of several VLANs is one veth pair per VLAN"):
        Topology.from_dict(base | {"links": [{"a": "s1", "b": "s2", "vlans": [10, 20], "if_a": "t1"}]})


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_validates_and_plans_other_formats_and_prints_notes_apart(tmp_path, capsys):
    assert cli.main(["topo", "validate", str(CLAB / "br01.clab.yml"), str(CLAB / "clos01.clab.yml")]) == 0
    captured = capsys.readouterr()
    assert "OK" in captured.out and "br01.clab.yml: 4 nodes, 3 links" in captured.out
    assert "note: " in captured.err and "'br-clab' is named 'br_clab'" in captured.err
    assert "Warning" not in captured.err and "warn(" not in captured.err

    chain = write(tmp_path, "chain.py", "from mininet.topo import LinearTopo\ntopos = {'chain': LinearTopo}\n")
    assert cli.main(["topo", "plan", str(chain), "--topo", "chain,k=3"]) == 0
    out = capsys.readouterr().out
    assert "h1:h1-eth0=10.0.0.1/8" in out and "h3:h3-eth0=10.0.0.3/8" in out

    assert cli.main(["topo", "plan", str(write(tmp_path, "bad.clab.yml", "name: [\n"))]) == 2
    assert "bad.clab.yml (containerlab)" in capsys.readouterr().err


def test_cli_mininet_topo_option_reads_like_mn():
    assert cli._mininet_topo("lin,4,k=5,bw=2.5,name=x") == ("lin", (4,), {"k": 5, "bw": 2.5, "name": "x"})
    assert cli._mininet_topo(None) == (None, (), {})


@pytest.mark.parametrize("addresses", ["plan", "given"])
def test_interface_names_travel_through_a_mininet_file(tmp_path, addresses):
    topo = load(CLAB / "frr01.clab.yml").topology
    back = load(write(tmp_path, "frr01.py", to_mininet_python(topo, addresses=addresses))).topology
    assert interfaces(back) == interfaces(topo)
    assert "intfName1='eth1'" in to_mininet_python(topo)
