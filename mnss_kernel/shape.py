"""The shape an assignment asks a lab to have, and how a lab that was measured differs from it.

A hidden `check_shape(NET, SHAPE)` names what the measured lab must be, so a learner cannot pass
the network checks with a different, easier lab of their own. SHAPE is a literal:

    {"links": [["wsa", "swa"], ["swa", "ra"], ...],             # every link, no other
     "addresses": {"wsa": "10.20.1.10/24", "ct1": "10.20.1.0/24", "ra": ["10.20.1.1/24", ...]},
     "nodes": ["spare1"]}                                        # optional: nodes without links

The lab's nodes must be exactly those named, and the pairs of nodes joined by a cable exactly the
pairs listed (parallel cables count once: the engine builds a VLAN trunk as one cable per VLAN).
An address with host bits (`10.20.1.10/24`) must be on that node with that prefix; a
network (`10.20.1.0/24`) asks for some address of the node in that subnet, with that prefix.
The same comparison runs on what the trusted grader reads from the lab's namespaces and, outside
the grader, on the lab's own plan.
"""

from __future__ import annotations

import ipaddress


class ShapeError(ValueError):
    """The SHAPE literal itself is malformed (an author's mistake, not a learner's)."""


def _pairs(shape: dict) -> set[tuple[str, str]]:
    links = shape.get("links", [])
    if not isinstance(links, (list, tuple)):
        raise ShapeError("shape: 'links' must be a list of [a, b] pairs")
    pairs = set()
    for link in links:
        if not (isinstance(link, (list, tuple)) and len(link) == 2 and all(isinstance(e, str) for e in link)):
            raise ShapeError(f"shape: a link must be a pair of node names, got {link!r}")
        pairs.add(tuple(sorted(link)))
    return pairs


def _wanted_addresses(shape: dict) -> dict[str, list[ipaddress.IPv4Interface]]:
    given = shape.get("addresses", {})
    if not isinstance(given, dict):
        raise ShapeError("shape: 'addresses' must map node names to addresses")
    wanted = {}
    for node, value in given.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        try:
            wanted[node] = [ipaddress.IPv4Interface(v) for v in values if isinstance(v, str)]
        except ValueError as err:
            raise ShapeError(f"shape: address of {node}: {err}") from None
        if len(wanted[node]) != len(values):
            raise ShapeError(f"shape: addresses of {node} must be strings such as '10.0.0.1/24'")
    return wanted


def required_nodes(shape: dict) -> set[str]:
    """Every node the shape names (link ends, addressed nodes, `nodes`)."""
    if not isinstance(shape, dict) or set(shape) - {"links", "addresses", "nodes"}:
        raise ShapeError("shape: a dict with 'links', 'addresses' and optionally 'nodes'")
    named = {end for pair in _pairs(shape) for end in pair}
    extra = shape.get("nodes", [])
    if not (isinstance(extra, (list, tuple)) and all(isinstance(n, str) for n in extra)):
        raise ShapeError("shape: 'nodes' must be a list of node names")
    return named | set(_wanted_addresses(shape)) | set(extra)


def _address_problem(node: str, want: ipaddress.IPv4Interface, has: set[ipaddress.IPv4Interface]) -> str:
    if want.ip == want.network.network_address and want.network.prefixlen < 31:  # a subnet was asked for
        if any(h.network == want.network for h in has):
            return ""
        return f"{node} has no address in {want.network}"
    return "" if want in has else f"{node} does not have the address {want}"


def differences(shape: dict, nodes: set[str], links: list[tuple[str, str]], addresses: dict[str, set]) -> list[str]:
    """What keeps the lab (its `nodes`, `links` as node pairs, IPv4 `addresses` per node as
    IPv4Interface) from having `shape`; [] when it has it."""
    problems = []
    wanted_nodes = required_nodes(shape)
    if missing := sorted(wanted_nodes - nodes):
        problems.append(f"missing nodes: {', '.join(missing)}")
    if extra := sorted(nodes - wanted_nodes):
        problems.append(f"nodes the assignment does not have: {', '.join(extra)}")
    have, want = {tuple(sorted(pair)) for pair in links}, _pairs(shape)
    if missing := sorted(want - have):
        problems.append("missing links: " + ", ".join("-".join(p) for p in missing))
    if extra := sorted(have - want):
        problems.append("links the assignment does not have: " + ", ".join("-".join(p) for p in extra))
    for node, wanted in sorted(_wanted_addresses(shape).items()):
        has = {ipaddress.IPv4Interface(a) for a in addresses.get(node, set())}
        problems += [p for p in (_address_problem(node, w, has) for w in wanted) if p]
    return problems


def of_lab(lab) -> tuple[set[str], list[tuple[str, str]], dict[str, set]]:
    """(nodes, links, addresses) of a running lab as it was planned (the kernel's own view)."""
    nodes = set(lab.topology.names())
    links = [link.ends() for link in lab.topology.links]
    addresses = {n: {i.ip for i in ifs if i.ip is not None} for n, ifs in lab.plan.interfaces.items()}
    return nodes, links, addresses
