"""From what a lab looks like to suspects: the intended state (the topology's plan) against the reads,
then the ping matrix to weigh each suspect by the traffic it breaks. Pure functions: no lab needed.

A difference is only a suspect where no other finding explains it: Linux deletes the routes through
an interface that is set down, so a missing route behind a down link is the link's fault, not a
second one; a node whose interfaces are all down is one fault, not one per link.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

import pandas as pd

from ..catalog import is_l3, role
from .observe import NodeView
from .paths import Paths
from .suspects import Suspect

READ = 0.9  # score of a fault read directly from the kernel state
UNEXPLAINED = 0.3


def _down(views: dict[str, NodeView], node: str, ifname: str) -> bool | None:
    view = views.get(node)
    if view is None or view.error or ifname not in view.ports:
        return None
    return not view.ports[ifname].admin_up


def find(topology, plan, views: dict[str, NodeView]) -> list[Suspect]:
    found: list[Suspect] = []
    down_nodes = _node_down(topology, plan, views, found)
    down_ifs = _link_down(topology, plan, views, down_nodes, found)
    _wrong_vlan(plan, views, found)
    _routes(topology, plan, views, down_nodes, down_ifs, found)
    _gateways(topology, plan, views, down_nodes, down_ifs, found)
    _firewall(topology, views, found)
    _throttle(topology, plan, views, found)
    return found


def _node_down(topology, plan, views, found) -> set[str]:
    """A node whose every interface is set down while some neighbour's end is still up."""
    down = set()
    for node in topology.nodes:
        ifs = plan.interfaces[node.name]
        if not ifs or not all(_down(views, node.name, i.name) for i in ifs):
            continue
        peers_up = [i for i in ifs if _down(views, i.peer_node, i.peer_name) is False]
        if not peers_up:
            continue  # every link is down at both ends: links, not the node
        down.add(node.name)
        names = ", ".join(i.name for i in ifs)
        found.append(
            Suspect(
                "node_down",
                {"node": node.name},
                (f"{node.name} is down", f"{node.name} 已宕机"),
                [
                    (
                        f"ip link on {node.name}: all {len(ifs)} interfaces are administratively down ({names})",
                        f"{node.name} 上 ip link：全部 {len(ifs)} 个接口均处于管理性关闭（{names}）",
                    ),
                    (
                        f"its neighbours' ends are up but see no carrier: "
                        f"{', '.join(f'{i.peer_node}:{i.peer_name}' for i in peers_up)}",
                        f"邻居端口开启但无载波：{', '.join(f'{i.peer_node}:{i.peer_name}' for i in peers_up)}",
                    ),
                ],
                nodes=frozenset({node.name}),
            )
        )
    return down


def _link_down(topology, plan, views, down_nodes, found) -> set[tuple[str, str]]:
    """Both ends of a link set down, not both explained by their nodes being down."""
    down_ifs = {(i.node, i.name) for ifs in plan.interfaces.values() for i in ifs if _down(views, i.node, i.name)}
    for index, link in enumerate(topology.links):
        if not link.up:
            continue  # down by design
        pairs = [i for i in plan.interfaces_of_link(index) if i.node == link.a]
        both = [i for i in pairs if (i.node, i.name) in down_ifs and (i.peer_node, i.peer_name) in down_ifs]
        if not both or {link.a, link.b} <= down_nodes:
            continue
        i = both[0]
        found.append(
            Suspect(
                "link_down",
                {"a": link.a, "b": link.b},
                (f"link {link.a}-{link.b} is down", f"链路 {link.a}-{link.b} 断开"),
                [
                    (
                        f"ip link: {i.node}:{i.name} and {i.peer_node}:{i.peer_name} are both administratively down",
                        f"ip link：{i.node}:{i.name} 与 {i.peer_node}:{i.peer_name} 两端均处于管理性关闭",
                    )
                ],
                nodes=frozenset({link.a, link.b}),
            )
        )
    return down_ifs


def _wrong_vlan(plan, views, found) -> None:
    for switch in plan.bridges:
        view = views.get(switch)
        if view is None or view.error:
            continue
        for i in plan.interfaces[switch]:
            port = view.ports.get(i.name)
            if port is None or i.vlan is None:
                continue
            seen = port.master
            if seen == f"br{i.vlan}":
                continue
            vlan = int(seen[2:]) if seen and seen.startswith("br") and seen[2:].isdigit() else None
            shown = f"VLAN {vlan}" if vlan is not None else "no bridge"
            shown_zh = f"VLAN {vlan}" if vlan is not None else "未加入任何网桥"
            found.append(
                Suspect(
                    "wrong_vlan",
                    {"switch": switch, "node": i.peer_node, "vlan": vlan},
                    (
                        f"port {i.name} of {switch} (to {i.peer_node}) is in {shown}, planned VLAN {i.vlan}",
                        f"{switch} 的端口 {i.name}（连接 {i.peer_node}）在 {shown_zh}，计划为 VLAN {i.vlan}",
                    ),
                    [
                        (
                            f"ip link on {switch}: {i.name} master {seen or '(none)'}, planned br{i.vlan}",
                            f"{switch} 上 ip link：{i.name} 的 master 为 {seen or '（无）'}，计划为 br{i.vlan}",
                        )
                    ],
                    nodes=frozenset({i.peer_node}),
                )
            )


