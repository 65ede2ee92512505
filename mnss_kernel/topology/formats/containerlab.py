"""containerlab topology files: `to_containerlab` / `from_containerlab`.

The topology YAML subset {name, topology: {nodes: {NAME: {kind, image, labels}}, links:
[{endpoints: [a:eth1, b:eth1]}]}}. Lossless through our own keys: the kind in the label
`mnss-kind`, the display label in `mnss-label`, the position in containerlab's graph labels
`graph-posX`/`graph-posY`, other node fields in `config.vars.mnss`, link fields in the link's
`vars.mnss`, and the topology's title, description, addressing and routing in
`topology.defaults.config.vars.mnss_topology`.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ...catalog import KINDS, role
from ..model import Topology, TopologyError
from .common import (
    EXTRA_NODE_FIELDS,
    IFNAME_RE,
    LINK_FIELDS,
    ConversionWarning,
    Imported,
    node_names,
    number,
    renaming_notes,
    type_name,
)

CLAB_SWITCH_KINDS = frozenset({"bridge", "ovs-bridge"})
CLAB_HOST_KINDS = frozenset({"linux"})
#: Node keys containerlab has and MNSS does not use; ignored on import (binds/startup-config noted).
CLAB_NOTED_KEYS = ("binds", "startup-config")
#: A 'linux' node running one of these images is a router (its routing daemon is not run; MNSS routes).
ROUTER_IMAGES = re.compile(r"(^|/)(frr|frrouting|bird|bird2|quagga|gobgp|vyos)[^/]*(:|$)", re.IGNORECASE)
#: The exec lines MNSS understands: an address, a route, and bringing a link up (MNSS does that anyway).
EXEC_ADDRESS = re.compile(r"^ip (?:-4 )?addr(?:ess)? add (\S+) dev (\S+)$")
EXEC_ROUTE = re.compile(r"^ip (?:-4 )?route add (\S+) via (\S+)(?: dev \S+)?$")
EXEC_LINK_UP = re.compile(r"^ip link set (?:dev )?\S+ up$")
DEFAULT_IMAGE = "alpine:latest"


def to_containerlab(
    topo: Topology, image: str = DEFAULT_IMAGE, images: Mapping[str, str] | None = None, switch_kind: str = "bridge"
) -> dict:
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
            labels["graph-posX"] = str(number(node["position"]["x"]))
            labels["graph-posY"] = str(number(node["position"]["y"]))
        entry["labels"] = labels
        extra = {k: node[k] for k in EXTRA_NODE_FIELDS if k in node}
        if extra:
            entry["config"] = {"vars": {"mnss": extra}}
        nodes[node["name"]] = entry
    counters: Counter = Counter()
    links = []
    for link in data["links"]:
        endpoints = []
        for end, given in ((link["a"], link.get("if_a")), (link["b"], link.get("if_b"))):
            counters[end] += 1
            ifname = given or (f"{end}-eth{counters[end]}" if roles.get(end) == "switch" else f"eth{counters[end]}")
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
        return number(float(value))
    except (TypeError, ValueError):
        return value  # the schema check names it


def from_containerlab(data_or_path: Mapping | str | Path) -> Topology:
    """A Topology from containerlab topology data, or from a .clab.yml file path.

    What the import changed is in the description and, for code that wants it as data, in
    `import_containerlab(...).notes`; each note is also issued as a ConversionWarning.
    """
    imported = import_containerlab(data_or_path)
    for note in imported.notes:
        warnings.warn(f"{imported.source}: {note}", ConversionWarning, stacklevel=2)
    return imported.topology


def read_containerlab(path: str | Path) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text("utf-8"))
    except OSError as err:
        raise TopologyError([f"cannot read file: {err.strerror}"], str(path)) from None
    except yaml.YAMLError as err:
        raise TopologyError([f"not valid YAML: {err}"], str(path)) from None


def import_containerlab(data_or_path: Mapping | str | Path, source: str | None = None) -> Imported:
    """containerlab topology data (or a .clab.yml path) as an MNSS topology plus notes.

    Kinds: the label `mnss-kind` if present; else 'linux' -> host (router when its image is a
    routing suite such as FRR), 'bridge'/'ovs-bridge' -> switch, any other kind (a network OS:
    SR Linux, cEOS, ...) -> router, which forwards and routes like the device would once configured.
    A kind may come from the node's group or `topology.defaults`. Names: node names that are not
    MNSS names (e.g. 'br-clab') become valid ones ('br_clab'), with the original as display label.
    Interface names from endpoints ('srl1:e1-1') are kept where Linux allows them. `exec` lines that
    add an address or a route are applied as topology fields; other exec lines, binds and
    startup-config are named in the notes, since MNSS configures nodes from the topology.
    containerlab's special endpoints (host:, mgmt-net:, macvlan:) are not supported.
    """
    if isinstance(data_or_path, (str, Path)):
        source = source or str(data_or_path)
        data = read_containerlab(data_or_path)
    else:
        data, source = data_or_path, source or "containerlab"
    if not isinstance(data, Mapping):
        raise TopologyError([f"top level must be a mapping with 'name' and 'topology', not {type_name(data)}"], source)
    topology = data.get("topology")
    if not isinstance(topology, Mapping) or not isinstance(topology.get("nodes"), Mapping):
        raise TopologyError(["topology.nodes: missing; expected a mapping of node name to node settings"], source)

    problems: list[str] = []
    notes: list[str] = []
    defaults = topology.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(f"topology.defaults: expected a mapping, not {type_name(defaults)}")
        defaults = {}
    groups = topology.get("groups") if isinstance(topology.get("groups"), Mapping) else {}
    kind_defaults = topology.get("kinds") if isinstance(topology.get("kinds"), Mapping) else {}
    meta = _dig(defaults, "config", "vars", "mnss_topology") or {}
    out: dict = {"name": data.get("name", "topology")}
    if isinstance(meta, Mapping):
        out.update({k: meta[k] for k in ("title", "description", "addressing", "routing") if k in meta})

    names = node_names([str(k) for k in topology["nodes"]])
    notes += renaming_notes(names)
    nodes: list[dict] = []
    generated: set[str] = set()  # nodes written by to_containerlab: their interface names are ours
    execs: dict[str, list] = {}
    for raw_name, cfg in topology["nodes"].items():
        name = names[str(raw_name)]
        what = f"node {raw_name!r}"
        cfg = cfg if cfg is not None else {}
        if not isinstance(cfg, Mapping):
            problems.append(f"{what}: expected a mapping of node settings, not {type_name(cfg)}")
            continue
        group = groups.get(cfg.get("group")) if isinstance(groups.get(cfg.get("group")), Mapping) else {}
        labels = cfg.get("labels") or {}
        if not isinstance(labels, Mapping):
            problems.append(f"{what}: labels: expected a mapping, not {type_name(labels)}")
            labels = {}
        clab_kind = cfg.get("kind", group.get("kind", defaults.get("kind")))
        image = (
            cfg.get("image")
            or group.get("image")
            or _dig(kind_defaults, str(clab_kind), "image")
            or defaults.get("image")
            or ""
        )
        kind = labels.get("mnss-kind")
        if kind is not None:
            generated.add(name)
        elif clab_kind in CLAB_HOST_KINDS:
            kind = "router" if ROUTER_IMAGES.search(str(image)) else "host"
            if kind == "router":
                notes.append(
                    f"node {raw_name!r} (image {image}) is a router: MNSS forwards and routes for it; "
                    "its routing daemon and configuration are not run"
                )
        elif clab_kind in CLAB_SWITCH_KINDS:
            kind = "switch"
        elif clab_kind is None:
            problems.append(f"{what}: kind: missing (and no group or topology.defaults kind)")
            continue
        else:
            kind = "router"
            notes.append(
                f"node {raw_name!r} (containerlab kind {clab_kind}) is emulated as an MNSS router: "
                "it forwards and routes; its own configuration is not run"
            )
        node: dict = {"name": name, "kind": kind}
        if "mnss-label" in labels:
            node["label"] = labels["mnss-label"]
        elif name != raw_name:
            node["label"] = str(raw_name)
        if "graph-posX" in labels and "graph-posY" in labels:
            node["position"] = {"x": _clab_number(labels["graph-posX"]), "y": _clab_number(labels["graph-posY"])}
        extra = _dig(cfg, "config", "vars", "mnss")
        if isinstance(extra, Mapping):
            for key, value in extra.items():
                if key in EXTRA_NODE_FIELDS:
                    node[key] = value
                else:
                    problems.append(f"{what}: config.vars.mnss.{key}: not a node field")
        ignored = [k for k in CLAB_NOTED_KEYS if cfg.get(k) or group.get(k)]
        if ignored:
            notes.append(f"node {raw_name!r}: {', '.join(ignored)} ignored (MNSS configures nodes from the topology)")
        execs[name] = list(cfg.get("exec") or group.get("exec") or [])
        nodes.append(node)

    links = _links(topology, names, generated, problems, notes, source)
    _apply_exec(nodes, links, execs, notes)
    if problems:
        raise TopologyError(problems, source)
    if notes:
        text = "Imported from containerlab: " + "; ".join(notes) + "."
        out["description"] = f"{out['description']}\n\n{text}" if out.get("description") else text
    out["nodes"], out["links"] = nodes, links
    topo = Topology.from_dict(out, source)
    return Imported(topo, "containerlab", source, tuple(notes), {k: v for k, v in names.items() if k != v})


def _links(
    topology: Mapping, names: dict[str, str], generated: set[str], problems: list[str], notes: list[str], source: str
) -> list[dict]:
    raw_links = topology.get("links") or []
    if not isinstance(raw_links, list):
        raise TopologyError(problems + [f"topology.links: expected a list, not {type_name(raw_links)}"], source)
    links: list[dict] = []
    for i, raw in enumerate(raw_links):
        endpoints = raw.get("endpoints") if isinstance(raw, Mapping) else None
        shown = f"links[{i}]" + (f" ({' - '.join(map(str, endpoints))})" if isinstance(endpoints, list) else "")
        if not isinstance(endpoints, list) or len(endpoints) != 2:
            problems.append(f"{shown}: endpoints: expected two endpoints like ['a:eth1', 'b:eth1']")
            continue
        ends, interfaces = [], []
        for endpoint in endpoints:
            if isinstance(endpoint, Mapping):  # extended format: {node: a, interface: eth1}
                node_name, ifname = endpoint.get("node"), endpoint.get("interface")
            elif isinstance(endpoint, str) and ":" in endpoint:
                node_name, ifname = endpoint.split(":", 1)
            else:
                node_name, ifname = None, None
            if not node_name:
                problems.append(f"{shown}: endpoint {endpoint!r} is not 'node:interface'")
            elif str(node_name) not in names:
                special = (
                    " (containerlab's special endpoints host, mgmt-net, macvlan are not supported)"
                    if node_name in ("host", "mgmt-net", "macvlan")
                    else ""
                )
                problems.append(f"{shown}: node {node_name!r} is not in topology.nodes{special}")
            ends.append(names.get(str(node_name), node_name))
            interfaces.append(ifname)
        link: dict = {"a": ends[0], "b": ends[1]}
        for side, end, ifname in (("if_a", ends[0], interfaces[0]), ("if_b", ends[1], interfaces[1])):
            if not ifname or end in generated:
                continue
            if IFNAME_RE.match(str(ifname)):
                link[side] = str(ifname)
            else:
                notes.append(f"{shown}: interface name {ifname!r} is not a Linux interface name; MNSS names it")
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
    return links


def _apply_exec(nodes: list[dict], links: list[dict], execs: dict[str, list], notes: list[str]) -> None:
    """Addresses and routes set by `exec` lines become topology fields; the rest is noted as not run."""
    for node in nodes:
        name, skipped = node["name"], []
        for line in execs.get(name, []):
            text = " ".join(str(line).split())
            address, route = EXEC_ADDRESS.match(text), EXEC_ROUTE.match(text)
            if address:
                where = [
                    (link, side)
                    for link in links
                    for side, end in (("a", link["a"]), ("b", link["b"]))
                    if end == name and link.get(f"if_{side}") == address.group(2)
                ]
                if where:
                    link, side = where[0]
                    link[f"ip_{side}"] = address.group(1)
                    continue
            elif route and route.group(1) in ("default", "0.0.0.0/0") and node["kind"] == "host":
                node["gateway"] = route.group(2)
                continue
            elif route:
                to = "0.0.0.0/0" if route.group(1) == "default" else route.group(1)
                node.setdefault("routes", []).append({"to": to, "via": route.group(2)})
                continue
            elif EXEC_LINK_UP.match(text):
                continue
            skipped.append(text)
        if skipped:
            notes.append(f"node {name!r}: exec not run: {'; '.join(skipped)}")
