"""Buildings and regions: the boxes (compound nodes) the canvas draws around a distribution router,
its access switches and their hosts, and around a WAN router with the sites behind it, found from
the wiring so that any topology drawn that way gets them.

The campus template wires each building as one router with an access switch per department
(b1r -> b1d1, b1d2, ...) and the hosts under those switches; a hand-drawn hospital usually does
the same. The hosts of one access switch are the inner box (`layout.host_blocks`)."""

from __future__ import annotations

from collections import Counter

from ..catalog import role
from ..topology import Topology

INNER = ("switch", "router", "firewall", "nat", "gateway")
MIN_SWITCHES = 2  # a router with one switch is a small LAN, not a building
MIN_SITES = 2  # a router with one site behind it is a WAN link, not a region


def buildings(topo: Topology) -> dict[str, str]:
    """Each node of a building -> the building's router.

    A building is a router with at least `MIN_SWITCHES` access switches: switches whose only link
    to a switch or router is the one to that router. It holds the router, those switches and the
    end nodes linked only to one of them. The campus core (one data-centre switch) is none."""
    kinds = {n.name: role(n.kind) for n in topo.nodes}
    ends: dict[str, list[str]] = {name: [] for name in kinds}
    for link in topo.links:
        if link.a in ends and link.b in ends and link.a != link.b:
            ends[link.a].append(link.b)
            ends[link.b].append(link.a)
    access = {}
    for name, others in ends.items():
        inner = [o for o in others if kinds[o] in INNER]
        if kinds[name] == "switch" and len(inner) == 1 and kinds[inner[0]] == "router":
            access[name] = inner[0]
    per_router = Counter(access.values())
    members: dict[str, str] = {}
    for switch, router in access.items():
        if per_router[router] < MIN_SWITCHES:
            continue
        members[router] = members[switch] = router
        for other in ends[switch]:
            if kinds[other] not in INNER and len(ends[other]) == 1:
                members[other] = router
    return members


def regions(topo: Topology, sites: dict[str, str] | None = None) -> dict[str, str]:
    """Each node of a region -> the region's router.

    A region is a router outside every building with at least `MIN_SITES` sites (buildings, see
    `buildings`) linked straight to it, whose router has no other link out of its building: a
    regional WAN router and the hospitals and clinics behind it. It holds that router and all of
    those sites. A campus, whose buildings hang off a backbone switch, has none."""
    sites = buildings(topo) if sites is None else sites
    kinds = {n.name: role(n.kind) for n in topo.nodes}
    outside: dict[str, set[str]] = {router: set() for router in set(sites.values())}
    for link in topo.links:
        for here, there in ((link.a, link.b), (link.b, link.a)):
            if here in outside and sites.get(there) != here:
                outside[here].add(there)
    behind: dict[str, list[str]] = {}
    for site, others in outside.items():
        if len(others) == 1:
            (up,) = others
            if kinds.get(up) == "router" and up not in sites:
                behind.setdefault(up, []).append(site)
    members: dict[str, str] = {}
    for up, found in behind.items():
        if len(found) < MIN_SITES:
            continue
        members[up] = up
        chosen = set(found)
        members.update({m: up for m, site in sites.items() if site in chosen})
    return members
