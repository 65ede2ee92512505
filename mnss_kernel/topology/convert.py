"""Conversions between the topology model and other formats; each a pure function of its input.

- cytoscape.js JSON, as ipycytoscape draws it: `to_cytoscape` / `from_cytoscape`. Lossless: every
  node and link field travels in the element's `data`; the catalog's presentation (colour, shape,
  role, label_zh/label_en) is added for the canvas and ignored on the way back.
- Mininet: `from_mininet` (a `mininet.topo.Topo` object), `load_mininet_file` (a custom topology
  file with a `topos` dict, as `mn --custom` reads it) and `to_mininet_python` (such a file).
- containerlab: `to_containerlab` / `from_containerlab`, the topology YAML subset
  {name, topology: {nodes: {NAME: {kind, image, labels}}, links: [{endpoints: [a:eth1, b:eth1]}]}}.
  Lossless through our own keys: the kind in the label `mnss-kind`, the display label in
  `mnss-label`, the position in containerlab's graph labels `graph-posX`/`graph-posY`, other node
  fields in `config.vars.mnss`, link fields in the link's `vars.mnss`, and the topology's title,
  description, addressing and routing in `topology.defaults.config.vars.mnss_topology`.

Every import ends in `Topology.from_dict`, so a result is always a fully checked topology; bad
input raises TopologyError with one line per problem, naming the node, edge or link.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import fields
from heapq import heappop, heappush
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..catalog import KINDS, role
from .model import Link, Node, Topology, TopologyError
from .plan import plan

__all__ = [
    "ConversionWarning", "from_containerlab", "from_cytoscape", "from_mininet", "load_mininet_file",
    "to_containerlab", "to_cytoscape", "to_mininet_python",
]


class ConversionWarning(UserWarning):
    """An import kept going but changed something (e.g. an unknown containerlab kind became a host)."""


NODE_FIELDS = tuple(f.name for f in fields(Node))
LINK_FIELDS = tuple(f.name for f in fields(Link))
TOPOLOGY_FIELDS = ("name", "title", "description", "addressing", "routing")
# Node fields other than name, kind, label and position: what containerlab and Mininet cannot say.
_EXTRA_NODE_FIELDS = ("ip", "gateway", "routes", "rules", "default_policy", "outside")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)


def _number(value: float) -> int | float:
    """5.0 -> 5 so files and round trips stay tidy; other floats rounded to a microsecond's worth."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def _topology_name(raw: Any, fallback: str = "topology") -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(raw or "")).strip("-._")[:64]
    return text if text and _NAME_RE.match(text) else fallback


# =============================================================================================
# cytoscape.js / ipycytoscape
# =============================================================================================

#: Keys in a node's data that are presentation only: written for the canvas, ignored when read.
NODE_PRESENTATION = frozenset({"role", "colour", "color", "shape", "label_zh", "label_en", "service",
                               "label_is_name"})
#: Keys in an edge's data that are presentation only.
EDGE_PRESENTATION = frozenset({"label"})


def to_cytoscape(topo: Topology) -> dict:
    """cytoscape.js JSON: {"data": {topology fields}, "nodes": [...], "edges": [...]}.

    Node data: id (the name), label (the display label, the name when there is none), kind, every
    other set node field, and for the canvas role, colour, shape, service, label_zh, label_en and
    label_is_name. Node position: the element's "position" (left out when the model has none, so
    the canvas lays the node out). Edge data: id ("a-b"), source, target, up and every other set
    link field, plus a short display label ("100 Mbit/s · 5 ms"). Works on a topology being edited
    that does not validate yet (unknown kinds get no presentation).
    """
    data = topo.to_dict()
    nodes = []
    for node in data["nodes"]:
        element_data: dict = {"id": node["name"], "label": node.get("label", node["name"]),
                              "kind": node["kind"], "label_is_name": "label" not in node}
        for key, value in node.items():
            if key not in ("name", "kind", "label", "position"):
                element_data[key] = value
        kind = KINDS.get(node["kind"])
        if kind is not None:
            element_data.update(role=kind.role, colour=kind.colour, shape=kind.shape,
                                label_zh=kind.label_zh, label_en=kind.label_en)
            if kind.service:
                element_data["service"] = kind.service
        element: dict = {"data": element_data}
        if "position" in node:
            element["position"] = dict(node["position"])
        nodes.append(element)
    edges, seen = [], set()
    for index, link in enumerate(data["links"]):
        edge_id = f"{link['a']}-{link['b']}"
        if edge_id in seen:  # only in a topology that does not validate (a duplicate link)
            edge_id = f"{edge_id}-{index}"
        seen.add(edge_id)
        edge_data = {"id": edge_id, "source": link["a"], "target": link["b"], "up": link.get("up", True)}
        edge_data.update({k: v for k, v in link.items() if k not in ("a", "b", "up")})
        edge_data["label"] = _edge_label(link)
        edges.append({"data": edge_data})
    graph = {k: data[k] for k in TOPOLOGY_FIELDS if k in data}
    return {"data": graph, "nodes": nodes, "edges": edges}