def _via_interface(plan, node: str, via) -> object | None:
    return next((i for i in plan.interfaces[node] if i.ip and via in i.ip.network), None)


def _routes(topology, plan, views, down_nodes, down_ifs, found) -> None:
    for node, routes in plan.routes.items():
        view = views.get(node)
        if view is None or view.error or node in down_nodes:
            continue
        for net, via in routes:
            got = view.routes.get(str(net), "missing")
            if got == str(via):
                continue
            out = _via_interface(plan, node, via)
            if out is not None and (node, out.name) in down_ifs:
                continue  # the kernel removed it with the interface
            seen_en = "no route" if got == "missing" else f"a route via {got or 'a direct interface'}"
            seen_zh = "没有该路由" if got == "missing" else f"路由经由 {got or '直连接口'}"
            found.append(
                Suspect(
                    "route_removed",
                    {"router": node, "network": str(net)},
                    (f"{node} has no route to {net} via {via}", f"{node} 缺少经 {via} 到 {net} 的路由"),
                    [
                        (
                            f"ip route on {node}: {seen_en} to {net}; planned via {via}",
                            f"{node} 上 ip route：到 {net} {seen_zh}；计划经由 {via}",
                        )
                    ],
                    nodes=frozenset({node}),
                )
            )


def _gateways(topology, plan, views, down_nodes, down_ifs, found) -> None:
    kinds = {n.name: n.kind for n in topology.nodes}
    for host, gateway in plan.gateways.items():
        view = views.get(host)
        if view is None or view.error or host in down_nodes:
            continue
        got = view.routes.get("default", "missing")
        if got == str(gateway):
            continue
        out = _via_interface(plan, host, gateway)
        if got == "missing" and out is not None and (host, out.name) in down_ifs:
            continue
        seen_en = "no default route" if got == "missing" else f"default via {got}"
        seen_zh = "没有默认路由" if got == "missing" else f"默认路由经由 {got}"
        owner = next((i.node for ifs in plan.interfaces.values() for i in ifs if i.ip and str(i.ip.ip) == got), None)
        evidence = [
            (
                f"ip route on {host}: {seen_en}; planned default via {gateway}",
                f"{host} 上 ip route：{seen_zh}；计划默认网关为 {gateway}",
            )
        ]
        if got not in ("missing", None):
            evidence.append(
                (
                    f"{got} is {'the address of ' + owner if owner else 'no node of the topology'}"
                    + ("" if owner and is_l3(kinds[owner]) else ", not a router"),
                    f"{got} {'是 ' + owner + ' 的地址' if owner else '不属于拓扑中的任何节点'}"
                    + ("" if owner and is_l3(kinds[owner]) else "，不是路由器"),
                )
            )
        found.append(
            Suspect(
                "wrong_gateway",
                {"host": host, "gateway": got if got != "missing" else None},
                (
                    f"{host}'s default gateway is {got}, planned {gateway}",
                    f"{host} 的默认网关为 {got}，计划为 {gateway}",
                ),
                evidence,
                nodes=frozenset({host}),
            )
        )


def _norm_net(value: str | None) -> str | None:
    if value in (None, "any", "0.0.0.0/0"):
        return None
    return str(ipaddress.IPv4Network(value, strict=False))


def _firewall(topology, views, found) -> None:
    for node in topology.nodes:
        view = views.get(node.name)
        if view is None or view.error or role(node.kind) == "switch":
            continue
        planned = Counter(
            (
                _norm_net(r.get("src")),
                _norm_net(r.get("dst")),
                None if r.get("proto", "any") == "any" else r["proto"],
                r.get("port"),
            )
            for r in node.rules
            if r["action"] == "deny"
        )
        observed = Counter((_norm_net(r.src), _norm_net(r.dst), r.proto, r.port) for r in view.drops)
        for rule in view.drops:
            seen = (_norm_net(rule.src), _norm_net(rule.dst), rule.proto, rule.port)
            if observed[seen] <= planned[seen]:
                continue  # a planned rule (an extra copy of one is reported once)
            observed[seen] = planned[seen]
            src, dst = seen[0] or "any", seen[1] or "any"
            why = ("an extra copy of a rule of the topology", "拓扑中规则的多余副本") if planned[seen] else None
            why = why or ("a rule not in the topology", "拓扑中没有这条规则")
            again = f" (the topology has this rule {planned[seen]} time(s); here it is once more)"
            found.append(
                Suspect(
                    "firewall_block",
                    {"node": node.name, "src": src, "dst": dst},
                    (
                        f"{node.name} drops traffic from {src} to {dst} ({why[0]})",
                        f"{node.name} 丢弃从 {src} 到 {dst} 的流量（{why[1]}）",
                    ),
                    [
                        (
                            f"iptables -S FORWARD on {node.name}: {rule.line}" + (again if planned[seen] else ""),
                            f"{node.name} 上 iptables -S FORWARD：{rule.line}"
                            + ("（比拓扑中多出一条）" if planned[seen] else ""),
                        )
                    ],
                    nodes=frozenset({node.name}),
                )
            )
        if role(node.kind) == "firewall":
            want = "DROP" if node.default_policy == "deny" else "ACCEPT"
            if view.policy and view.policy != want:
                found.append(
                    Suspect(
                        "firewall_block",
                        {"node": node.name, "src": "any", "dst": "any"},
                        (
                            f"{node.name}'s FORWARD policy is {view.policy}",
                            f"{node.name} 的 FORWARD 默认策略为 {view.policy}",
                        ),
                        [
                            (
                                f"iptables: -P FORWARD {view.policy}, planned {want}",
                                f"iptables：-P FORWARD {view.policy}，计划为 {want}",
                            )
                        ],
                        nodes=frozenset({node.name}),
                    )
                )


