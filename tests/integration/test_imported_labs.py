"""Third-party labs run unchanged: containerlab's published lab examples and the example scripts
that ship with Mininet are loaded as they are, built on real network namespaces, and ping at 0%
loss with their own addresses and interface names. Each lab is torn down by `with Lab(...)`, also
when an assertion fails, and `no_leftovers` checks that nothing stays behind."""

import importlib.util
from pathlib import Path

import pytest

from mnss_kernel import cli, measure
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import load

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]

CLAB = Path(__file__).parents[1] / "data" / "containerlab"
MININET_EXAMPLES = Path(importlib.util.find_spec("mininet.examples").submodule_search_locations[0])


def addresses(lab: Lab, node: str) -> dict[str, set[str]]:
    """{interface: {address/prefix}} as the node's namespace reports it (lo left out)."""
    out = lab.cmd(node, "ip -o -4 addr show").stdout
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[1] != "lo":
            found.setdefault(parts[1], set()).add(parts[3])
    return found


def links(lab: Lab, node: str) -> set[str]:
    """The names of the node's links (veth ends) as the kernel reports them; a switch's own bridge is left out."""
    out = lab.cmd(node, "ip -o link show type veth").stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def all_ping(lab: Lab, expected_nodes: int) -> None:
    pings = measure.ping_matrix(lab)
    assert len(pings) == expected_nodes * (expected_nodes - 1), pings
    assert (pings.sent == 3).all(), pings
    assert (pings.loss_pct == 0).all(), pings


@pytest.mark.parametrize(
    "name, nodes, interfaces",
    [
        ("br01", 3, {"srl1": {"e1-1"}, "br_clab": {"eth1", "eth2", "eth3"}}),
        ("srl02", 2, {"srl1": {"e1-1"}, "srl2": {"e1-1"}}),
        ("clos01", 5, {"spine": {"e1-1", "e1-2"}, "leaf1": {"e1-1", "e1-2"}, "client2": {"eth1"}}),
        ("frr01", 6, {"router1": {"eth1", "eth2", "eth3"}, "PC3": {"eth1"}}),
    ],
)
def test_containerlab_lab_examples_run_unchanged(name, nodes, interfaces):
    imported = load(CLAB / f"{name}.clab.yml")
    with Lab(imported.topology) as lab:
        for node, names in interfaces.items():
            assert links(lab, node) == names, f"{node} keeps its interface names"
        all_ping(lab, nodes)
        if name == "frr01":  # the PCs' addresses come from the file's exec lines
            assert addresses(lab, "PC1") == {"eth1": {"192.168.11.2/24"}}
            assert addresses(lab, "PC2") == {"eth1": {"192.168.12.2/24"}}
    assert not lab.running


def test_mnss_topo_run_runs_containerlab_br01(capsys):
    """The command a user types: its bridge 'br-clab' is renamed with a note, and all ping."""
    assert cli.main(["topo", "run", "--ping", str(CLAB / "br01.clab.yml")]) == 0
    captured = capsys.readouterr()
    assert "note: " in captured.err and "'br-clab' is named 'br_clab'" in captured.err
    assert "pairs: 6, with loss: 0" in captured.out
    assert "stopped; everything removed" in captured.out


def test_mininet_linuxrouter_example_runs_unchanged():
    """examples/linuxrouter.py: three subnets on a router, with its intfName2 names and its addresses."""
    imported = load(MININET_EXAMPLES / "linuxrouter.py")
    with Lab(imported.topology) as lab:
        assert addresses(lab, "r0") == {
            "r0-eth1": {"192.168.1.1/24"},
            "r0-eth2": {"172.16.0.1/12"},
            "r0-eth3": {"10.0.0.1/8"},
        }
        assert addresses(lab, "h1") == {"h1-eth0": {"192.168.1.100/24"}}
        assert addresses(lab, "h3") == {"h3-eth0": {"10.0.0.100/8"}}
        assert links(lab, "s1") == {"s1-eth1", "s1-eth2"}
        all_ping(lab, 4)


def test_mininet_linearbandwidth_example_runs_unchanged_with_mininets_addresses(capsys):
    """examples/linearbandwidth.py's topology with N=4, as `mnss topo run --topo` builds it: Mininet's
    own numbering 10.0.0.1/8 ... in host order, and its interface names."""
    path = MININET_EXAMPLES / "linearbandwidth.py"
    assert cli.main(["topo", "run", "--ping", "--topo", "LinearTestTopo,N=4", str(path)]) == 0
    assert "pairs: 12, with loss: 0" in capsys.readouterr().out
    imported = load(path, name="LinearTestTopo", params={"N": 4})
    with Lab(imported.topology) as lab:
        for n in range(1, 5):
            assert addresses(lab, f"h{n}") == {f"h{n}-eth0": {f"10.0.0.{n}/8"}}
        assert links(lab, "s2") == {"s2-eth1", "s2-eth2", "s2-eth3"}
        all_ping(lab, 4)


def test_mininets_own_topolib_tree_runs_unchanged():
    """mininet/topolib.py (what `mn --topo tree,2,3` builds): picked by class name, Mininet's addresses."""
    path = Path(importlib.util.find_spec("mininet.topolib").origin)
    imported = load(path, name="TreeTopo", params={"depth": 2, "fanout": 3})
    with Lab(imported.topology) as lab:
        assert addresses(lab, "h9") == {"h9-eth0": {"10.0.0.9/8"}}
        assert links(lab, "s1") == {"s1-eth1", "s1-eth2", "s1-eth3"}
        all_ping(lab, 9)
