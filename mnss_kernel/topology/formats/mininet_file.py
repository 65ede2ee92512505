"""The model as a Mininet custom topology file: `to_mininet_python`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ...catalog import role
from ..model import Node, Topology, TopologyError
from ..plan import plan
from .common import number

_MININET_HEADER = '''\
#!/usr/bin/env python3
"""Mininet custom topology generated from the MNSS topology {name!r}.

Run it with Linux bridges as switches (what MNSS uses) and no OpenFlow controller:

    sudo mn --custom {name}.py --topo {name} --switch lxbr --controller none

(or --switch ovsbr with Open vSwitch running). Link shaping needs the sch_netem kernel module.

{addresses}
Parameters named mnss_* are ignored by Mininet; they let MNSS import this file back.
"""
'''

_MININET_CLASS = """

def iptables_match(rule):
    "The iptables match of one MNSS firewall rule (first match wins)."
    parts = []
    if rule.get("src", "any") != "any":
        parts.append("-s %s" % rule["src"])
    if rule.get("dst", "any") != "any":
        parts.append("-d %s" % rule["dst"])
    if rule.get("proto", "any") != "any":
        parts.append("-p %s" % rule["proto"])
    if "port" in rule:
        parts.append("--dport %d" % rule["port"])
    parts.append("-j ACCEPT" if rule["action"] == "allow" else "-j DROP")
    return " ".join(parts)


class MNSSNode(Node):
    "A host with static routes, or a router, firewall or NAT gateway (IP forwarding on)."

    def config(self, forward=False, routes=(), rules=(), default_policy=None, masquerade=None, **params):
        result = super().config(**params)
        if forward:
            self.cmd("sysctl -qw net.ipv4.ip_forward=1")
        for to, via in routes:
            self.cmd("ip route replace %s via %s" % (to, via))
        if rules or default_policy:
            self.cmd("iptables -P FORWARD %s" % ("DROP" if default_policy == "deny" else "ACCEPT"))
            self.cmd("iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT")
            for rule in rules:
                self.cmd("iptables -A FORWARD " + iptables_match(rule))
        if masquerade:
            self.cmd("iptables -t nat -A POSTROUTING -o %s -j MASQUERADE" % masquerade)
        return result
