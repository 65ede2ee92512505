"""Faults to inject into a running lab, and their repairs: for drills and for graders.

Each fault is a small value object (what it breaks, where) with `inject(lab)` and `repair(lab)`.
`random_faults(topology, seed)` picks faults reproducibly: the same seed and topology always give
the same faults, so a drill can be replayed and a grader knows the answer.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from .catalog import is_l3, role
from .runtime.lab import Lab, bridge_lines
from .runtime.shell import EngineError, batch, netns_exec, run


@dataclass(frozen=True)
class Fault:
    kind = "fault"

    def describe(self) -> dict:
        return {"kind": self.kind} | asdict(self)

    def inject(self, lab: Lab) -> None:
        raise NotImplementedError

    def repair(self, lab: Lab) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class LinkDown(Fault):
    a: str
    b: str
    kind = "link_down"

    def inject(self, lab):
        lab.set_link(self.a, self.b, up=False)

    def repair(self, lab):
        lab.set_link(self.a, self.b, up=True)


@dataclass(frozen=True)
class NodeDown(Fault):
    node: str
    kind = "node_down"

    def inject(self, lab):
        lab.set_node(self.node, up=False)

    def repair(self, lab):
        lab.set_node(self.node, up=True)


@dataclass(frozen=True)
class Throttle(Fault):
    """Squeeze a link to `mbit` Mbit/s in both directions (a bad cable, a saturated uplink)."""

    a: str
    b: str
    mbit: float
    kind = "throttle"

    def _interfaces(self, lab):
        index = lab.topology.links.index(lab.topology.link(self.a, self.b))
        return lab.plan.interfaces_of_link(index), lab.topology.links[index]

    def inject(self, lab):
        ifs, link = self._interfaces(lab)
        for i in ifs:
            verb = "change" if link.bw else "add"
            lines = [] if link.bw else [f"qdisc add dev {i.name} root handle 1: htb default 1"]
            lines.append(f"class {verb} dev {i.name} parent 1: classid 1:1 htb rate {self.mbit}mbit burst 15k")
            batch(lines, lab.ns(i.node), tool="tc", what=f"throttling {i.name}")

    def repair(self, lab):
        ifs, link = self._interfaces(lab)
        for i in ifs:
            line = (
                f"class change dev {i.name} parent 1: classid 1:1 htb rate {link.bw}mbit burst 15k"
                if link.bw
                else f"qdisc del dev {i.name} root"
            )
            batch([line], lab.ns(i.node), tool="tc", what=f"restoring {i.name}")


@dataclass(frozen=True)
class RouteRemoved(Fault):
    """A static route deleted from a router (a classic misconfiguration)."""

    router: str
    network: str
    kind = "route_removed"

    def _via(self, lab) -> str:
        for net, via in lab.plan.routes.get(self.router, []):
            if str(net) == self.network:
                return str(via)
        raise EngineError(f"router {self.router!r} has no route to {self.network}")

    def inject(self, lab):
        self._via(lab)
        batch([f"route del {self.network}"], lab.ns(self.router))

    def repair(self, lab):
        batch([f"route add {self.network} via {self._via(lab)}"], lab.ns(self.router))


@dataclass(frozen=True)
class WrongVlan(Fault):
    """A switch port patched into the wrong VLAN."""

    switch: str
    node: str
    vlan: int
    kind = "wrong_vlan"

    def _port(self, lab):
        for i in lab.plan.interfaces[self.switch]:
            if i.peer_node == self.node:
                return i
        raise EngineError(f"switch {self.switch!r} has no port to {self.node!r}")

    def inject(self, lab):
        port = self._port(lab)
        lines = [] if self.vlan in lab.plan.bridges[self.switch] else bridge_lines(self.vlan)
        batch(lines + [f"link set dev {port.name} master br{self.vlan}"], lab.ns(self.switch))

    def repair(self, lab):
        port = self._port(lab)
        batch([f"link set dev {port.name} master br{port.vlan}"], lab.ns(self.switch))


@dataclass(frozen=True)
class FirewallBlock(Fault):
    """An extra deny rule at the top of a firewall or router (someone blocked the wrong subnet)."""

    node: str
    src: str
    dst: str
    kind = "firewall_block"

    def _rule(self, op: str) -> list[str]:
        return (
            ["iptables", op, "FORWARD"] + (["1"] if op == "-I" else []) + ["-s", self.src, "-d", self.dst, "-j", "DROP"]
        )

    def inject(self, lab):
        run(netns_exec(lab.ns(self.node), self._rule("-I")), what=f"blocking on {self.node}")

    def repair(self, lab):
        run(netns_exec(lab.ns(self.node), self._rule("-D")), what=f"unblocking on {self.node}")


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