def _edge_label(link: dict) -> str:
    parts = []
    if "bw" in link:
        parts.append(f"{_number(link['bw'])} Mbit/s")
    if "delay" in link:
        parts.append(f"{_number(link['delay'])} ms" + (f" ±{_number(link['jitter'])}" if "jitter" in link else ""))
    if "loss" in link:
        parts.append(f"{_number(link['loss'])}% loss")
    if "vlan" in link:
        parts.append(f"VLAN {link['vlan']}")
    if "vlans" in link:
        parts.append("VLANs " + ",".join(map(str, link["vlans"])))
    return " · ".join(parts)


def from_cytoscape(data: Any, source: str = "cytoscape") -> Topology:
    """A Topology from cytoscape.js JSON: what `to_cytoscape` writes, `cy.json()` (elements as a
    mapping or a list with "group"), or ipycytoscape's {"nodes": [...], "edges": [...]}.

    Element keys other than data and position (classes, selected, locked, ...) are ignored, so are
    presentation keys (NODE_PRESENTATION, EDGE_PRESENTATION) and data keys starting with "_". Any
    other unknown data key is an error, so a misspelt field is never silently dropped. A data value
    of null means "not set". A label equal to the id means "no label" unless label_is_name is false.
    """
    graph: Any = {}
    if isinstance(data, list):
        elements: Any = data
    elif isinstance(data, Mapping):
        graph = data.get("data") or {}
        elements = data.get("elements", data)
    else:
        raise TopologyError([f"expected cytoscape JSON (a mapping with 'nodes' and 'edges'), "
                             f"not {_type_name(data)}"], source)
    if isinstance(elements, list):
        nodes, edges = [], []
        for element in elements:
            is_edge = isinstance(element, Mapping) and (
                element.get("group") == "edges" or (element.get("group") != "nodes"
                                                    and isinstance(element.get("data"), Mapping)
                                                    and "source" in element["data"]))
            (edges if is_edge else nodes).append(element)
    elif isinstance(elements, Mapping):
        nodes, edges = elements.get("nodes", []), elements.get("edges", [])
    else:
        raise TopologyError([f"elements: expected a mapping or a list, not {_type_name(elements)}"], source)

    problems: list[str] = []
    if not isinstance(graph, Mapping):
        problems.append(f"data: expected a mapping of topology fields, not {_type_name(graph)}")
        graph = {}
    for what, items in (("nodes", nodes), ("edges", edges)):
        if not isinstance(items, list):
            raise TopologyError([f"{what}: expected a list of elements, not {_type_name(items)}"], source)

    out: dict = {k: graph[k] for k in TOPOLOGY_FIELDS if graph.get(k) is not None}
    out_nodes: list[dict] = []
    for i, element in enumerate(nodes):
        element_data = element.get("data") if isinstance(element, Mapping) else None
        if not isinstance(element_data, Mapping):
            problems.append(f"nodes[{i}]: expected an element with a 'data' mapping")
            continue
        node_id = element_data.get("id")
        if not isinstance(node_id, str) or not node_id:
            problems.append(f"nodes[{i}]: data.id is missing or not a string; it is the node's name")
            continue
        what = f"node {node_id!r}"
        node: dict = {"name": node_id}
        for key, value in element_data.items():
            if key == "id" or key in NODE_PRESENTATION or key.startswith("_") or value is None:
                continue
            if key == "name":
                if value != node_id:
                    problems.append(f"{what}: data.name {value!r} differs from data.id; the id is the name")
                continue
            if key == "position":
                problems.append(f"{what}: data.position: a position goes in the element's 'position', not in data")
                continue
            if key not in NODE_FIELDS:
                problems.append(f"{what}: data.{key}: not a node field; node fields are "
                                f"{', '.join(f for f in NODE_FIELDS if f not in ('name', 'position'))}")
                continue
            node[key] = value
        if node.get("label") == node_id and element_data.get("label_is_name", True):
            del node["label"]
        position = element.get("position")
        if position is not None:
            node["position"] = dict(position) if isinstance(position, Mapping) else position
        out_nodes.append(node)

    known = {n["name"] for n in out_nodes}
    out_links: list[dict] = []
    for i, element in enumerate(edges):
        element_data = element.get("data") if isinstance(element, Mapping) else None
        if not isinstance(element_data, Mapping):
            problems.append(f"edges[{i}]: expected an element with a 'data' mapping")
            continue
        what = f"edge {element_data.get('id') or f'edges[{i}]'!r}"
        link: dict = {}
        for end, key in (("source", "a"), ("target", "b")):
            value = element_data.get(end)
            if value is None:
                problems.append(f"{what}: data.{end} is missing")
            elif value not in known:
                problems.append(f"{what}: {end} {value!r} is not a node")
            link[key] = value
        for key, value in element_data.items():
            if key in ("id", "source", "target") or key in EDGE_PRESENTATION or key.startswith("_") \
                    or value is None:
                continue
            if key not in LINK_FIELDS or key in ("a", "b"):
                problems.append(f"{what}: data.{key}: not a link field; link fields are "
                                f"{', '.join(f for f in LINK_FIELDS if f not in ('a', 'b'))}")
                continue
            link[key] = value
        out_links.append(link)
    if problems:
        raise TopologyError(problems, source)
    out["nodes"], out["links"] = out_nodes, out_links
    return Topology.from_dict(out, source)


