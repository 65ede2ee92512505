"""Fault localisation without a kernel: the reads are parsed from captured tool output, and the
suspects are found from views of each node built from the plan (the intact network) and then changed
as each fault kind changes them. No root, no processes."""

import ipaddress
import json

import pandas as pd
import pytest

from mnss_kernel import faults, templates
from mnss_kernel.diagnose import Diagnosis, diagnose, fault_key, findings
from mnss_kernel.diagnose.command import parse_fault
from mnss_kernel.diagnose.observe import (
    NodeView,
    Port,
    Rule,
    parse_forward_rules,
    parse_links,
    parse_rates,
    parse_read,
    parse_routes,
    read_command,
)
from mnss_kernel.diagnose.paths import Paths
from mnss_kernel.runtime import EngineError, Lab
from mnss_kernel.runtime.ledger import DefaultVia, Ledger
from mnss_kernel.runtime.shell import CommandResult
from mnss_kernel.topology import Topology, plan as make_plan
from tests.support.topologies import links, nodes

LINKS = (
    '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"]},'
    '{"ifindex":4,"ifname":"s1-eth1","flags":["BROADCAST","UP","LOWER_UP"],"master":"br10"},'
    '{"ifindex":6,"ifname":"s1-eth2","flags":["BROADCAST","MULTICAST"],"master":"br20"}]'
)
ROUTES = (
    '[{"dst":"default","gateway":"10.0.0.1","dev":"h1-eth0","flags":[]},'
    '{"dst":"10.0.0.0/24","dev":"h1-eth0","protocol":"kernel","scope":"link","prefsrc":"10.0.0.10","flags":[]}]'
)
RULES = """-P FORWARD ACCEPT
-A FORWARD -s 10.0.0.0/24 -d 10.0.2.0/24 -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -p udp -m udp --dport 53 -j DROP
-A FORWARD -s 10.0.9.0/24 -j ACCEPT
"""
CLASSES = """DEV r1-eth0
class htb 1:1 root prio 0 rate 1Mbit ceil 1Mbit burst 15Kb cburst 1600b
DEV r1-eth1
DEV r1-eth2
class htb 1:1 root prio 0 rate 50Mbit ceil 50Mbit burst 15Kb cburst 1600b
"""


def test_the_reads_are_parsed_from_the_tools_output():
    assert parse_links(LINKS) == {
        "lo": Port(True, True, None),
        "s1-eth1": Port(True, True, "br10"),
        "s1-eth2": Port(False, False, "br20"),
    }
    assert parse_routes(ROUTES) == {"default": "10.0.0.1", "10.0.0.0/24": None}
    policy, drops = parse_forward_rules(RULES)
    assert policy == "ACCEPT"
    assert [(r.src, r.dst, r.proto, r.port) for r in drops] == [
        ("10.0.0.0/24", "10.0.2.0/24", None, None),
        (None, None, "udp", 53),
    ]
    assert parse_rates(CLASSES) == {"r1-eth0": 1.0, "r1-eth2": 50.0}
    command = read_command(l3=True)
    assert command.count("echo @@mnss-diagnose@@") == 3 and "iptables -S FORWARD" in command
    assert "iptables" not in read_command(l3=False) and "tc class show dev $d" in read_command(l3=False)
    view = parse_read("@@mnss-diagnose@@".join([LINKS, ROUTES, RULES, CLASSES]))
    assert view.policy == "ACCEPT" and view.rates["r1-eth0"] == 1.0 and not view.error
    assert parse_read("nsenter: cannot open").error


def faultmix() -> Topology:
    return Topology.from_dict(
        {
            "name": "faultmix",
            "nodes": [
                *nodes("h1:host", "h2:host", "s1:switch", "r1:router", "r2:router"),
                {
                    "name": "fw1",
                    "kind": "firewall",
                    "rules": [{"action": "deny", "src": "10.0.0.0/24", "dst": "10.0.3.0/24", "proto": "icmp"}],
                },
                *nodes("h3:host", "h4:host"),
            ],
            "links": [
                {"a": "h1", "b": "s1", "vlan": 10},
                {"a": "h2", "b": "s1", "vlan": 10},
                {"a": "s1", "b": "r1", "vlan": 10, "bw": 50},
                *links("r1-r2", "r2-fw1", "fw1-h3", "fw1-h4"),
            ],
        }
    )