"""


def _topology_meta(topo: Topology) -> dict:
    data = topo.to_dict()
    return {k: data[k] for k in ("title", "description", "addressing", "routing") if k in data}


def _literal(value: Any) -> str:
    if isinstance(value, float):
        return repr(number(value))
    return repr(value)


def _call(method: str, args: list[str], opts: dict) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v if k == 'cls' else _literal(v)}" for k, v in opts.items()]
    return f"        self.{method}({', '.join(parts)})"


def to_mininet_python(topo: Topology, addresses: str = "plan") -> str:
    """A Mininet custom topology file (`topos = {name: MNSSTopo}`) reproducing nodes and links.

    Link bw, delay, jitter and loss become TCLink parameters. Routers, firewalls and NAT gateways
    (and hosts with static routes) use the file's MNSSNode class: IP forwarding, their routes,
    firewall rules as iptables FORWARD rules (first match wins, replies allowed), masquerading
    towards a NAT's outside neighbour. Switches get an explicit dpid, so any names work.

    addresses="plan" (default): every interface gets the address the MNSS plan gives it, hosts
    their default gateway and routers their routes, so the network behaves as MNSS builds it.
    addresses="given": only what the topology states (Mininet numbers the other hosts itself,
    10.0.0.N/8), which makes the file round-trip through `load_mininet_file` field for field.
    VLANs, MTU, links that are down, kinds, labels and the topology's title, description,
    addressing and routing are kept as mnss_* parameters that Mininet does not apply; only
    positions are left out. Raises TopologyError if the topology does not plan.
    """
    if addresses not in ("plan", "given"):
        raise ValueError("addresses must be 'plan' or 'given'")
    p = plan(topo)
    if p.problems:
        raise TopologyError(p.problems, topo.name)
    use_plan = addresses == "plan"
    ifs = p.interfaces
    kinds = {n.name: n.kind for n in topo.nodes}
    degree = Counter(end for link in topo.links for end in link.ends())

    def link_ip(index: int, end: str) -> str | None:
        """The address of `end`'s interface on link `index`: the plan's, or the one given on the link."""
        if use_plan:
            found = next((i for i in ifs[end] if i.link_index == index and i.ip is not None), None)
            return str(found.ip) if found else None
        link = topo.links[index]
        return link.ip_a if end == link.a else link.ip_b

    def node_ip(node: Node) -> str | None:
        """The address of the node's first interface (Mininet's `ip` option sets that one)."""
        if not ifs[node.name]:
            return None
        given = link_ip(ifs[node.name][0].link_index, node.name)
        return given or (node.ip if not use_plan else None)

    unapplied: list[str] = []
    lines = [
        _MININET_HEADER.format(
            name=topo.name,
            addresses=(
                "Addresses, gateways and routes are those of the MNSS plan."
                if use_plan
                else "Only the addresses the MNSS topology states are set; Mininet numbers the other hosts."
            ),
        )
    ]
    if topo.title or topo.description:
        lines += [f"# {line}" for line in "\n".join(filter(None, (topo.title, topo.description))).splitlines()]
        lines.append("")
    lines += ["from mininet.link import TCLink", "from mininet.node import Node", "from mininet.topo import Topo"]
    lines.append(_MININET_CLASS)
    lines += [
        "",
        "class MNSSTopo(Topo):",
        f'    "{topo.name}: {len(topo.nodes)} nodes, {len(topo.links)} links."',
        f"    mnss_topology = {_literal(_topology_meta(topo))}",
        "",
        "    def build(self):",
    ]
    switch_number = 0
    for node in topo.nodes:
        r = role(node.kind)
        opts: dict = {}
        if r == "switch":
            switch_number += 1
            opts["dpid"] = f"{switch_number:016x}"
            if node.kind != "switch":
                opts["mnss_kind"] = node.kind
            if node.label:
                opts["mnss_label"] = node.label
            lines.append(_call("addSwitch", [node.name], opts))
            continue
        routes = (
            [(str(net), str(via)) for net, via in p.routes.get(node.name, [])]
            if use_plan
            else [(r_["to"], r_["via"]) for r_ in node.routes]
        )
        if r != "host" or routes:
            opts["cls"] = "MNSSNode"
        ip = node_ip(node)
        if ip or not ifs[node.name]:
            opts["ip"] = ip  # None for a node without links: Mininet would try to address it
        gateway = str(p.gateways[node.name]) if use_plan and node.name in p.gateways else node.gateway
        if gateway and r == "host":
            opts["defaultRoute"] = f"via {gateway}"
        if r != "host":
            opts["forward"] = True
        if routes:
            opts["routes"] = routes
        if node.rules:
            opts["rules"] = node.rules
        if node.default_policy:
            opts["default_policy"] = node.default_policy
        if node.outside:
            opts["outside"] = node.outside
            opts["masquerade"] = next(i.name for i in ifs[node.name] if i.peer_node == node.outside)
        if node.kind != ("router" if r != "host" else "host"):
            opts["mnss_kind"] = node.kind
        if node.label:
            opts["mnss_label"] = node.label
        lines.append(_call("addHost", [node.name], opts))
    for index, link in enumerate(topo.links):
        opts = {}
        if any(v is not None for v in (link.bw, link.delay, link.jitter, link.loss)):
            opts["cls"] = "TCLink"
        if link.bw is not None:
            opts["bw"] = link.bw
        if link.delay is not None:
            opts["delay"] = f"{number(link.delay)}ms"
        if link.jitter is not None:
            opts["jitter"] = f"{number(link.jitter)}ms"
        if link.loss is not None:
            opts["loss"] = link.loss
        for end, key in ((link.a, "params1"), (link.b, "params2")):
            # a one-link node's planned address is its `ip` option; given ones stay where they were given
            ip = link_ip(index, end)
            if ip and role(kinds[end]) != "switch" and not (use_plan and degree[end] == 1):
                opts[key] = {"ip": ip}
        for given, key in ((link.if_a, "intfName1"), (link.if_b, "intfName2")):
            if given:
                opts[key] = given
        for key in ("vlan", "vlans", "mtu"):
            if getattr(link, key) is not None:
                opts[f"mnss_{key}"] = getattr(link, key)
                unapplied.append(f"{key} on {link.a}-{link.b}")
        if not link.up:
            opts["mnss_up"] = False
            unapplied.append(f"link {link.a}-{link.b} is down")
        lines.append(_call("addLink", [link.a, link.b], opts))
    if not topo.nodes:
        lines.append("        pass")
    lines += ["", "", f"topos = {{{topo.name!r}: MNSSTopo}}", ""]
    if unapplied:
        note = "# Not applied by Mininet (kept as mnss_* parameters): " + "; ".join(unapplied[:20])
        if len(unapplied) > 20:
            note += f"; and {len(unapplied) - 20} more"
        lines.insert(1, note)
    return "\n".join(lines)