# =============================================================================================
# Mininet
# =============================================================================================

_TIME_UNITS = {"s": 1000.0, "sec": 1000.0, "secs": 1000.0, "ms": 1.0, "msec": 1.0, "msecs": 1.0,
               "us": 0.001, "usec": 0.001, "usecs": 0.001}
_TIME_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*")
MININET_PREFIX = 8  # Mininet's default prefix length for an address given without one (ipBase 10.0.0.0/8)


def _milliseconds(value: Any) -> int | float:
    """A Mininet/tc time ('5ms', '1s', '250us') in ms. Like tc, a bare number means microseconds."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return _number(value * _TIME_UNITS["us"])
    match = _TIME_RE.fullmatch(str(value))
    if not match or match.group(2).lower() not in _TIME_UNITS | {"": 0}:
        raise ValueError
    return _number(float(match.group(1)) * _TIME_UNITS[match.group(2).lower() or "us"])


def _with_prefix(ip: Any) -> Any:
    return f"{ip}/{MININET_PREFIX}" if isinstance(ip, str) and "/" not in ip else ip


_recording = threading.Lock()


@contextmanager
def _record_link_order():
    """While a custom file builds its topology, remember the order of addLink calls.

    A Mininet Topo keeps its links in a graph that forgets the order they were added in; the order
    decides interface numbering and automatic subnets, so the import keeps it when it can.
    """
    from mininet.topo import Topo

    original = Topo.addLink

    def addLink(self, node1, node2, port1=None, port2=None, key=None, **opts):  # noqa: N802 (Mininet's name)
        key = original(self, node1, node2, port1, port2, key, **opts)
        self.__dict__.setdefault("_mnss_link_order", []).append((node1, node2, key))
        return key

    with _recording:
        Topo.addLink = addLink
        try:
            yield
        finally:
            Topo.addLink = original


def _ordered_links(topo_obj, node_index: dict[str, int]) -> list[tuple]:
    """The links in the order they were added, or else in an order consistent with the port numbers.

    Interface names follow link order (h1-eth0 is h1's first link), so any order in which each
    node's links appear by ascending port gives the interface names Mininet gives; ties are broken
    towards links between early nodes, which is the order Mininet-style build() methods use.
    """
    links = list(topo_obj.links(sort=False, withKeys=True, withInfo=True))
    recorded = getattr(topo_obj, "_mnss_link_order", None)
    if recorded:
        position = {(a, b, k): i for i, (a, b, k) in enumerate(recorded)}
        if all((a, b, k) in position for a, b, k, _ in links):
            return sorted(links, key=lambda link: position[link[:3]])
    priority = [(max(node_index.get(a, 0), node_index.get(b, 0)), i) for i, (a, b, _, _) in enumerate(links)]
    by_node: dict[str, list[tuple[Any, int]]] = {}
    for i, (a, b, _, info) in enumerate(links):
        for end, port in ((a, info.get("port1")), (b, info.get("port2"))):
            by_node.setdefault(end, []).append((port if isinstance(port, int) else math.inf, i))
    after: dict[int, list[int]] = {i: [] for i in range(len(links))}
    waiting = Counter()
    for ports in by_node.values():
        ports.sort()
        for (_, first), (_, second) in zip(ports, ports[1:]):
            after[first].append(second)
            waiting[second] += 1
    ready: list = []
    for i in range(len(links)):
        if not waiting[i]:
            heappush(ready, (priority[i], i))
    order: list[int] = []
    while ready:
        _, i = heappop(ready)
        order.append(i)
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                heappush(ready, (priority[j], j))
    if len(order) < len(links):  # explicit ports that contradict each other: keep the rest as they come
        done = set(order)
        order += sorted((i for i in range(len(links)) if i not in done), key=lambda i: priority[i])
    return [links[i] for i in order]


def from_mininet(topo_obj, name: str | None = None, kinds: Mapping[str, str] | None = None,
                 addressing: dict | None = None, source: str = "mininet") -> Topology:
    """A Topology from a `mininet.topo.Topo` instance.

    Nodes keep their order. Switches become kind 'switch', other nodes kind 'host', except that a
    node whose class (`cls`) is named like a router (e.g. examples/linuxrouter.py's LinuxRouter) or
    that has `forward=True` becomes 'router'; `kinds` ({name: kind}) or a node option `mnss_kind`
    decide first. Host options: `ip` (an address without prefix gets Mininet's /8) is the address of
    the node's first interface, `defaultRoute='via X'` its gateway; `routes`, `rules`,
    `default_policy`, `outside` and `mnss_label` are read as written by `to_mininet_python`.
    Link options: bw (Mbit/s), delay and jitter ('5ms', '1s', '100us'; like tc, a bare number is
    microseconds), loss (%), params1/params2 {'ip': ...}, and `mnss_vlan`, `mnss_vlans`, `mnss_mtu`,
    `mnss_up`; a class attribute `mnss_topology` gives title, description, addressing and routing.
    Everything else (max_queue_size, use_htb, cls, intfName, MAC addresses, dpid, ...)
    is ignored without error. A topology with more hosts than a /24 holds gets a wider automatic
    prefix, like Mininet's flat 10.0.0.0/8, unless `addressing` is given.
    """
    node_names = list(topo_obj.nodes(sort=False))
    node_index = {n: i for i, n in enumerate(node_names)}
    links = _ordered_links(topo_obj, node_index)
    problems: list[str] = []
    kinds = dict(kinds or {})

    # The first interface of each node is its lowest port; that is where a node's `ip` goes.
    first: dict[str, tuple[Any, int, str]] = {}
    degree: Counter = Counter()
    for index, (a, b, _, info) in enumerate(links):
        for end, port, side in ((a, info.get("port1"), "ip_a"), (b, info.get("port2"), "ip_b")):
            degree[end] += 1
            rank = (port if isinstance(port, int) else math.inf, index)
            if end not in first or rank < first[end][:2]:
                first[end] = (rank[0], index, side)

    out_links: list[dict] = []
    for a, b, _, info in links:
        what = f"link {a}-{b}"
        link: dict = {"a": a, "b": b}
        for side, params_key in (("ip_a", "params1"), ("ip_b", "params2")):
            params = info.get(params_key) or {}
            if isinstance(params, Mapping) and params.get("ip"):
                link[side] = _with_prefix(params["ip"])
        if info.get("bw") is not None:
            link["bw"] = info["bw"]
        for key in ("delay", "jitter"):
            if info.get(key) is not None:
                try:
                    link[key] = _milliseconds(info[key])
                except ValueError:
                    problems.append(f"{what}: {key}: {info[key]!r} is not a time like '5ms'")
        if info.get("loss") is not None:
            link["loss"] = info["loss"]
        for key in ("vlan", "vlans", "mtu", "up"):
            if info.get(f"mnss_{key}") is not None:
                link[key] = info[f"mnss_{key}"]
        out_links.append(link)

    out_nodes: list[dict] = []
    for name_ in node_names:
        opts = dict(topo_obj.nodeInfo(name_) or {})
        is_switch = bool(opts.get("isSwitch")) or topo_obj.isSwitch(name_)
        cls_name = getattr(opts.get("cls"), "__name__", "") or ""
        kind = kinds.get(name_) or opts.get("mnss_kind") or (
            "switch" if is_switch else "router" if opts.get("forward") or "router" in cls_name.lower() else "host")
        node: dict = {"name": name_, "kind": kind}
        if opts.get("mnss_label"):
            node["label"] = opts["mnss_label"]
        if not is_switch:
            ip = _with_prefix(opts.get("ip"))
            if ip and name_ in first:
                _, index, side = first[name_]
                if degree[name_] == 1 and side not in out_links[index]:
                    node["ip"] = ip
                else:  # Mininet configures the node's ip on its first interface last: it wins
                    out_links[index][side] = ip
            route = opts.get("defaultRoute")
            if isinstance(route, str) and route.split()[:1] == ["via"] and len(route.split()) >= 2:
                node["gateway"] = route.split()[1]
            routes = opts.get("routes")
            if routes:
                node["routes"] = []
                for route in routes:
                    if isinstance(route, Mapping):
                        node["routes"].append(dict(route))
                    elif isinstance(route, (list, tuple)) and len(route) == 2:
                        node["routes"].append({"to": str(route[0]), "via": str(route[1])})
                    else:
                        problems.append(f"node {name_!r}: routes: {route!r} is not (to, via) or {{to, via}}")
            if opts.get("rules"):
                node["rules"] = [dict(rule) for rule in opts["rules"] if isinstance(rule, Mapping)]
                if len(node["rules"]) != len(opts["rules"]):
                    problems.append(f"node {name_!r}: rules: every rule must be a mapping like {{'action': 'deny'}}")
            for key in ("default_policy", "outside"):
                if opts.get(key):
                    node[key] = opts[key]
        out_nodes.append(node)
    if problems:
        raise TopologyError(problems, source)

    data: dict = {"name": _topology_name(name or type(topo_obj).__name__)}
    meta = getattr(topo_obj, "mnss_topology", None)
    if isinstance(meta, Mapping):
        data.update({k: meta[k] for k in ("title", "description", "addressing", "routing") if k in meta})
        addressing = addressing if addressing is not None else meta.get("addressing")
    data.update(nodes=out_nodes, links=out_links)
    if addressing is not None:
        data["addressing"] = dict(addressing)
        return Topology.from_dict(data, source)
    try:
        return Topology.from_dict(data, source)
    except TopologyError as err:
        if not any("has room for" in p for p in err.problems):
            raise
    hosts = sum(1 for n in out_nodes if n["kind"] in KINDS and role(n["kind"]) != "switch")
    data["addressing"] = {"pool": "10.0.0.0/8", "prefix": min(24, 32 - math.ceil(math.log2(hosts + 12)))}
    return Topology.from_dict(data, source)


def load_mininet_file(path: str | Path, name: str | None = None, **params) -> Topology:
    """Run a Mininet custom topology file (like `mn --custom`) and convert one of its topologies.

    The file defines `topos = {'name': TopoClassOrFunction, ...}`; `name` picks one (needed when
    there are several), `params` are passed to it like `mn --topo name,arg1,key=value` would. A file
    without `topos` but with exactly one Topo subclass (like Mininet's examples) uses that class.
    The file is executed: load only files you trust, as with `mn --custom`.
    """
    from mininet.topo import Topo

    path = Path(path)
    source = str(path)
    try:
        code = path.read_text("utf-8")
    except OSError as err:
        raise TopologyError([f"cannot read file: {err.strerror}"], source) from None
    module_name = "mnss_custom_topology"
    namespace: dict = {"__name__": module_name, "__file__": source}
    with _record_link_order():
        try:
            exec(compile(code, source, "exec"), namespace)  # noqa: S102 - that is what a custom file is for
        except (Exception, SystemExit) as err:
            raise TopologyError([f"running the file failed: {type(err).__name__}: {err}"], source) from None
        topos = namespace.get("topos")
        if topos is None:
            classes = {k: v for k, v in namespace.items() if isinstance(v, type) and issubclass(v, Topo)
                       and v.__module__ == module_name}
            if len(classes) != 1:
                raise TopologyError(["the file defines no 'topos' dict (e.g. topos = {'mytopo': MyTopo})"
                                     + (f" and {len(classes)} Topo classes" if classes else "")], source)
            topos = classes
        if not isinstance(topos, Mapping) or not topos:
            raise TopologyError([f"topos: expected a non-empty dict of name: Topo class or function, "
                                 f"not {_type_name(topos)}"], source)
        if name is None:
            if len(topos) > 1:
                raise TopologyError([f"the file defines {len(topos)} topologies ({', '.join(map(str, topos))}); "
                                     "say which one with name="], source)
            name = next(iter(topos))
        elif name not in topos:
            raise TopologyError([f"topos: no topology {name!r}; the file defines {', '.join(map(str, topos))}"],
                                source)
        try:
            topo_obj = topos[name](**params)
        except (Exception, SystemExit) as err:
            raise TopologyError([f"topos[{name!r}]: building it failed: {type(err).__name__}: {err}"], source) from None
    if not (hasattr(topo_obj, "nodeInfo") and hasattr(topo_obj, "links")):
        raise TopologyError([f"topos[{name!r}]: returned {_type_name(topo_obj)}, not a mininet Topo"], source)
    return from_mininet(topo_obj, name=_topology_name(name), source=source)


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

_MININET_CLASS = '''

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
'''


def _topology_meta(topo: Topology) -> dict:
    data = topo.to_dict()
    return {k: data[k] for k in ("title", "description", "addressing", "routing") if k in data}


def _literal(value: Any) -> str:
    if isinstance(value, float):
        return repr(_number(value))
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
    lines = [_MININET_HEADER.format(
        name=topo.name,
        addresses=("Addresses, gateways and routes are those of the MNSS plan." if use_plan else
                   "Only the addresses the MNSS topology states are set; Mininet numbers the other hosts."))]
    if topo.title or topo.description:
        lines += [f"# {line}" for line in "\n".join(filter(None, (topo.title, topo.description))).splitlines()]
        lines.append("")
    lines += ["from mininet.link import TCLink", "from mininet.node import Node", "from mininet.topo import Topo"]
    lines.append(_MININET_CLASS)
    lines += ["", "class MNSSTopo(Topo):", f'    "{topo.name}: {len(topo.nodes)} nodes, {len(topo.links)} links."',
              f"    mnss_topology = {_literal(_topology_meta(topo))}", "", "    def build(self):"]
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
        routes = ([(str(net), str(via)) for net, via in p.routes.get(node.name, [])] if use_plan
                  else [(r_["to"], r_["via"]) for r_ in node.routes])
        if r != "host" or routes:
            opts["cls"] = "MNSSNode"
        ip = node_ip(node)
        if ip or not ifs[node.name]:
            opts["ip"] = ip  # None for a node without links: Mininet would try to address it
        gateway = (str(p.gateways[node.name]) if use_plan and node.name in p.gateways else node.gateway)
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
            opts["delay"] = f"{_number(link.delay)}ms"
        if link.jitter is not None:
            opts["jitter"] = f"{_number(link.jitter)}ms"
        if link.loss is not None:
            opts["loss"] = link.loss
        for end, key in ((link.a, "params1"), (link.b, "params2")):
            # a one-link node's planned address is its `ip` option; given ones stay where they were given
            ip = link_ip(index, end)
            if ip and role(kinds[end]) != "switch" and not (use_plan and degree[end] == 1):
                opts[key] = {"ip": ip}
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


# =============================================================================================
# containerlab
# =============================================================================================

CLAB_SWITCH_KINDS = frozenset({"bridge", "ovs-bridge"})
CLAB_HOST_KINDS = frozenset({"linux"})
#: Node keys containerlab has and MNSS does not use; ignored on import (exec/binds/startup-config noted).
CLAB_NOTED_KEYS = ("exec", "binds", "startup-config")
DEFAULT_IMAGE = "alpine:latest"


def to_containerlab(topo: Topology, image: str = DEFAULT_IMAGE, images: Mapping[str, str] | None = None,
                    switch_kind: str = "bridge") -> dict:
    """containerlab topology data (dump it with yaml.safe_dump to get a .clab.yml).

    Switches become `switch_kind` ('bridge' or 'ovs-bridge'; containerlab expects the bridge to
    exist on the host, named like the node), every other node a 'linux' container with `image`,
    or `images[kind]` / `images[role]` when given. Interfaces: eth1, eth2, ... on containers (eth0 is
    containerlab's management), NODE-eth1, ... on bridges (they live in the host namespace).
    Everything MNSS knows is kept for `from_containerlab` (see the module docstring), but
    containerlab itself does not apply addresses, routes, firewall rules, VLANs or link shaping.
    """
    if switch_kind not in CLAB_SWITCH_KINDS:
        raise ValueError(f"switch_kind must be one of {', '.join(sorted(CLAB_SWITCH_KINDS))}")
    images = dict(images or {})
    data = topo.to_dict()
    roles = {n["name"]: (role(n["kind"]) if n["kind"] in KINDS else "host") for n in data["nodes"]}
    nodes: dict = {}
    for node in data["nodes"]:
        r = roles[node["name"]]
        entry: dict = {"kind": switch_kind if r == "switch" else "linux"}
        if r != "switch":
            entry["image"] = images.get(node["kind"]) or images.get(r) or image
        labels = {"mnss-kind": node["kind"]}
        if "label" in node:
            labels["mnss-label"] = node["label"]
        if "position" in node:
            labels["graph-posX"] = str(_number(node["position"]["x"]))
            labels["graph-posY"] = str(_number(node["position"]["y"]))
        entry["labels"] = labels
        extra = {k: node[k] for k in _EXTRA_NODE_FIELDS if k in node}
        if extra:
            entry["config"] = {"vars": {"mnss": extra}}
        nodes[node["name"]] = entry
    counters: Counter = Counter()
    links = []
    for link in data["links"]:
        endpoints = []
        for end in (link["a"], link["b"]):
            counters[end] += 1
            ifname = f"{end}-eth{counters[end]}" if roles.get(end) == "switch" else f"eth{counters[end]}"
            endpoints.append(f"{end}:{ifname}")
        entry = {"endpoints": endpoints}
        extra = {k: v for k, v in link.items() if k not in ("a", "b")}
        if extra:
            entry["vars"] = {"mnss": extra}
        links.append(entry)
    out: dict = {"name": data["name"], "topology": {}}
    meta = {k: data[k] for k in ("title", "description", "addressing", "routing") if k in data}
    if meta:
        out["topology"]["defaults"] = {"config": {"vars": {"mnss_topology": meta}}}
    out["topology"]["nodes"] = nodes
    if links:
        out["topology"]["links"] = links
    return out


def _dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _clab_number(value: Any) -> Any:
    try:
        return _number(float(value))
    except (TypeError, ValueError):
        return value  # the schema check names it


def from_containerlab(data_or_path: Mapping | str | Path) -> Topology:
    """A Topology from containerlab topology data, or from a .clab.yml file path.

    Kinds: the label `mnss-kind` if present; else 'linux' -> host, 'bridge'/'ovs-bridge' -> switch,
    any other kind (a router OS, ...) -> host, with a ConversionWarning and a note in the
    description. A node's kind may come from `topology.defaults.kind`. Ignored (documented, not an
    error): image, interface names in endpoints, and every other containerlab node key (env, ports,
    mgmt addresses, ...); exec, binds and startup-config are named in the description's notes since
    they usually carry configuration MNSS does not run. Node names must be MNSS names (letters,
    digits, '_'); containerlab's special endpoints (host:, mgmt-net:, macvlan:) are not supported.
    """
    source = "containerlab"
    if isinstance(data_or_path, (str, Path)):
        path = Path(data_or_path)
        source = str(path)
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except OSError as err:
            raise TopologyError([f"cannot read file: {err.strerror}"], source) from None
        except yaml.YAMLError as err:
            raise TopologyError([f"not valid YAML: {err}"], source) from None
    else:
        data = data_or_path
    if not isinstance(data, Mapping):
        raise TopologyError([f"top level must be a mapping with 'name' and 'topology', not {_type_name(data)}"], source)
    topology = data.get("topology")
    if not isinstance(topology, Mapping) or not isinstance(topology.get("nodes"), Mapping):
        raise TopologyError(["topology.nodes: missing; expected a mapping of node name to node settings"], source)

    problems: list[str] = []
    notes: list[str] = []
    defaults = topology.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(f"topology.defaults: expected a mapping, not {_type_name(defaults)}")
        defaults = {}
    meta = _dig(defaults, "config", "vars", "mnss_topology") or {}
    out: dict = {"name": data.get("name", "topology")}
    if isinstance(meta, Mapping):
        out.update({k: meta[k] for k in ("title", "description", "addressing", "routing") if k in meta})

    nodes: list[dict] = []
    for name, cfg in topology["nodes"].items():
        what = f"node {name!r}"
        cfg = cfg if cfg is not None else {}
        if not isinstance(cfg, Mapping):
            problems.append(f"{what}: expected a mapping of node settings, not {_type_name(cfg)}")
            continue
        labels = cfg.get("labels") or {}
        if not isinstance(labels, Mapping):
            problems.append(f"{what}: labels: expected a mapping, not {_type_name(labels)}")
            labels = {}
        clab_kind = cfg.get("kind", defaults.get("kind"))
        kind = labels.get("mnss-kind")
        if kind is None:
            if clab_kind in CLAB_HOST_KINDS:
                kind = "host"
            elif clab_kind in CLAB_SWITCH_KINDS:
                kind = "switch"
            elif clab_kind is None:
                problems.append(f"{what}: kind: missing (and no topology.defaults.kind)")
                continue
            else:
                kind = "host"
                notes.append(f"node {name!r} (containerlab kind {clab_kind}) has no MNSS equivalent "
                             "and is emulated as a plain Linux host")
        node: dict = {"name": name, "kind": kind}
        if "mnss-label" in labels:
            node["label"] = labels["mnss-label"]
        if "graph-posX" in labels and "graph-posY" in labels:
            node["position"] = {"x": _clab_number(labels["graph-posX"]), "y": _clab_number(labels["graph-posY"])}
        extra = _dig(cfg, "config", "vars", "mnss")
        if isinstance(extra, Mapping):
            for key, value in extra.items():
                if key in _EXTRA_NODE_FIELDS:
                    node[key] = value
                else:
                    problems.append(f"{what}: config.vars.mnss.{key}: not a node field")
        ignored = [k for k in CLAB_NOTED_KEYS if cfg.get(k)]
        if ignored:
            notes.append(f"node {name!r}: {', '.join(ignored)} ignored (MNSS configures nodes from the topology)")
        nodes.append(node)

    names = {n["name"] for n in nodes} | {str(k) for k in topology["nodes"]}
    links: list[dict] = []
    raw_links = topology.get("links") or []
    if not isinstance(raw_links, list):
        raise TopologyError(problems + [f"topology.links: expected a list, not {_type_name(raw_links)}"], source)
    for i, raw in enumerate(raw_links):
        endpoints = raw.get("endpoints") if isinstance(raw, Mapping) else None
        shown = f"links[{i}]" + (f" ({' - '.join(map(str, endpoints))})" if isinstance(endpoints, list) else "")
        if not isinstance(endpoints, list) or len(endpoints) != 2:
            problems.append(f"{shown}: endpoints: expected two endpoints like ['a:eth1', 'b:eth1']")
            continue
        ends = []
        for endpoint in endpoints:
            if isinstance(endpoint, Mapping):  # extended format: {node: a, interface: eth1}
                node_name = endpoint.get("node")
            elif isinstance(endpoint, str) and ":" in endpoint:
                node_name = endpoint.split(":", 1)[0]
            else:
                node_name = None
            if not node_name:
                problems.append(f"{shown}: endpoint {endpoint!r} is not 'node:interface'")
            elif node_name not in names:
                special = " (containerlab's special endpoints host, mgmt-net, macvlan are not supported)" \
                    if node_name in ("host", "mgmt-net", "macvlan") else ""
                problems.append(f"{shown}: node {node_name!r} is not in topology.nodes{special}")
            ends.append(node_name)
        link: dict = {"a": ends[0], "b": ends[1]}
        extra = _dig(raw, "vars", "mnss")
        if isinstance(extra, Mapping):
            for key, value in extra.items():
                if key in LINK_FIELDS and key not in ("a", "b"):
                    link[key] = value
                else:
                    problems.append(f"{shown}: vars.mnss.{key}: not a link field")
        if raw.get("mtu") is not None and "mtu" not in link:
            link["mtu"] = raw["mtu"]
        links.append(link)
    if problems:
        raise TopologyError(problems, source)
    if notes:
        for note in notes:
            warnings.warn(f"{source}: {note}", ConversionWarning, stacklevel=2)
        text = "Imported from containerlab: " + "; ".join(notes) + "."
        out["description"] = f"{out['description']}\n\n{text}" if out.get("description") else text
    out["nodes"], out["links"] = nodes, links
    return Topology.from_dict(out, source)


# -- files in any supported format, chosen by the file name ----------------------------------------

FORMATS = {"yaml": "MNSS YAML (.yaml, .yml)", "json": "MNSS JSON (.json)",
           "mininet": "Mininet custom topology (.py)", "containerlab": "containerlab (.clab.yml, .clab.yaml)"}


def format_of(path: str | Path) -> str:
    name = Path(path).name.lower()
    if name.endswith((".clab.yml", ".clab.yaml")):
        return "containerlab"
    suffix = Path(name).suffix
    found = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".py": "mininet"}.get(suffix)
    if found is None:
        raise TopologyError([f"{path}: unknown file type; use one of: {', '.join(FORMATS.values())}"])
    return found


def read_file(path: str | Path) -> Topology:
    """Load a topology from any supported format."""
    kind = format_of(path)
    if kind == "mininet":
        return load_mininet_file(path)
    if kind == "containerlab":
        return from_containerlab(path)
    return Topology.load(path)


def write_file(topo: Topology, path: str | Path) -> Path:
    """Save in the format the file name asks for; written atomically, so a failure keeps the old file."""
    path, kind = Path(path), format_of(path)
    if kind in ("yaml", "json"):
        return topo.save(path)
    text = (to_mininet_python(topo) if kind == "mininet"
            else yaml.safe_dump(to_containerlab(topo), allow_unicode=True, sort_keys=False))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
    return path