def clean_views(topo: Topology, plan) -> dict[str, NodeView]:
    """What every node of the intact network shows."""
    views = {}
    for node in topo.nodes:
        ifs = plan.interfaces[node.name]
        view = NodeView(ports={i.name: Port(True, True, f"br{i.vlan}" if i.vlan else None) for i in ifs})
        view.routes = {str(i.ip.network): None for i in ifs if i.ip}
        view.routes |= {str(net): str(via) for net, via in plan.routes.get(node.name, [])}
        if node.name in plan.gateways:
            view.routes["default"] = str(plan.gateways[node.name])
        view.drops = [Rule(r.get("src"), r.get("dst"), r.get("proto"), r.get("port"), "-A") for r in node.rules]
        view.rates = {i.name: topo.links[i.link_index].bw for i in ifs if topo.links[i.link_index].bw}
        views[node.name] = view
    return views


def set_down(views, plan, node: str, peer: str | None = None) -> None:
    """As `ip link set down`: the interfaces go down, and the kernel drops the routes through them."""
    for i in plan.interfaces[node]:
        if peer is None or i.peer_node == peer:
            views[node].ports[i.name].admin_up = False
            if i.ip:
                net = i.ip.network
                views[node].routes = {
                    k: v
                    for k, v in views[node].routes.items()
                    if k != str(net) and (v is None or ipaddress.IPv4Address(v) not in net)
                }


@pytest.fixture
def net():
    topo = faultmix()
    return topo, make_plan(topo)


def test_the_intact_network_has_no_suspect(net):
    topo, plan = net
    assert findings.find(topo, plan, clean_views(topo, plan)) == []


def apply(kind: str, topo, plan, views) -> tuple:
    """Change the views as a fault of `kind` changes the kernel; returns the fault's key."""
    if kind == "link_down":
        set_down(views, plan, "r1", "r2")
        set_down(views, plan, "r2", "r1")
        return fault_key(faults.LinkDown("r2", "r1"))
    if kind == "node_down":
        set_down(views, plan, "r2")
        return fault_key(faults.NodeDown("r2"))
    if kind == "wrong_vlan":
        port = next(i for i in plan.interfaces["s1"] if i.peer_node == "h2")
        views["s1"].ports[port.name].master = "br11"
        return fault_key(faults.WrongVlan("s1", "h2", 11))
    if kind == "wrong_gateway":
        views["h1"].routes["default"] = "10.0.0.254"
        return fault_key(faults.WrongGateway("h1", "10.0.0.254"))
    if kind == "route_removed":
        net = str(plan.routes["r1"][0][0])
        del views["r1"].routes[net]
        return fault_key(faults.RouteRemoved("r1", net))
    if kind == "firewall_block":
        views["r2"].drops.append(Rule("10.0.0.0/24", "10.0.4.0/24", None, None, "-A FORWARD -s ... -j DROP"))
        return fault_key(faults.FirewallBlock("r2", "10.0.0.0/24", "10.0.4.0/24"))
    if kind == "throttle":
        end = next(i for i in plan.interfaces["s1"] if i.peer_node == "r1")
        views["s1"].rates[end.name] = 1.0
        return fault_key(faults.Throttle("s1", "r1", 1))
    raise AssertionError(kind)


KINDS = ["link_down", "node_down", "wrong_vlan", "wrong_gateway", "route_removed", "firewall_block", "throttle"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_fault_kind_is_the_one_suspect_with_evidence_in_both_languages(net, kind):
    topo, plan = net
    views = clean_views(topo, plan)
    key = apply(kind, topo, plan, views)
    found = findings.find(topo, plan, views)
    assert [s.key for s in found] == [key]
    text_en, text_zh = found[0].text("en"), found[0].text("zh-CN")
    assert found[0].evidence and all(en and zh for en, zh in found[0].evidence)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text_zh) and not any("\u4e00" <= ch <= "\u9fff" for ch in text_en)


