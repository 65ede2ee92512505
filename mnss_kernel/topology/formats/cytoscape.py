"""cytoscape.js JSON, as ipycytoscape draws it: `to_cytoscape` / `from_cytoscape`.

Lossless: every node and link field travels in the element's `data`; the catalog's presentation
(colour, shape, role, label_zh/label_en) is added for the canvas and ignored on the way back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import KINDS
from ..model import Topology, TopologyError
from .common import (
    LINK_FIELDS,
    NODE_FIELDS,
    TOPOLOGY_FIELDS,
    Imported,
    number,
    type_name,
)

#: Keys in a node's data that are presentation only: written for the canvas, ignored when read.
NODE_PRESENTATION = frozenset({"role", "colour", "color", "shape", "label_zh", "label_en", "service", "label_is_name"})
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
        element_data: dict = {
            "id": node["name"],
            "label": node.get("label", node["name"]),
            "kind": node["kind"],
            "label_is_name": "label" not in node,
        }
        for key, value in node.items():
            if key not in ("name", "kind", "label", "position"):
                element_data[key] = value
        kind = KINDS.get(node["kind"])
        if kind is not None:
            element_data.update(
                role=kind.role, colour=kind.colour, shape=kind.shape, label_zh=kind.label_zh, label_en=kind.label_en
            )
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
        parts.append(f"{number(link['bw'])} Mbit/s")
    if "delay" in link:
        parts.append(f"{number(link['delay'])} ms" + (f" ±{number(link['jitter'])}" if "jitter" in link else ""))
    if "loss" in link:
        parts.append(f"{number(link['loss'])}% loss")
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
        raise TopologyError(
            [f"expected cytoscape JSON (a mapping with 'nodes' and 'edges'), not {type_name(data)}"], source
        )
    if isinstance(elements, list):
        nodes, edges = [], []
        for element in elements:
            is_edge = isinstance(element, Mapping) and (
                element.get("group") == "edges"
                or (
                    element.get("group") != "nodes"
                    and isinstance(element.get("data"), Mapping)
                    and "source" in element["data"]
                )
            )
            (edges if is_edge else nodes).append(element)
    elif isinstance(elements, Mapping):
        nodes, edges = elements.get("nodes", []), elements.get("edges", [])
    else:
        raise TopologyError([f"elements: expected a mapping or a list, not {type_name(elements)}"], source)

    problems: list[str] = []
    if not isinstance(graph, Mapping):
        problems.append(f"data: expected a mapping of topology fields, not {type_name(graph)}")
        graph = {}
    for what, items in (("nodes", nodes), ("edges", edges)):
        if not isinstance(items, list):
            raise TopologyError([f"{what}: expected a list of elements, not {type_name(items)}"], source)

    out: dict = {k: graph[k] for k in TOPOLOGY_FIELDS if graph.get(k) is not None}
    out_nodes: list[dict] = []
    for i, element, element_data in _with_data(nodes, "nodes", problems):
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
                problems.append(
                    f"{what}: data.{key}: not a node field; node fields are "
                    f"{', '.join(f for f in NODE_FIELDS if f not in ('name', 'position'))}"
                )
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
    for i, _, element_data in _with_data(edges, "edges", problems):
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
            if key in ("id", "source", "target") or key in EDGE_PRESENTATION or key.startswith("_") or value is None:
                continue
            if key not in LINK_FIELDS or key in ("a", "b"):
                problems.append(
                    f"{what}: data.{key}: not a link field; link fields are "
                    f"{', '.join(f for f in LINK_FIELDS if f not in ('a', 'b'))}"
                )
                continue
            link[key] = value
        out_links.append(link)
    if problems:
        raise TopologyError(problems, source)
    out["nodes"], out["links"] = out_nodes, out_links
    return Topology.from_dict(out, source)


def _with_data(elements: list, what: str, problems: list[str]):
    """Each element with its 'data' mapping; one without is recorded as a problem, not a crash."""
    for i, element in enumerate(elements):
        element_data = element.get("data") if isinstance(element, Mapping) else None
        if isinstance(element_data, Mapping):
            yield i, element, element_data
        else:
            problems.append(f"{what}[{i}]: expected an element with a 'data' mapping")


def import_cytoscape(data: Any, source: str = "cytoscape") -> Imported:
    """`from_cytoscape` as the loader's result: the format is lossless, so there are no notes."""
    return Imported(from_cytoscape(data, source), "cytoscape", source)
