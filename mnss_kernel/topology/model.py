"""The topology model: plain data, no root, no processes. The single source of truth.

The canvas edits it, files store it, the engine runs it, graders inspect it. `Topology.from_dict`
checks it fully (schema, then meaning) and raises TopologyError listing every problem.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mnss_foundation.errors import MnssError

from . import texts


class TopologyError(MnssError, ValueError):
    """The topology is invalid; `problems` has one line per problem, naming the element (in
    Chinese too where the problem has a code, see `texts`)."""

    def __init__(self, problems: list[str], source: str = ""):
        self.problems = problems
        self.source = source
        where = f" {source}" if source else ""
        super().__init__(
            "invalid_topology",
            f"拓扑无效{where}：\n" + "\n".join(f"  - {texts.problem(p, 'zh-CN')}" for p in problems),
            f"invalid topology{where}:\n" + "\n".join(f"  - {p}" for p in problems),
            problems=[str(p) for p in problems],
            source=source,
        )


@dataclass
class Node:
    name: str
    kind: str
    label: str | None = None
    ip: str | None = None
    gateway: str | None = None
    routes: list[dict] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    default_policy: str | None = None
    outside: str | None = None
    position: dict | None = None


@dataclass
class Link:
    a: str
    b: str
    ip_a: str | None = None
    ip_b: str | None = None
    if_a: str | None = None  # interface names kept from an imported file (containerlab, Mininet)
    if_b: str | None = None
    vlan: int | None = None
    vlans: list[int] | None = None
    bw: float | None = None
    delay: float | None = None
    jitter: float | None = None
    loss: float | None = None
    mtu: int | None = None
    up: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (self.a, self.b)

    def ends(self) -> tuple[str, str]:
        return (self.a, self.b)


@dataclass
class Topology:
    nodes: list[Node]
    links: list[Link] = field(default_factory=list)
    name: str = "topology"
    title: str | None = None
    description: str | None = None
    addressing: dict = field(default_factory=lambda: {"pool": "10.0.0.0/8", "prefix": 24})
    routing: str = "auto"

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "") -> Topology:
        from .validate import check_meaning, check_structure

        check_structure(data, source)
        data = copy.deepcopy(data)
        addressing = {"pool": "10.0.0.0/8", "prefix": 24} | data.pop("addressing", {})
        topo = cls(
            nodes=[Node(**n) for n in data.pop("nodes")],
            links=[Link(**link) for link in data.pop("links", [])],
            addressing=addressing,
            **data,
        )
        check_meaning(topo, source)
        return topo

    def to_dict(self) -> dict:
        """Plain data for files: keys at their defaults are left out, so files stay short."""
        out: dict = {"name": self.name}
        for key in ("title", "description"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.addressing != {"pool": "10.0.0.0/8", "prefix": 24}:
            out["addressing"] = dict(self.addressing)
        if self.routing != "auto":
            out["routing"] = self.routing
        out["nodes"] = [_compact(asdict(n)) for n in self.nodes]
        out["links"] = [_compact(asdict(link)) for link in self.links]
        return out

    def validated(self) -> Topology:
        """Check this (possibly edited) object again; returns it, or raises TopologyError."""
        return Topology.from_dict(self.to_dict())

    def copy(self) -> Topology:
        return copy.deepcopy(self)

    # -- files --------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Topology:
        path = Path(path)
        try:
            text = path.read_text("utf-8")
        except OSError as err:
            raise TopologyError([f"cannot read file: {err.strerror}"], str(path)) from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as err:
            raise TopologyError([f"not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {err}"], str(path)) from None
        return cls.from_dict(data, str(path))

    def save(self, path: str | Path) -> Path:
        """Write atomically (temp file + rename), so a failed save never leaves half a file."""
        path = Path(path)
        data = self.validated().to_dict()
        text = (
            json.dumps(data, indent=2, ensure_ascii=False)
            if path.suffix == ".json"
            else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        )
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, "utf-8")
        tmp.replace(path)
        return path

    # -- queries ------------------------------------------------------------------------------
    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r}")

    def links_of(self, name: str) -> list[Link]:
        return [link for link in self.links if name in (link.a, link.b)]

    def link(self, a: str, b: str) -> Link:
        for link in self.links:
            if {link.a, link.b} == {a, b}:
                return link
        raise KeyError(f"no link between {a!r} and {b!r}")

    def names(self, role: str | None = None) -> list[str]:
        from ..catalog import role as role_of

        return [n.name for n in self.nodes if role is None or role_of(n.kind) == role]


def _compact(values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in (None, []) and not (k == "up" and v is True)}