@pytest.mark.parametrize(
    "pair", [("link_down", "wrong_vlan"), ("node_down", "firewall_block"), ("throttle", "route_removed")]
)
def test_two_faults_are_two_suspects(net, pair):
    topo, plan = net
    views = clean_views(topo, plan)
    keys = {apply(kind, topo, plan, views) for kind in pair}
    assert {s.key for s in findings.find(topo, plan, views)} == keys


def test_a_route_the_kernel_dropped_with_its_interface_is_the_links_fault_not_a_second_one(net):
    topo, plan = net
    views = clean_views(topo, plan)
    apply("link_down", topo, plan, views)
    gone = [str(net) for net, _ in plan.routes["r1"] if str(net) not in views["r1"].routes]
    assert gone, "the link's routes are gone from r1"
    assert [s.kind for s in findings.find(topo, plan, views)] == ["link_down"]


def test_a_host_whose_only_link_is_down_is_a_link_fault_not_a_node_fault(net):
    topo, plan = net
    views = clean_views(topo, plan)
    set_down(views, plan, "h3")
    set_down(views, plan, "fw1", "h3")
    assert [s.key for s in findings.find(topo, plan, views)] == [fault_key(faults.LinkDown("fw1", "h3"))]


def test_a_second_copy_of_a_planned_deny_rule_is_a_blocking_rule(net):
    """Put first, before the rule accepting replies, it drops the way back too."""
    topo, plan = net
    views = clean_views(topo, plan)
    views["fw1"].drops.insert(0, Rule("10.0.0.0/24", "10.0.3.0/24", "icmp", None, "-A FORWARD -s ... -j DROP"))
    (found,) = findings.find(topo, plan, views)
    assert found.key == fault_key(faults.FirewallBlock("fw1", "10.0.0.0/24", "10.0.3.0/24"))
    assert "here it is once more" in found.evidence[0][0] and "多出一条" in found.evidence[0][1]


def test_paths_know_what_the_topology_blocks_and_which_hops_a_pair_crosses(net):
    topo, plan = net
    paths = Paths(topo, plan)
    assert paths.blocked_by_design("h1", "h3")  # fw1 denies 10.0.0.0/24 -> 10.0.3.0/24 icmp
    assert not paths.blocked_by_design("h1", "h4")
    assert paths.crosses("h1", "h4", set(), frozenset(("r1", "r2")))
    assert paths.crosses("h1", "h4", {"s1"}) and not paths.crosses("h3", "h4", {"r1"})
    net_h4 = next(str(n) for n, _ in plan.routes["r1"] if ipaddress.IPv4Address(plan.address("h4")) in n)
    assert paths.uses_route("h1", "h4", "r1", net_h4)


def test_the_campus_template_blocks_only_its_guest_network_by_design():
    topo = templates.TEMPLATES["hospital_campus"].build()
    paths = Paths(topo, make_plan(topo))
    guests = [n for n in topo.names() if n.startswith("g") and n[1:].isdigit()]
    assert guests and paths.blocked_by_design(guests[0], "pacs")
    assert not paths.blocked_by_design("pacs", "his")


