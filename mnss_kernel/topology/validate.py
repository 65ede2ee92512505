"""Checks of a topology: first its shape (JSON schema), then its meaning, each problem named."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

from mnss_foundation import schemacheck
from mnss_foundation.problem import Problem

from ..catalog import role

IFNAME_MAX = 15  # Linux IFNAMSIZ - 1


@cache
def schema() -> dict:
    return json.loads(resources.files("mnss_kernel.topology").joinpath("topology.schema.json").read_text("utf-8"))


def check_structure(data: Any, source: str = "") -> None:
    from .model import TopologyError

    if not isinstance(data, dict):
        raise TopologyError(
            [f"top level must be a mapping with 'nodes' and 'links', not {schemacheck.type_name(data)}"], source
        )

    def name_path(path: list) -> str:
        if len(path) >= 2 and path[0] in ("nodes", "links") and isinstance(path[1], int):
            items = data.get(path[0]) or []
            item = items[path[1]] if path[1] < len(items) and isinstance(items[path[1]], dict) else {}
            label = (
                f"node {item['name']!r}"
                if path[0] == "nodes" and "name" in item
                else f"link {item.get('a')}-{item.get('b')}"
                if path[0] == "links"
                else f"{path[0]}[{path[1]}]"
            )
            rest = ".".join(str(p) for p in path[2:])
            return f"{label}{': ' + rest if rest else ''}"
        return schemacheck.dotted(path)

    found = schemacheck.problems(schema(), data, name_path)
    if found:
        raise TopologyError(found, source)


def _interface(value: str, what: str, problems: list[str]) -> ipaddress.IPv4Interface | None:
    try:
        iface = ipaddress.IPv4Interface(value)
    except ValueError:
        text = f"{what}: {value!r} is not an IPv4 address with prefix length, e.g. 10.0.1.10/24"
        problems.append(Problem(text, "not_interface", what, value=value))
        return None
    net = iface.network
    if net.prefixlen < 31 and iface.ip in (net.network_address, net.broadcast_address):
        which = "network" if iface.ip == net.network_address else "broadcast"
        text = f"{what}: {value} is the {which} address of {net}; use a host address"
        problems.append(Problem(text, f"{which}_address", what, value=value, net=str(net)))
        return None
    return iface


def _network(value: str, what: str, problems: list[str], allow_any: bool = False) -> None:
    if allow_any and value == "any":
        return
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        extra = " or 'any'" if allow_any else ""
        text = f"{what}: {value!r} is not an IPv4 network like 10.0.2.0/24{extra}"
        problems.append(Problem(text, "not_network_or_any" if allow_any else "not_network", what, value=value))


def check_meaning(topo, source: str = "") -> None:
    """Everything the schema cannot see: names, references, addresses, what each kind supports."""
    from .model import TopologyError
    from .plan import plan

    problems: list[str] = []

    def say(what: str, code: str, text: str, **params) -> None:
        problems.append(Problem(f"{what}: {text}", code, what, **params))

    names = [n.name for n in topo.nodes]
    for name, count in Counter(names).items():
        if count > 1:
            say(f"node {name!r}", "name_taken", f"the name is used {count} times; names must be unique", count=count)
    known = set(names)
    kinds = {n.name: n.kind for n in topo.nodes}

    try:
        pool = ipaddress.IPv4Network(topo.addressing["pool"])
        if pool.prefixlen > topo.addressing["prefix"]:
            problems.append(f"addressing.prefix: /{topo.addressing['prefix']} subnets do not fit in pool {pool}")
    except ValueError:
        problems.append(f"addressing.pool: {topo.addressing['pool']!r} is not an IPv4 network like 10.0.0.0/8")

    seen_pairs: set[frozenset] = set()
    degree: Counter = Counter()
    for link in topo.links:
        what = f"link {link.a}-{link.b}"
        missing = [end for end in link.ends() if end not in known]
        for end in missing:
            say(what, "no_such_node", f"node {end!r} does not exist", node=end)
        if missing:
            continue
        if link.a == link.b:
            say(what, "link_to_itself", "a link must join two different nodes")
            continue
        pair = frozenset(link.ends())
        if pair in seen_pairs:
            say(what, "link_exists", "there is already a link between these nodes")
        seen_pairs.add(pair)
        degree.update(link.ends())
        switch_ends = [end for end in link.ends() if role(kinds[end]) == "switch"]
        for end, ip in ((link.a, link.ip_a), (link.b, link.ip_b)):
            side = "ip_a" if end == link.a else "ip_b"
            if ip is None:
                continue
            if role(kinds[end]) == "switch":
                text = f"{end!r} is a switch and has no address on its ports"
                say(f"{what}: {side}", "switch_port_address", text, node=end)
            else:
                _interface(ip, f"{what}: {side}", problems)
        if link.vlan is not None and not switch_ends:
            say(f"{what}: vlan", "vlan_needs_switch", "only a link to a switch has an access VLAN")
        if link.vlan is not None and len(switch_ends) == 2:
            say(f"{what}: vlan", "vlan_on_trunk", "a switch-to-switch link is a trunk; give its VLANs as 'vlans'")
        if link.vlans is not None and len(switch_ends) != 2:
            say(f"{what}: vlans", "vlans_need_trunk", "only a switch-to-switch trunk carries a list of VLANs")
        if (link.jitter or 0) > 0 and not link.delay:
            say(f"{what}: jitter", "jitter_needs_delay", "needs a delay to vary around")

    for node in topo.nodes:
        what, r = f"node {node.name!r}", role(node.kind)
        if node.ip is not None:
            if r == "switch":
                say(f"{what}: ip", "switch_has_no_address", "a switch has no address")
            elif degree[node.name] != 1:
                say(
                    f"{what}: ip",
                    "ip_needs_one_link",
                    f"the shorthand is for a node with exactly one link (it has {degree[node.name]}); "
                    "set ip_a/ip_b on its links",
                    count=degree[node.name],
                )
            else:
                _interface(node.ip, f"{what}: ip", problems)
        if node.gateway is not None and r != "host":
            say(f"{what}: gateway", "gateway_hosts_only", "only hosts have a default gateway; routers use routes")
        if node.routes and r == "switch":
            say(f"{what}: routes", "switch_no_routes", "a switch does not route")
        for i, route in enumerate(node.routes):
            _network(route["to"], f"{what}: routes[{i}].to", problems)
        if (node.rules or node.default_policy) and r != "firewall":
            say(f"{what}: rules", "rules_firewall_only", "only a firewall has filter rules")
        for i, rule in enumerate(node.rules):
            for key in ("src", "dst"):
                _network(rule.get(key, "any"), f"{what}: rules[{i}].{key}", problems, allow_any=True)
            if "port" in rule and rule.get("proto", "any") not in ("tcp", "udp"):
                say(f"{what}: rules[{i}].port", "port_needs_proto", "a port needs proto tcp or udp")
        if node.outside is not None:
            neighbours = {link.b if link.a == node.name else link.a for link in topo.links_of(node.name)}
            if r != "nat":
                say(f"{what}: outside", "outside_nat_only", "only a NAT gateway has an outside interface")
            elif node.outside not in neighbours:
                text = f"{node.outside!r} is not a neighbour of this node"
                say(f"{what}: outside", "outside_not_neighbour", text, node=node.outside)
        if r == "nat" and node.outside is None:
            say(f"{what}: outside", "nat_needs_outside", "a NAT gateway needs the name of its outside neighbour")

    gateways = [n.name for n in topo.nodes if role(n.kind) == "gateway"]
    if len(gateways) > 1:
        text = f"a topology has at most one virtual-real gateway ({len(gateways)} here)"
        say(f"node {gateways[1]!r}", "one_gateway", text, count=len(gateways))

    if not problems:
        problems.extend(plan(topo).problems)
    if problems:
        raise TopologyError(problems, source)
