"""Which faults are in effect in a lab, and what the kernel state should be because of them.

A lab's kernel state is a function of its plan and the faults in effect, never of the order in which
faults came and went. Each fault is recorded here as one `Effect` (a small value in plan terms: this
link is down, that route is withdrawn). The Lab asks the ledger what a link, route, port or qdisc
should be now and sets exactly that, so one fault's repair never undoes another that is still in
effect (a replugged cable does not bring back a route someone deleted) and any order of repairs ends
in the plan. Two faults with the same effect are the same fault: it is in effect once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shell import EngineError


def ends(a: str, b: str) -> frozenset[str]:
    """A link's identity regardless of the order its ends are named in."""
    return frozenset((a, b))


@dataclass(frozen=True)
class Effect:
    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class LinkAdminDown(Effect):
    """Both ends of a link set down (a pulled cable)."""

    link: frozenset[str]

    def describe(self) -> str:
        return "link {}-{} down".format(*sorted(self.link))


@dataclass(frozen=True)
class NodeAdminDown(Effect):
    """Every interface of a node set down (powered off)."""

    node: str

    def describe(self) -> str:
        return f"node {self.node} down"


@dataclass(frozen=True)
class RouteWithdrawn(Effect):
    """A planned route missing from a node's table."""

    node: str
    network: str

    def describe(self) -> str:
        return f"route to {self.network} removed on {self.node}"


@dataclass(frozen=True)
class RateCap(Effect):
    """A link carries at most `mbit` Mbit/s each way; several caps on one link: the smallest holds."""

    link: frozenset[str]
    mbit: float

    def describe(self) -> str:
        return "link {}-{} throttled to {:g} Mbit/s".format(*sorted(self.link), self.mbit)


@dataclass(frozen=True)
class PortInVlan(Effect):
    """A switch port (named by its interface) bridged into another VLAN than planned."""

    switch: str
    port: str
    vlan: int

    def describe(self) -> str:
        return f"port {self.port} of {self.switch} in VLAN {self.vlan}"


@dataclass(frozen=True)
class DefaultVia(Effect):
    """A host's default route through another address than planned (a mistyped gateway)."""

    node: str
    gateway: str

    def describe(self) -> str:
        return f"default gateway of {self.node} set to {self.gateway}"


@dataclass(frozen=True)
class ExtraRule(Effect):
    """An iptables rule placed first in a node's FORWARD chain (`spec`: the rule after the chain)."""

    node: str
    spec: tuple[str, ...]

    def describe(self) -> str:
        return f"rule on {self.node}: {' '.join(self.spec)}"


class Ledger:
    """The effects in effect, in the order they came; refuses duplicates and contradictions."""

    def __init__(self) -> None:
        self._active: dict[Effect, None] = {}

    def __iter__(self):
        return iter(list(self._active))

    def __len__(self) -> int:
        return len(self._active)

    def __contains__(self, effect: Effect) -> bool:
        return effect in self._active

    def add(self, effect: Effect) -> None:
        if effect in self._active:
            raise EngineError(
                f"this fault is already in effect: {effect.describe()} (该故障已在生效中：{effect.describe()})"
            )
        for other in self._active:
            if isinstance(effect, DefaultVia) and isinstance(other, DefaultVia) and other.node == effect.node:
                raise EngineError(
                    f"{effect.describe()} contradicts a fault in effect: {other.describe()}; repair that "
                    f"first (与生效中的故障冲突：{other.describe()}，请先修复它)"
                )
            if isinstance(effect, PortInVlan) and isinstance(other, PortInVlan):
                if (other.switch, other.port) == (effect.switch, effect.port):
                    raise EngineError(
                        f"{effect.describe()} contradicts a fault in effect: {other.describe()}; repair that "
                        f"first (与生效中的故障冲突：{other.describe()}，请先修复它)"
                    )
        self._active[effect] = None

    def remove(self, effect: Effect) -> None:
        if effect not in self._active:
            raise EngineError(
                f"this fault is not in effect, nothing to repair: {effect.describe()} "
                f"(该故障未生效，无需修复：{effect.describe()})"
            )
        del self._active[effect]

    # -- what the state should be -------------------------------------------------------------
    def link_down(self, link: frozenset[str]) -> bool:
        return LinkAdminDown(link) in self._active

    def node_down(self, node: str) -> bool:
        return NodeAdminDown(node) in self._active

    def down_links(self) -> set[frozenset[str]]:
        return {e.link for e in self._active if isinstance(e, LinkAdminDown)}

    def down_nodes(self) -> set[str]:
        return {e.node for e in self._active if isinstance(e, NodeAdminDown)}

    def route_withdrawn(self, node: str, network: str) -> bool:
        return RouteWithdrawn(node, network) in self._active

    def rate_cap(self, link: frozenset[str]) -> float | None:
        caps = [e.mbit for e in self._active if isinstance(e, RateCap) and e.link == link]
        return min(caps) if caps else None

    def port_vlan(self, switch: str, port: str) -> int | None:
        for e in self._active:
            if isinstance(e, PortInVlan) and (e.switch, e.port) == (switch, port):
                return e.vlan
        return None

    def gateway(self, node: str) -> str | None:
        """The default gateway a fault gave `node`, if any."""
        for e in self._active:
            if isinstance(e, DefaultVia) and e.node == node:
                return e.gateway
        return None

    def vlans_borrowed(self, switch: str) -> set[int]:
        """VLANs that ports of `switch` are patched into by faults."""
        return {e.vlan for e in self._active if isinstance(e, PortInVlan) and e.switch == switch}
