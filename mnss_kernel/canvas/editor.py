"""Edits of a topology as a canvas makes them: each edit is checked whole, or refused whole.

An edit works on a copy; only a copy that validates replaces the current topology, so a refused
edit (a bad address, a duplicate link) leaves nothing half-changed. Every accepted edit can be
undone. Pure Python: the widget and the tests drive the same object.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from mnss_foundation.problem import Problem

from ..catalog import KINDS, role
from ..topology import Link, Node, Topology, TopologyError

# Name prefixes for new nodes: h1, s1, r1, fw1, pacs1 ...
PREFIX = {
    "host": "h",
    "switch": "s",
    "router": "r",
    "firewall": "fw",
    "nat": "nat",
    "gateway": "gw",
    "nurse_station": "ns",
    "medical_device": "md",
    "workstation": "ws",
    "database": "db",
}
NODE_FIELDS = {"name", "label", "ip", "gateway", "routes", "rules", "default_policy", "outside", "position"}
LINK_FIELDS = {"ip_a", "ip_b", "if_a", "if_b", "vlan", "vlans", "bw", "delay", "jitter", "loss", "mtu", "up"}


class TopologyEditor:
    def __init__(self, topology: Topology | None = None, history: int = 100):
        self.topology = (topology or Topology(nodes=[], name="untitled")).validated()
        self._undo: list[Topology] = []
        self._history = history
        self.listeners: list[Callable[[Topology], None]] = []

    # -- the one way to change ------------------------------------------------------------------
    def _apply(self, change: Callable[[Topology], None]) -> None:
        draft = self.topology.copy()
        change(draft)
        self._commit(draft.validated())  # raises TopologyError; self.topology untouched

    def _commit(self, checked: Topology) -> None:
        self._undo = (self._undo + [self.topology])[-self._history :]
        self.topology = checked
        self._notify()

    def _notify(self) -> None:
        for listener in self.listeners:
            listener(self.topology)

    def replace(self, topology: Topology) -> None:
        """Load another topology (undoable)."""
        self._commit(topology.validated())

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.topology = self._undo.pop()
        self._notify()
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # -- edits --------------------------------------------------------------------------------
    def new_name(self, kind: str) -> str:
        prefix = PREFIX.get(kind, re.sub(r"[^a-z]", "", kind)[:4])
        taken = {n.name for n in self.topology.nodes}
        i = 1
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    def free_position(self) -> dict:
        """Next slot on a grid, right of and below what is drawn, so new nodes never overlap."""
        count = len(self.topology.nodes)
        return {"x": 80 + 120 * (count % 6), "y": 80 + 110 * (count // 6)}

    def add_node(self, kind: str, name: str | None = None, position: dict | None = None, **props) -> str:
        if kind not in KINDS:
            text = f"kind {kind!r} is not in the catalog; choose one of: {', '.join(sorted(KINDS))}"
            raise TopologyError([Problem(text, "unknown_kind", kind=kind)])
        _check_fields(props, NODE_FIELDS - {"name", "position"}, "node")
        name = name or self.new_name(kind)
        position = position or self.free_position()
        self._apply(lambda t: t.nodes.append(Node(name=name, kind=kind, position=position, **props)))
        return name

    def connect(self, a: str, b: str, **props) -> None:
        _check_fields(props, LINK_FIELDS, "link")
        self._apply(lambda t: t.links.append(Link(a=a, b=b, **props)))

    def delete(self, name: str) -> None:
        """Delete a node and its links."""

        def change(t: Topology):
            t.node(name)  # KeyError names it
            t.nodes = [n for n in t.nodes if n.name != name]
            t.links = [link for link in t.links if name not in link.ends()]

        self._edit(change)

    def disconnect(self, a: str, b: str) -> None:
        def change(t: Topology):
            t.links.remove(t.link(a, b))

        self._edit(change)

    def move(self, name: str, x: float, y: float) -> None:
        def change(t: Topology):
            t.node(name).position = {"x": round(float(x), 1), "y": round(float(y), 1)}

        self._edit(change)

    def update_node(self, node: str, **props) -> None:
        """Change node properties; a new `name` is carried into its links."""
        _check_fields(props, NODE_FIELDS, "node")
        new = props.get("name", node)
        if new != node and new in self.topology.names():
            text = f"node {node!r}: the name {new!r} is already used by another node; choose another"
            raise TopologyError([Problem(text, "name_in_use", name=node, new=new)])

        def change(t: Topology):
            target = t.node(node)
            for key, value in props.items():
                setattr(target, key, value)
            new = props.get("name", node)
            for link in t.links:
                link.a = new if link.a == node else link.a
                link.b = new if link.b == node else link.b
            if new != node:
                for other in t.nodes:
                    other.outside = new if other.outside == node else other.outside

        self._edit(change)

    def update_link(self, a: str, b: str, **props) -> None:
        _check_fields(props, LINK_FIELDS, "link")

        def change(t: Topology):
            link = t.link(a, b)
            swap = {"ip_a": "ip_b", "ip_b": "ip_a"} if link.a != a else {}  # stored as (b, a)
            for key, value in props.items():
                setattr(link, swap.get(key, key), value)

        self._edit(change)

    def _edit(self, change: Callable[[Topology], None]) -> None:
        try:
            self._apply(change)
        except KeyError as err:
            raise TopologyError([_not_found(str(err).strip('"'))]) from None

    # -- checks while typing -------------------------------------------------------------------
    def check_node(self, node: str, **props) -> list[Problem]:
        """The problems `update_node(node, **props)` would have with the node itself, changing nothing.

        Only the node, its links and its neighbours are validated, so this is quick enough for every
        keystroke at hospital scale (the whole 1,076-node campus takes most of a second); what
        involves the rest of the network (an address used elsewhere) is found on the real edit."""
        _check_fields(props, NODE_FIELDS, "node")
        new = props.get("name") or node
        problems = []
        if new != node and new in self.topology.names():
            text = f"node {node!r}: the name {new!r} is already used by another node; choose another"
            problems.append(Problem(text, "name_in_use", f"node {node!r}: name", name=node, new=new))
        edited = copy.deepcopy(self.topology.node(node))
        for key, value in props.items():
            setattr(edited, key, value)
        edited.name = new
        links = [copy.deepcopy(link) for link in self.topology.links_of(node)]
        for link in links:
            link.a, link.b = (new if end == node else end for end in link.ends())
        return problems + _own_problems(edited, links, self.topology, f"node {new!r}")

    def check_link(self, a: str, b: str, **props) -> list[Problem]:
        """The problems `update_link(a, b, **props)` would have with that link, changing nothing
        (the link and its two ends are validated; see `check_node`)."""
        _check_fields(props, LINK_FIELDS, "link")
        link = copy.deepcopy(self.topology.link(a, b))
        swap = {"ip_a": "ip_b", "ip_b": "ip_a"} if link.a != a else {}
        for key, value in props.items():
            setattr(link, swap.get(key, key), value)
        return _own_problems(None, [link], self.topology, f"link {link.a}-{link.b}")

    # -- queries ------------------------------------------------------------------------------
    def neighbours(self, name: str) -> list[str]:
        return sorted(link.b if link.a == name else link.a for link in self.topology.links_of(name))

    def is_switch(self, name: str) -> bool:
        return role(self.topology.node(name).kind) == "switch"


def _own_problems(node: Node | None, links: list[Link], topo: Topology, where: str) -> list[Problem]:
    """The problems found at `where` ("node 'h1'", "link h1-s1") when `node` (if given) and `links`
    are validated with just the nodes at their other ends, as they are in `topo`."""
    others = {end for link in links for end in link.ends()} - {node.name if node else ""}
    nodes = [node] if node else []
    for name in sorted(others):
        neighbour = copy.deepcopy(topo.node(name))
        neighbour.outside = None  # its outside neighbour may not be in this piece
        nodes.append(neighbour)
    piece = Topology(nodes=nodes, links=links, addressing=dict(topo.addressing))
    try:
        piece.validated()
    except TopologyError as err:
        return [p for p in err.problems if isinstance(p, Problem) and p.where.startswith(where)]
    return []


def _check_fields(props: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(props) - allowed)
    if unknown:
        raise TopologyError([f"{what} property {unknown[0]!r} does not exist; allowed: {', '.join(sorted(allowed))}"])


def _not_found(text: str) -> Problem:
    """The model's KeyError text ("no node named 'x'", "no link between 'a' and 'b'") with its code."""
    names = re.findall(r"'([^']*)'", text)
    if text.startswith("no node") and len(names) == 1:
        return Problem(text, "no_node", name=names[0])
    if text.startswith("no link") and len(names) == 2:
        return Problem(text, "no_link", a=names[0], b=names[1])
    return Problem(text)
