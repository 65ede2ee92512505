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
from .texts import en_zh, part

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
        peers = ", ".join(f"{i.peer_node}:{i.peer_name}" for i in peers_up)
        found.append(
            Suspect(
                "node_down",
                {"node": node.name},
                en_zh("summaries", "node_down", node=node.name),
                [
                    en_zh("evidence", "node_down_links", node=node.name, count=len(ifs), names=names),
                    en_zh("evidence", "node_down_peers", peers=peers),
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
                en_zh("summaries", "link_down", a=link.a, b=link.b),
                [en_zh("evidence", "link_down", a=f"{i.node}:{i.name}", b=f"{i.peer_node}:{i.peer_name}")],
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
            shown = part("in_vlan", vlan=vlan) if vlan is not None else part("no_bridge")
            ends = {"switch": switch, "port": i.name, "vlan": i.vlan}
            found.append(
                Suspect(
                    "wrong_vlan",
                    {"switch": switch, "node": i.peer_node, "vlan": vlan},
                    en_zh("summaries", "wrong_vlan", **ends, peer=i.peer_node, seen=shown),
                    [en_zh("evidence", "wrong_vlan", **ends, master=seen or part("no_master"))],
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
            seen = part("no_route") if got == "missing" else part("route_via", via=got or part("direct"))
            found.append(
                Suspect(
                    "route_removed",
                    {"router": node, "network": str(net)},
                    en_zh("summaries", "route_removed", node=node, net=net, via=via),
                    [en_zh("evidence", "route_removed", node=node, net=net, via=via, seen=seen)],
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
        seen = part("no_default") if got == "missing" else part("default_via", via=got)
        owner = next((i.node for ifs in plan.interfaces.values() for i in ifs if i.ip and str(i.ip.ip) == got), None)
        evidence = [en_zh("evidence", "wrong_gateway", host=host, seen=seen, gateway=gateway)]
        if got not in ("missing", None):
            owned = "gateway_is_router" if owner and is_l3(kinds[owner]) else "gateway_not_router"
            evidence.append(en_zh("evidence", owned if owner else "gateway_unknown", got=got, owner=owner))
        found.append(
            Suspect(
                "wrong_gateway",
                {"host": host, "gateway": got if got != "missing" else None},
                en_zh("summaries", "wrong_gateway", host=host, got=got, gateway=gateway),
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
            again = planned[seen] > 0
            why = part("rule_again" if again else "rule_unplanned")
            code = "firewall_rule_again" if again else "firewall_rule"
            read = en_zh("evidence", code, node=node.name, line=rule.line, times=planned[seen])
            found.append(
                Suspect(
                    "firewall_block",
                    {"node": node.name, "src": src, "dst": dst},
                    en_zh("summaries", "firewall_drops", node=node.name, src=src, dst=dst, why=why),
                    [read],
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
                        en_zh("summaries", "firewall_policy", node=node.name, policy=view.policy),
                        [en_zh("evidence", "firewall_policy", policy=view.policy, want=want)],
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
            planned = f"{link.bw:g} Mbit/s" if link.bw else part("no_limit")
            found.append(
                Suspect(
                    "throttle",
                    {"a": link.a, "b": link.b, "mbit": rate},
                    en_zh("summaries", "throttle", a=link.a, b=link.b, rate=rate, planned=planned),
                    [en_zh("evidence", "throttle", node=i.node, port=i.name, rate=rate)],
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
            s.evidence.append(en_zh("evidence", "ping_explains", related=len(related), failing=len(bad), sample=sample))
        else:
            s.evidence.append(en_zh("evidence", "ping_none"))
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
    if s.kind == "wrong_gateway":  # only traffic to other subnets goes through a gateway
        host = s.where["host"]
        other = dst if src == host else src if dst == host else None
        nets = [i.ip.network for i in paths.plan.interfaces.get(host, []) if i.ip]
        return other is not None and not any(paths.plan.address(other) in net for net in nets)
    return paths.crosses(src, dst, set(s.nodes))


def unexplained(suspects: list[Suspect], bad: pd.DataFrame, paths: Paths) -> list[tuple[str, str]]:
    """Failing pairs that no suspect explains (to trace)."""
    return [(r.src, r.dst) for r in bad.itertuples() if not any(related_to(s, r, paths) for s in suspects)]
