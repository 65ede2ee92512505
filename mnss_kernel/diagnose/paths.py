"""Where a ping should go in the intended network, and whether the topology itself blocks it.

The diagnosis needs both: a pair that fails by design (a firewall rule of the topology, a guest
network kept apart) is not a symptom, and a suspect explains the failing pairs whose intended path
crosses it. Computed from the plan alone (hop by hop: connected subnet, else the longest matching
route, else the default gateway; within a subnet, the shortest way through its switches).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from functools import cached_property

from ..catalog import is_l3, role


class Paths:
    def __init__(self, topology, plan):
        self.topology, self.plan = topology, plan
        self.kinds = {n.name: n.kind for n in topology.nodes}
        self.owner = {i.ip.ip: i.node for ifs in plan.interfaces.values() for i in ifs if i.ip}
        self._cache: dict = {}

    @cached_property
    def _adjacent(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {n.name: [] for n in self.topology.nodes}
        for link in self.topology.links:
            found[link.a].append(link.b)
            found[link.b].append(link.a)
        return found

    def _l2(self, a: str, b: str) -> list[str]:
        """Nodes from a to b through switches only (a and b included); [a, b] if none is found."""
        previous, queue = {a: None}, deque([a])
        while queue:
            here = queue.popleft()
            if here == b:
                break
            for nxt in self._adjacent[here]:
                if nxt not in previous and (nxt == b or role(self.kinds[nxt]) == "switch"):
                    previous[nxt] = here
                    queue.append(nxt)
        if b not in previous:
            return [a, b]
        path, node = [], b
        while node is not None:
            path.append(node)
            node = previous[node]
        return path[::-1]

    def _next_hop(self, node: str, dst: ipaddress.IPv4Address):
        """(next node, route network used or None) from `node` towards `dst`; None if no route."""
        for i in self.plan.interfaces[node]:
            if i.ip and dst in i.ip.network:
                return self.owner.get(dst), None
        routes = list(self.plan.routes.get(node, []))
        best = max((r for r in routes if dst in r[0]), key=lambda r: r[0].prefixlen, default=None)
        if best is not None:
            return self.owner.get(best[1]), best[0]
        gateway = self.plan.gateways.get(node)
        return (self.owner.get(gateway), None) if gateway else (None, None)

    def route(self, src: str, dst_ip) -> tuple[list[str], list[tuple[str, object]]] | None:
        """(every node on the way, [(router, route network used)]) or None when the plan has no way."""
        key = (src, str(dst_ip))
        if key not in self._cache:
            self._cache[key] = self._route(src, ipaddress.IPv4Address(str(dst_ip)))
        return self._cache[key]

    def _route(self, src, dst):
        nodes, used, here = [src], [], src
        for _ in range(64):
            if self.plan.address(here) == dst or any(i.ip and i.ip.ip == dst for i in self.plan.interfaces[here]):
                return nodes, used
            nxt, net = self._next_hop(here, dst)
            if nxt is None:
                return None
            if net is not None:
                used.append((here, net))
            nodes += self._l2(here, nxt)[1:]
            here = nxt
        return None

    def blocked_by_design(self, src: str, dst: str) -> bool:
        """Whether the intended network itself stops a ping from src to dst (no route either way, or
        a firewall rule of the topology on the way)."""
        src_ip, dst_ip = self.plan.address(src), self.plan.address(dst)
        there, back = self.route(src, dst_ip), self.route(dst, src_ip)
        if there is None or back is None:
            return True
        for node in there[0][1:-1]:
            if role(self.kinds[node]) == "firewall" and self._denies(node, src_ip, dst_ip):
                return True
        return False

    def _denies(self, name: str, src, dst) -> bool:
        node = self.topology.node(name)
        for rule in node.rules:
            if "port" in rule or rule.get("proto", "any") not in ("any", "icmp"):
                continue
            if all(
                rule.get(k, "any") == "any" or ip in ipaddress.IPv4Network(rule[k])
                for k, ip in (("src", src), ("dst", dst))
            ):
                return rule["action"] == "deny"
        return node.default_policy == "deny"

    def crosses(self, src: str, dst: str, nodes: set[str], link: frozenset | None = None) -> bool:
        """Whether the intended path src -> dst (or its reply) passes any of `nodes` or the link."""
        for a, b in ((src, dst), (dst, src)):
            found = self.route(a, self.plan.address(b))
            if found is None:
                continue
            path = found[0]
            if nodes & set(path):
                return True
            if link is not None and any(frozenset(p) == link for p in zip(path, path[1:], strict=False)):
                return True
        return False

    def uses_route(self, src: str, dst: str, router: str, network) -> bool:
        for a, b in ((src, dst), (dst, src)):
            found = self.route(a, self.plan.address(b))
            if found and any(r == router and str(n) == str(network) for r, n in found[1]):
                return True
        return False

    def is_router(self, node: str) -> bool:
        return is_l3(self.kinds[node])