def _throttle(topology, plan, views, found) -> None:
    for index, link in enumerate(topology.links):
        for i in plan.interfaces_of_link(index):
            view = views.get(i.node)
            rate = None if view is None else view.rates.get(i.name)
            if rate is None or (link.bw is not None and rate >= link.bw * 0.99):
                continue
            planned = f"{link.bw:g} Mbit/s" if link.bw else "no limit"
            planned_zh = f"{link.bw:g} Mbit/s" if link.bw else "不限速"
            found.append(
                Suspect(
                    "throttle",
                    {"a": link.a, "b": link.b, "mbit": rate},
                    (
                        f"link {link.a}-{link.b} is limited to {rate:g} Mbit/s (planned: {planned})",
                        f"链路 {link.a}-{link.b} 被限速为 {rate:g} Mbit/s（计划：{planned_zh}）",
                    ),
                    [
                        (
                            f"tc class show dev {i.name} on {i.node}: htb rate {rate:g} Mbit/s",
                            f"{i.node} 上 tc class show dev {i.name}：htb 速率 {rate:g} Mbit/s",
                        )
                    ],
                    nodes=frozenset({link.a, link.b}),
                )
            )
            break


def failing(pings: pd.DataFrame, paths: Paths) -> pd.DataFrame:
    """The pairs that get no answer although the intended network should carry them."""
    if not len(pings):
        return pings
    lost = pings[pings.loss_pct == 100]
    return lost[[not paths.blocked_by_design(r.src, r.dst) for r in lost.itertuples()]]


def weigh(suspects: list[Suspect], bad: pd.DataFrame, paths: Paths) -> None:
    """Add the ping evidence and order by score: a read finding that explains more of the failing
    pairs (their intended path crosses it) ranks higher."""
    total = max(1, len(bad))
    for s in suspects:
        related = bad[[related_to(s, row, paths) for row in bad.itertuples()]] if len(bad) else bad
        s.score = round(READ + 0.09 * len(related) / total, 3)
        if len(related):
            sample = ", ".join(f"{r.src}→{r.dst}" for r in related.head(3).itertuples())
            s.evidence.append(
                (
                    f"ping: it explains {len(related)} of {len(bad)} failing pairs, e.g. {sample}",
                    f"ping：{len(bad)} 对不通中有 {len(related)} 对可由此解释，例如 {sample}",
                )
            )
        else:
            s.evidence.append(("ping: no failing pair passes it", "ping：没有不通的节点对经过此处"))
    suspects.sort(key=lambda s: -s.score)


def related_to(s: Suspect, row, paths: Paths) -> bool:
    """Whether the suspect explains that the pair `row` (src, dst) fails."""
    src, dst = row.src, row.dst
    if s.kind == "throttle":
        return False  # a squeezed link still carries pings
    if s.kind == "link_down":
        return paths.crosses(src, dst, set(), frozenset((s.where["a"], s.where["b"])))
    if s.kind == "route_removed":
        return paths.uses_route(src, dst, s.where["router"], s.where["network"])
    if s.kind == "firewall_block":
        if not paths.crosses(src, dst, {s.where["node"]}):
            return False
        nets = [None if v == "any" else ipaddress.IPv4Network(v) for v in (s.where["src"], s.where["dst"])]
        a, b = paths.plan.address(src), paths.plan.address(dst)
        return any((nets[0] is None or x in nets[0]) and (nets[1] is None or y in nets[1]) for x, y in ((a, b), (b, a)))
    if s.kind == "unexplained":
        return {src, dst} == {s.where["src"], s.where["dst"]}
    return paths.crosses(src, dst, set(s.nodes))


def unexplained(suspects: list[Suspect], bad: pd.DataFrame, paths: Paths) -> list[tuple[str, str]]:
    """Failing pairs that no suspect explains (to trace)."""
    return [(r.src, r.dst) for r in bad.itertuples() if not any(related_to(s, r, paths) for s in suspects)]