def test_the_ping_matrix_weighs_and_ranks_suspects(net):
    topo, plan = net
    views = clean_views(topo, plan)
    apply("throttle", topo, plan, views)
    apply("node_down", topo, plan, views)
    found = findings.find(topo, plan, views)
    paths = Paths(topo, plan)
    pings = pd.DataFrame(
        [
            {"src": "h1", "dst": "h4", "dst_ip": str(plan.address("h4")), "loss_pct": 100.0},
            {"src": "h1", "dst": "h3", "dst_ip": str(plan.address("h3")), "loss_pct": 100.0},  # by design
            {"src": "h1", "dst": "h2", "dst_ip": str(plan.address("h2")), "loss_pct": 0.0},
        ]
    )
    bad = findings.failing(pings, paths)
    assert list(bad.dst) == ["h4"]
    findings.weigh(found, bad, paths)
    assert [s.kind for s in found] == ["node_down", "throttle"] and found[0].score > found[1].score
    result = Diagnosis(found, pings, bad, 1.5)
    assert result.blocked_by_design == 1
    assert "1 of 3 ping pairs fail that should not" in result.text("en") and "按设计不通" in result.text("zh-CN")
    assert list(result.to_frame().kind) == ["node_down", "throttle"]


def test_a_wrong_gateway_explains_only_the_pairs_that_leave_its_subnet(net):
    """Inside its subnet a host reaches its neighbours directly (after ARP): a wrong default gateway
    cannot be why h1 and h2 (both on s1) fail, only why h1 and the hosts behind the routers do."""
    topo, plan = net
    views = clean_views(topo, plan)
    apply("wrong_gateway", topo, plan, views)
    (suspect,) = findings.find(topo, plan, views)
    paths = Paths(topo, plan)
    rows = pd.DataFrame([{"src": a, "dst": b} for a, b in (("h1", "h2"), ("h2", "h1"), ("h1", "h4"), ("h4", "h1"))])
    assert [findings.related_to(suspect, row, paths) for row in rows.itertuples()] == [False, False, True, True]


def test_fault_specs_from_the_command_line():
    assert parse_fault("wrong_vlan:s1,h2,20") == faults.WrongVlan("s1", "h2", 20)
    assert parse_fault("throttle:a,b,1.5") == faults.Throttle("a", "b", 1.5)
    with pytest.raises(ValueError, match="unknown fault kind 'cable_cut'.*未知故障类型"):
        parse_fault("cable_cut:a,b")
    with pytest.raises(ValueError, match="link_down takes link_down:a,b"):
        parse_fault("link_down:a")


def test_a_wrong_gateway_is_one_fault_per_host_and_sets_the_default_route(net):
    topo, plan = net
    book = Ledger()
    book.add(DefaultVia("h1", "10.0.0.254"))
    with pytest.raises(EngineError, match="contradicts.*请先修复"):
        book.add(DefaultVia("h1", "10.0.0.253"))
    lab = Lab(topo)
    lab.faults.add(DefaultVia("h1", "10.0.0.254"))
    assert lab._route_lines("h1") == ["route replace default via 10.0.0.254"]
    assert lab._route_lines("h2") == [f"route replace default via {plan.gateways['h2']}"]
    offered = [f for f in faults.candidates(topo, plan) if f.kind == "wrong_gateway"]
    assert {f.host for f in offered} == set(plan.gateways)
    assert all(f.gateway != str(plan.gateways[f.host]) for f in offered)
    assert next(f for f in offered if f.host == "h1").gateway == "10.0.0.254"


def rendered(view: NodeView) -> str:
    """What the read command prints on a node showing `view` (ip -j link, ip -j route, iptables, tc)."""
    links = []
    for name, p in view.ports.items():
        links.append({"ifname": name, "flags": ["UP", "LOWER_UP"] if p.admin_up else []})
        if p.master:
            links[-1]["master"] = p.master
    routes = [{"dst": dst} | ({"gateway": via} if via else {}) for dst, via in view.routes.items()]
    rules = "-P FORWARD ACCEPT\n"
    for r in view.drops:
        words = [("-s", r.src), ("-d", r.dst), ("-p", r.proto), ("--dport", r.port)]
        rules += "-A FORWARD " + " ".join(f"{k} {v}" for k, v in words if v) + " -j DROP\n"
    classes = "".join(f"DEV {dev}\nclass htb 1:1 root rate {rate:g}Mbit\n" for dev, rate in view.rates.items())
    return "@@mnss-diagnose@@".join([json.dumps(links), json.dumps(routes), rules, classes])


