"""Checks of a topology: first its shape (JSON schema), then its meaning, each problem named."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

from mnss_foundation import schemacheck

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
        problems.append(f"{what}: {value!r} is not an IPv4 address with prefix length, e.g. 10.0.1.10/24")
        return None
    net = iface.network
    if net.prefixlen < 31 and iface.ip in (net.network_address, net.broadcast_address):
        problems.append(
            f"{what}: {value} is the {'network' if iface.ip == net.network_address else 'broadcast'} "
            f"address of {net}; use a host address"
        )
        return None
    return iface


def _network(value: str, what: str, problems: list[str], allow_any: bool = False) -> None:
    if allow_any and value == "any":
        return
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        extra = " or 'any'" if allow_any else ""
        problems.append(f"{what}: {value!r} is not an IPv4 network like 10.0.2.0/24{extra}")


def check_meaning(topo, source: str = "") -> None:
    """Everything the schema cannot see: names, references, addresses, what each kind supports."""
    from .model import TopologyError
    from .plan import plan

    problems: list[str] = []
    names = [n.name for n in topo.nodes]
    for name, count in Counter(names).items():
        if count > 1:
            problems.append(f"node {name!r}: the name is used {count} times; names must be unique")
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
            problems.append(f"{what}: node {end!r} does not exist")
        if missing:
            continue
        if link.a == link.b:
            problems.append(f"{what}: a link must join two different nodes")
            continue
        pair = frozenset(link.ends())
        if pair in seen_pairs:
            problems.append(f"{what}: there is already a link between these nodes")
        seen_pairs.add(pair)
        degree.update(link.ends())
        switch_ends = [end for end in link.ends() if role(kinds[end]) == "switch"]
        for end, ip in ((link.a, link.ip_a), (link.b, link.ip_b)):
            side = "ip_a" if end == link.a else "ip_b"
            if ip is None:
                continue
            if role(kinds[end]) == "switch":
                problems.append(f"{what}: {side}: {end!r} is a switch and has no address on its ports")
            else:
                _interface(ip, f"{what}: {side}", problems)
        if link.vlan is not None and not switch_ends:
            problems.append(f"{what}: vlan: only a link to a switch has an access VLAN")
        if link.vlan is not None and len(switch_ends) == 2:
            problems.append(f"{what}: vlan: a switch-to-switch link is a trunk; give its VLANs as 'vlans'")
        if link.vlans is not None and len(switch_ends) != 2:
            problems.append(f"{what}: vlans: only a switch-to-switch trunk carries a list of VLANs")
        if (link.jitter or 0) > 0 and not link.delay:
            problems.append(f"{what}: jitter: needs a delay to vary around")

    for node in topo.nodes:
        what, r = f"node {node.name!r}", role(node.kind)
        if node.ip is not None:
            if r == "switch":
                problems.append(f"{what}: ip: a switch has no address")
            elif degree[node.name] != 1:
                problems.append(
                    f"{what}: ip: the shorthand is for a node with exactly one link "
                    f"(it has {degree[node.name]}); set ip_a/ip_b on its links"
                )
            else:
                _interface(node.ip, f"{what}: ip", problems)
        if node.gateway is not None and r != "host":
            problems.append(f"{what}: gateway: only hosts have a default gateway; routers use routes")
        if node.routes and r == "switch":
            problems.append(f"{what}: routes: a switch does not route")
        for i, route in enumerate(node.routes):
            _network(route["to"], f"{what}: routes[{i}].to", problems)
        if (node.rules or node.default_policy) and r != "firewall":
            problems.append(f"{what}: rules: only a firewall has filter rules")
        for i, rule in enumerate(node.rules):
            for key in ("src", "dst"):
                _network(rule.get(key, "any"), f"{what}: rules[{i}].{key}", problems, allow_any=True)
            if "port" in rule and rule.get("proto", "any") not in ("tcp", "udp"):
                problems.append(f"{what}: rules[{i}].port: a port needs proto tcp or udp")
        if node.outside is not None:
            neighbours = {link.b if link.a == node.name else link.a for link in topo.links_of(node.name)}
            if r != "nat":
                problems.append(f"{what}: outside: only a NAT gateway has an outside interface")
            elif node.outside not in neighbours:
                problems.append(f"{what}: outside: {node.outside!r} is not a neighbour of this node")
        if r == "nat" and node.outside is None:
            problems.append(f"{what}: outside: a NAT gateway needs the name of its outside neighbour")

    if not problems:
        problems.extend(plan(topo).problems)
    if problems:
        raise TopologyError(problems, source)
