"""What every format module shares: field lists, small value helpers, notes about an import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from mnss_foundation.schemacheck import type_name  # noqa: F401 (re-exported for the format readers)

from ..model import Link, Node, Topology


class ConversionWarning(UserWarning):
    """An import kept going but changed something (e.g. an unknown containerlab kind became a host)."""


NODE_FIELDS = tuple(f.name for f in fields(Node))
LINK_FIELDS = tuple(f.name for f in fields(Link))
TOPOLOGY_FIELDS = ("name", "title", "description", "addressing", "routing")
# Node fields other than name, kind, label and position: what containerlab and Mininet cannot say.
EXTRA_NODE_FIELDS = ("ip", "gateway", "routes", "rules", "default_policy", "outside")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def number(value: float) -> int | float:
    """5.0 -> 5 so files and round trips stay tidy; other floats rounded to a microsecond's worth."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def topology_name(raw: Any, fallback: str = "topology") -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(raw or "")).strip("-._")[:64]
    return text if text and NAME_RE.match(text) else fallback


NODE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")  # what the schema allows for if_a / if_b


@dataclass(frozen=True)
class Imported:
    """A topology read from a file, with what the import changed or left out, as plain data.

    `notes` are sentences for a person (shown by the CLI and the canvas); `renamed` maps names in the
    file to the node names MNSS uses, for the nodes whose names had to change.
    """

    topology: Topology
    format: str
    source: str = ""
    notes: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)


def node_names(originals: list[str]) -> dict[str, str]:
    """Each name as a valid MNSS node name: other characters become '_', a leading digit gets 'n'.

    Names that are already valid stay; a changed name that clashes gets _2, _3, ... Returns every
    original name mapped (most to themselves), so callers look names up without special cases.
    """
    mapping: dict[str, str] = {}
    taken = {name for name in originals if NODE_NAME_RE.match(name)}
    for name in originals:
        if NODE_NAME_RE.match(name):
            mapping[name] = name
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "node"
        base = base if base[0].isalpha() else f"n{base}"
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        mapping[name] = candidate
    return mapping


def renaming_notes(mapping: dict[str, str]) -> list[str]:
    return [
        f"node {old!r} is named {new!r} (MNSS node names use letters, digits and '_')"
        for old, new in mapping.items()
        if old != new
    ]