class ReadOnlyLab:
    """A lab seen only through its nodes' commands; it has no fault ledger to look at."""

    def __init__(self, topo, views):
        self.topology, self.views, self.commands = topo, views, []

    def cmd(self, node, command, timeout=60):
        self.commands.append((node, command))
        return CommandResult(node, command, 0, rendered(self.views[node]), "")

    @property
    def faults(self):
        raise AssertionError("the diagnosis looked at the fault ledger")


def test_diagnose_reads_the_nodes_and_never_the_fault_ledger(net):
    topo, plan = net
    views = clean_views(topo, plan)
    key = apply("wrong_vlan", topo, plan, views)
    lab = ReadOnlyLab(topo, views)
    result = diagnose(lab, ping=False, trace=False)
    assert [s.key for s in result.suspects] == [key]
    assert {node for node, _ in lab.commands} == set(topo.names())
    assert all("iptables -S FORWARD" in c and "tc class show" in c for n, c in lab.commands if n == "r1")


def test_the_diagnosis_keeps_no_text_of_its_own_in_code():
    """Every sentence comes from mnss_kernel/diagnose/messages.yaml: no string in the code (other
    than a docstring) is in Chinese, and every suspect kind has its label in both languages."""
    import ast
    from pathlib import Path

    import mnss_kernel.diagnose as package
    from mnss_kernel.diagnose import KIND_LABELS

    for source in Path(package.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text("utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        chinese = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and any("\u4e00" <= ch <= "\u9fff" for ch in node.value)
        ]
        assert not chinese, f"{source.name}: {chinese}"
    assert set(KIND_LABELS) == {*(cls.kind for cls in faults.Fault.__subclasses__()), "unexplained"}
    assert all(en and zh and en != zh for en, zh in KIND_LABELS.values())


def test_the_catalogue_texts_read_as_the_diagnosis_always_wrote_them(net):
    """The words the diagnosis printed before its texts moved to the catalogue, both languages."""
    topo, plan = net
    views = clean_views(topo, plan)
    port = next(i for i in plan.interfaces["s1"] if i.peer_node == "h2")
    views["s1"].ports[port.name].master = None
    views["h1"].routes["default"] = str(plan.address("h2"))
    vlan, gateway = sorted(findings.find(topo, plan, views), key=lambda s: s.kind)[::-1]
    assert vlan.text("en") == (
        "wrong VLAN: port s1-eth2 of s1 (to h2) is in no bridge, planned VLAN 10\n"
        "    - ip link on s1: s1-eth2 master (none), planned br10"
    )
    assert vlan.text("zh-CN") == (
        "VLAN 划分错误：s1 的端口 s1-eth2（连接 h2）在 未加入任何网桥，计划为 VLAN 10\n"
        "    - s1 上 ip link：s1-eth2 的 master 为 （无），计划为 br10"
    )
    assert gateway.evidence == [
        (
            "ip route on h1: default via 10.0.0.11; planned default via 10.0.0.1",
            "h1 上 ip route：默认路由经由 10.0.0.11；计划默认网关为 10.0.0.1",
        ),
        ("10.0.0.11 is the address of h2, not a router", "10.0.0.11 是 h2 的地址，不是路由器"),
    ]
    pings = pd.DataFrame([{"src": "h1", "dst": "h3", "dst_ip": str(plan.address("h3")), "loss_pct": 100.0}])
    empty = Diagnosis([], pings, pings.iloc[0:0], 0.25)
    assert empty.text("en") == (
        "diagnosis took 0.2 s; 0 of 1 ping pairs fail that should not (1 more are blocked by design); 0 suspect(s)\n"
        "no fault found: the lab is as intended."
    )
    assert empty.text("zh-CN") == (
        "诊断用时 0.2 秒；1 对 ping 中 0 对异常不通（另有 1 对按设计不通）；嫌疑 0 项\n未发现故障：与预期拓扑一致。"
    )
