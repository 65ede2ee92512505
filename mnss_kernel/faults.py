"""Faults to inject into a running lab, and their repairs: for drills and for graders.

Each fault is a small value object (what it breaks, where) with `inject(lab)` and `repair(lab)`.
`random_faults(topology, seed)` picks faults reproducibly: the same seed and topology always give
the same faults, so a drill can be replayed and a grader knows the answer.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .catalog import is_l3, role
from .runtime import commands, ledger
from .runtime.shell import EngineError

if TYPE_CHECKING:
    from .runtime.lab import Lab


@dataclass(frozen=True)
class Fault:
    """A fault is put into effect and repaired by the Lab, which keeps the ledger of those in effect:
    repairs compose in any order (see runtime.ledger)."""

    kind = "fault"

    def describe(self) -> dict:
        return {"kind": self.kind} | asdict(self)

    def effect(self, lab: Lab) -> ledger.Effect:
        """What this fault changes, in the lab's plan terms (checked against the lab)."""
        raise NotImplementedError

    def inject(self, lab: Lab) -> None:
        lab.apply(self.effect(lab))

    def repair(self, lab: Lab) -> None:
        lab.revert(self.effect(lab))


@dataclass(frozen=True)
class LinkDown(Fault):
    a: str
    b: str
    kind = "link_down"

    def effect(self, lab):
        lab.topology.link(self.a, self.b)  # KeyError naming the link if unknown
        return ledger.LinkAdminDown(ledger.ends(self.a, self.b))


@dataclass(frozen=True)
class NodeDown(Fault):
    node: str
    kind = "node_down"

    def effect(self, lab):
        lab.topology.node(self.node)
        return ledger.NodeAdminDown(self.node)


@dataclass(frozen=True)
class Throttle(Fault):
    """Squeeze a link to `mbit` Mbit/s in both directions (a bad cable, a saturated uplink); a link
    shaped tighter by the plan stays as tight, and its delay and loss stay as they are."""

    a: str
    b: str
    mbit: float
    kind = "throttle"

    def effect(self, lab):
        lab.topology.link(self.a, self.b)
        if not self.mbit > 0:
            raise ValueError(f"throttle: mbit must be above 0, not {self.mbit!r} (限速值必须大于 0)")
        return ledger.RateCap(ledger.ends(self.a, self.b), float(self.mbit))


@dataclass(frozen=True)
class RouteRemoved(Fault):
    """A static route deleted from a router (a classic misconfiguration)."""

    router: str
    network: str
    kind = "route_removed"

    def effect(self, lab):
        if not any(str(net) == self.network for net, _ in lab.plan.routes.get(self.router, [])):
            raise EngineError(f"router {self.router!r} has no route to {self.network}")
        return ledger.RouteWithdrawn(self.router, self.network)


@dataclass(frozen=True)
class WrongGateway(Fault):
    """A host's default gateway mistyped: another address on its subnet (often one nobody has)."""

    host: str
    gateway: str
    kind = "wrong_gateway"

    def effect(self, lab):
        planned = lab.plan.gateways.get(self.host)
        if planned is None:
            raise EngineError(f"{self.host!r} has no default gateway to get wrong ({self.host!r} 没有默认网关)")
        if str(planned) == self.gateway:
            raise EngineError(f"{self.gateway} is the planned gateway of {self.host!r} ({self.gateway} 就是计划的网关)")
        return ledger.DefaultVia(self.host, self.gateway)


def wrong_gateway_for(plan, host: str) -> str:
    """The highest address of the host's gateway subnet that no interface has (.254 for a /24)."""
    gateway = plan.gateways[host]
    used = {i.ip.ip for ifs in plan.interfaces.values() for i in ifs if i.ip}
    net = next(i.ip.network for i in plan.interfaces[host] if i.ip and gateway in i.ip.network)
    top = int(net.broadcast_address) - (1 if net.prefixlen < 31 else 0)
    return str(next(ip for ip in (ipaddress.IPv4Address(top - k) for k in range(net.num_addresses)) if ip not in used))


@dataclass(frozen=True)
class WrongVlan(Fault):
    """A switch port patched into the wrong VLAN."""

    switch: str
    node: str
    vlan: int
    kind = "wrong_vlan"

    def effect(self, lab):
        if self.switch not in lab.plan.bridges:
            raise EngineError(f"{self.switch!r} is not a switch")
        for i in lab.plan.interfaces[self.switch]:
            if i.peer_node == self.node:
                if i.vlan == self.vlan:
                    raise EngineError(f"port of {self.switch!r} to {self.node!r} is already in VLAN {self.vlan}")
                return ledger.PortInVlan(self.switch, i.name, self.vlan)
        raise EngineError(f"switch {self.switch!r} has no port to {self.node!r}")


@dataclass(frozen=True)
class FirewallBlock(Fault):
    """An extra deny rule at the top of a firewall or router (someone blocked the wrong subnet)."""

    node: str
    src: str
    dst: str
    kind = "firewall_block"

    def effect(self, lab):
        lab.topology.node(self.node)
        return ledger.ExtraRule(self.node, commands.drop_spec(self.src, self.dst))


def candidates(topology, plan) -> list[Fault]:
    """Every fault this topology offers, in a fixed order."""
    found: list[Fault] = []
    kinds = {n.name: n.kind for n in topology.nodes}
    for link in topology.links:
        found.append(LinkDown(link.a, link.b))
        found.append(Throttle(link.a, link.b, 1))
    for n in topology.nodes:
        if role(n.kind) != "switch":
            found.append(NodeDown(n.name))
        for net, _ in plan.routes.get(n.name, []):
            found.append(RouteRemoved(n.name, str(net)))
    for switch, bridges in plan.bridges.items():
        for i in plan.interfaces[switch]:
            if role(kinds[i.peer_node]) != "switch":
                found.append(
                    WrongVlan(
                        switch,
                        i.peer_node,
                        max(bridges) + 1 if len(bridges) == 1 else next(v for v in sorted(bridges) if v != i.vlan),
                    )
                )
    for host in plan.gateways:
        found.append(WrongGateway(host, wrong_gateway_for(plan, host)))
    for n in topology.nodes:
        if is_l3(n.kind):
            nets = sorted({str(s.subnet) for s in plan.segments if s.subnet})
            for src in nets:
                for dst in nets:
                    if src != dst:
                        found.append(FirewallBlock(n.name, src, dst))
    return found


def random_faults(topology, plan, seed: int, count: int = 1, kinds: set[str] | None = None) -> list[Fault]:
    """`count` distinct faults chosen by `seed`; same inputs, same faults."""
    pool = [f for f in candidates(topology, plan) if kinds is None or f.kind in kinds]
    if len(pool) < count:
        raise ValueError(f"this topology offers {len(pool)} faults of kinds {sorted(kinds or [])}, {count} asked")
    return random.Random(seed).sample(pool, count)
