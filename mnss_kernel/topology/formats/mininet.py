"""Mininet topologies into the model: `from_mininet` (a `mininet.topo.Topo` object) and
`load_mininet_file` (a custom topology file, as `mn --custom` reads it)."""

from __future__ import annotations

import ipaddress
import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
from heapq import heappop, heappush
from pathlib import Path
from typing import Any

from ...catalog import KINDS, role
from ..model import Topology, TopologyError
from .common import (
    IFNAME_RE,
    Imported,
    node_names,
    number,
    renaming_notes,
    topology_name,
    type_name,
)

_TIME_UNITS = {
    "s": 1000.0,
    "sec": 1000.0,
    "secs": 1000.0,
    "ms": 1.0,
    "msec": 1.0,
    "msecs": 1.0,
    "us": 0.001,
    "usec": 0.001,
    "usecs": 0.001,
}
_TIME_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*")
MININET_IP_BASE = "10.0.0.0"  # Mininet's default ipBase, 10.0.0.0/8
MININET_PREFIX = 8  # Mininet's default prefix length for an address given without one (ipBase 10.0.0.0/8)


def _milliseconds(value: Any) -> int | float:
    """A Mininet/tc time ('5ms', '1s', '250us') in ms. Like tc, a bare number means microseconds."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return number(value * _TIME_UNITS["us"])
    match = _TIME_RE.fullmatch(str(value))
    if not match or match.group(2).lower() not in _TIME_UNITS | {"": 0}:
        raise ValueError
    return number(float(match.group(1)) * _TIME_UNITS[match.group(2).lower() or "us"])


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

    def addLink(self, node1, node2, port1=None, port2=None, key=None, **opts):
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
        for (_, first), (_, second) in itertools.pairwise(ports):
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


def from_mininet(topo_obj, *args, **options) -> Topology:
    """A Topology from a `mininet.topo.Topo` instance: `import_mininet` (same arguments) without its notes."""
    return import_mininet(topo_obj, *args, **options).topology


def import_mininet(
    topo_obj,
    name: str | None = None,
    kinds: Mapping[str, str] | None = None,
    addressing: dict | None = None,
    source: str = "mininet",
    mininet_addresses: bool | None = None,
) -> Imported:
    """A Topology from a `mininet.topo.Topo` instance, with notes on what changed.

    Nodes keep their order. Switches become kind 'switch', other nodes kind 'host', except that a
    node whose class (`cls`) is named like a router (e.g. examples/linuxrouter.py's LinuxRouter) or
    that has `forward=True` becomes 'router'; `kinds` ({name: kind}) or a node option `mnss_kind`
    decide first. Host options: `ip` (an address without prefix gets Mininet's /8) is the address of
    the node's first interface, `defaultRoute='via X'` its gateway; `routes`, `rules`,
    `default_policy`, `outside` and `mnss_label` are read as written by `to_mininet_python`.
    Link options: bw (Mbit/s), delay and jitter ('5ms', '1s', '100us'; like tc, a bare number is
    microseconds), loss (%), params1/params2 {'ip': ...}, and `mnss_vlan`, `mnss_vlans`, `mnss_mtu`,
    `mnss_up`; a class attribute `mnss_topology` gives title, description, addressing and routing.
    Everything else (max_queue_size, use_htb, cls, MAC addresses, dpid, ...) is ignored without
    error. Interface names are Mininet's: intfName1/intfName2 where given, else NODE-ethPORT.

    Addresses: with `mininet_addresses` (the default, except for files MNSS wrote, which carry
    `mnss_topology`) every host without `ip` gets the address Mininet gives it: 10.0.0.1/8,
    10.0.0.2/8, ... counting every non-switch node in Mininet's (natural) name order, as
    `Mininet.buildFromTopo` does, so tutorials written for Mininet keep working. Without it, MNSS
    plans the missing addresses; a topology with more hosts than a /24 holds then gets a wider
    automatic prefix, like Mininet's flat 10.0.0.0/8, unless `addressing` is given.
    Node names that are not MNSS names (e.g. 'h1-100') are mapped ('h1_100') and noted.
    """
    names_in_order = list(topo_obj.nodes(sort=False))
    node_index = {n: i for i, n in enumerate(names_in_order)}
    links = _ordered_links(topo_obj, node_index)
    problems: list[str] = []
    kinds = dict(kinds or {})
    if mininet_addresses is None:
        mininet_addresses = not isinstance(getattr(topo_obj, "mnss_topology", None), Mapping)
    automatic = _mininet_host_addresses(topo_obj) if mininet_addresses else {}

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
    for name_ in names_in_order:
        opts = dict(topo_obj.nodeInfo(name_) or {})
        is_switch = bool(opts.get("isSwitch")) or topo_obj.isSwitch(name_)
        cls_name = getattr(opts.get("cls"), "__name__", "") or ""
        kind = (
            kinds.get(name_)
            or opts.get("mnss_kind")
            or ("switch" if is_switch else "router" if opts.get("forward") or "router" in cls_name.lower() else "host")
        )
        node: dict = {"name": name_, "kind": kind}
        if opts.get("mnss_label"):
            node["label"] = opts["mnss_label"]
        if not is_switch:
            ip = _with_prefix(opts.get("ip")) or automatic.get(name_)
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
    renamed = node_names([str(n) for n in names_in_order])
    notes = renaming_notes(renamed)
    _keep_interface_names(links, out_links, out_nodes, renamed)
    for node in out_nodes:
        if node["name"] != renamed[node["name"]]:
            node.setdefault("label", node["name"])
            node["name"] = renamed[node["name"]]
    for link in out_links:
        link["a"], link["b"] = renamed[link["a"]], renamed[link["b"]]

    data: dict = {"name": topology_name(name or type(topo_obj).__name__)}
    meta = getattr(topo_obj, "mnss_topology", None)
    if isinstance(meta, Mapping):
        data.update({k: meta[k] for k in ("title", "description", "addressing", "routing") if k in meta})
        addressing = addressing if addressing is not None else meta.get("addressing")
    data.update(nodes=out_nodes, links=out_links)
    changed = {k: v for k, v in renamed.items() if k != v}

    def result(topo: Topology) -> Imported:
        return Imported(topo, "mininet", source, tuple(notes), changed)

    if addressing is not None:
        data["addressing"] = dict(addressing)
        return result(Topology.from_dict(data, source))
    try:
        return result(Topology.from_dict(data, source))
    except TopologyError as err:
        if not any("has room for" in p for p in err.problems):
            raise
    hosts = sum(1 for n in out_nodes if n["kind"] in KINDS and role(n["kind"]) != "switch")
    data["addressing"] = {"pool": "10.0.0.0/8", "prefix": min(24, 32 - math.ceil(math.log2(hosts + 12)))}
    return result(Topology.from_dict(data, source))


def _mininet_host_addresses(topo_obj) -> dict[str, str]:
    """What `Mininet.buildFromTopo` gives each host: 10.0.0.N/8, N counting hosts in name order."""
    base = int(ipaddress.IPv4Address(MININET_IP_BASE))
    return {
        host: f"{ipaddress.IPv4Address(base + n)}/{MININET_PREFIX}"
        for n, host in enumerate(topo_obj.hosts(sort=True), start=1)
    }


def _keep_interface_names(
    links: list[tuple], out_links: list[dict], out_nodes: list[dict], renamed: dict[str, str]
) -> None:
    """Set if_a/if_b where Mininet's name for an interface differs from the one MNSS would choose.

    Mininet names an interface intfName1/intfName2 when given, else NODE-ethPORT; MNSS counts
    NODE-ethN per node in link order (switches from 1), so most names agree and stay unset.
    """
    switches = {n["name"] for n in out_nodes if n["kind"] in KINDS and role(n["kind"]) == "switch"}
    counters = {n["name"]: (1 if n["name"] in switches else 0) for n in out_nodes}
    for (a, b, _, info), link in zip(links, out_links, strict=True):
        for end, port, given, side in (
            (a, info.get("port1"), info.get("intfName1"), "if_a"),
            (b, info.get("port2"), info.get("intfName2"), "if_b"),
        ):
            ours = f"{renamed[end]}-eth{counters[end]}"
            counters[end] += 1
            theirs = str(given) if given else (f"{end}-eth{port}" if port is not None else ours)
            if theirs != ours and IFNAME_RE.match(theirs):
                link[side] = theirs


def load_mininet_file(path: str | Path, name: str | None = None, **params) -> Topology:
    """The topology of a Mininet custom file (see `import_mininet_file`, which also gives notes)."""
    return import_mininet_file(path, name, **params).topology


def import_mininet_file(path: str | Path, name: str | None = None, *args, **params) -> Imported:
    """Run a Mininet custom topology file (like `mn --custom`) and convert one of its topologies.

    The file defines `topos = {'name': TopoClassOrFunction, ...}`; `name` picks one (needed when
    there are several), `args` and `params` are passed to it like `mn --topo name,arg1,key=value` would. A file
    without `topos` offers the Topo subclasses it defines, by class name (Mininet's examples define
    one; its topo.py and topolib.py several, e.g. TreeTopo).
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
            classes = {
                k: v
                for k, v in namespace.items()
                if isinstance(v, type) and issubclass(v, Topo) and v.__module__ == module_name
            }
            if not classes:
                raise TopologyError(
                    ["the file defines no 'topos' dict (e.g. topos = {'mytopo': MyTopo}) and no Topo class"], source
                )
            topos = classes  # like Mininet's own topo.py and topolib.py: pick a class by its name
        if not isinstance(topos, Mapping) or not topos:
            raise TopologyError(
                [f"topos: expected a non-empty dict of name: Topo class or function, not {type_name(topos)}"], source
            )
        if name is None:
            if len(topos) > 1:
                raise TopologyError(
                    [
                        f"the file defines {len(topos)} topologies ({', '.join(map(str, topos))}); "
                        "say which one (name=, or --topo NAME on the command line)"
                    ],
                    source,
                )
            name = next(iter(topos))
        elif name not in topos:
            raise TopologyError([f"topos: no topology {name!r}; the file defines {', '.join(map(str, topos))}"], source)
        try:
            topo_obj = topos[name](*args, **params)
        except (Exception, SystemExit) as err:
            hint = (
                f"; give its parameters like mn does, e.g. --topo {name},N=4"
                if isinstance(err, TypeError) and "argument" in str(err)
                else ""
            )
            raise TopologyError(
                [f"topos[{name!r}]: building it failed: {type(err).__name__}: {err}{hint}"], source
            ) from None
    if not (hasattr(topo_obj, "nodeInfo") and hasattr(topo_obj, "links")):
        raise TopologyError([f"topos[{name!r}]: returned {type_name(topo_obj)}, not a mininet Topo"], source)
    return import_mininet(topo_obj, name=topology_name(name), source=source)
