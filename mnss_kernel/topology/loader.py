"""One loader for every topology format: MNSS YAML/JSON, containerlab, Mininet .py, cytoscape JSON.

`load` finds the format (from the file name, else from the content), converts, and returns the
checked topology with the import's notes as data (`Imported`). The CLI, the canvas and `Lab` all
load through it, so a file that works in one works in all of them. Errors are TopologyErrors
whose source names the file and the format, e.g. "invalid topology br01.clab.yml (containerlab)".
"""

from __future__ import annotations

import errno
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mnss_foundation.problem import Problem

from .formats.common import Imported
from .formats.inventory import load_inventory
from .formats.sheets import is_inventory
from .model import Topology, TopologyError

FORMATS = {
    "yaml": "MNSS YAML (.yaml, .yml)",
    "json": "MNSS JSON (.json)",
    "mininet": "Mininet custom topology (.py)",
    "containerlab": "containerlab (.clab.yml, .clab.yaml)",
    "cytoscape": "cytoscape.js JSON (.cyjs, or .json with nodes/edges elements)",
    "inventory": "device-and-link sheet (.xlsx, or NAME.devices.csv + NAME.links.csv)",
}
#: The formats `write_file` can write (cytoscape JSON is what the canvas shows, not a file format here).
WRITABLE = ("yaml", "json", "mininet", "containerlab")

_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".py": "mininet", ".cyjs": "cytoscape"}
_PYTHON_HINTS = ("from mininet", "import mininet", "(Topo)", "( Topo )")


def format_of(path: str | Path) -> str:
    """The format a file name asks for (used when writing); unknown suffixes are an error."""
    name = Path(path).name.lower()
    if name.endswith((".clab.yml", ".clab.yaml")):
        return "containerlab"
    if is_inventory(name):
        return "inventory"
    found = _SUFFIXES.get(Path(name).suffix)
    if found is None:
        text = f"{path}: unknown file type; use one of: {', '.join(FORMATS.values())}"
        raise TopologyError([Problem(text, "unknown_file_type", path=str(path))])
    return found


def detect(text: str, name: str = "") -> tuple[str, Any]:
    """(format, parsed data or None for Mininet) from a file's name and text.

    The name decides for .clab.yml, .py and .cyjs; otherwise the content does: Python that uses
    Mininet, a mapping with `topology.nodes` (containerlab), cytoscape elements (`elements`,
    `edges`, or nodes with `data`), else MNSS YAML/JSON. Raises TopologyError if it parses as none.
    """
    lower = name.lower()
    by_name = "containerlab" if lower.endswith((".clab.yml", ".clab.yaml")) else _SUFFIXES.get(Path(lower).suffix)
    if by_name == "mininet" or (
        by_name is None and any(hint in text for hint in _PYTHON_HINTS) and not text.lstrip().startswith(("{", "["))
    ):
        return "mininet", None
    as_json = by_name in ("json", "cytoscape") or (by_name is None and text.lstrip().startswith(("{", "[")))
    data = _parse(
        text,
        as_json,
        f"{name or 'text'} ({by_name or ('JSON' if as_json else 'YAML')})",
        hint="" if by_name else f"; formats read: {', '.join(FORMATS.values())}",
    )
    if by_name in ("containerlab", "cytoscape"):
        return by_name, data
    if isinstance(data, Mapping) and isinstance(data.get("topology"), Mapping) and "nodes" in data["topology"]:
        return "containerlab", data
    if _looks_like_cytoscape(data):
        return "cytoscape", data
    return ("json" if as_json else "yaml"), data


def _parse(text: str, as_json: bool, where: str, hint: str = "") -> Any:
    try:
        return json.loads(text) if as_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise TopologyError([f"not valid {'JSON' if as_json else 'YAML'}: {err}{hint}"], where) from None


def _looks_like_cytoscape(data: Any) -> bool:
    if isinstance(data, list):
        return bool(data) and all(isinstance(e, Mapping) and "data" in e for e in data)
    if not isinstance(data, Mapping):
        return False
    if "elements" in data or "edges" in data:
        return True
    nodes = data.get("nodes")
    return isinstance(nodes, list) and bool(nodes) and all(isinstance(n, Mapping) and "data" in n for n in nodes)


def load(
    source: str | Path,
    format: str | None = None,
    *,
    name: str | None = None,
    args: tuple = (),
    params: Mapping[str, Any] | None = None,
) -> Imported:
    """A checked topology, with notes, from a file path (str or Path) or from a file's text.

    A str containing a newline or starting with '{' or '[' is text, any other str a path.
    `format` (a key of FORMATS) skips detection. Inventory sheets (.xlsx, .csv) are read from
    their files (they are not text). For Mininet files, `name`, `args` and `params`
    pick and build one of the file's topologies like `mn --custom FILE --topo name,arg,key=value`
    (the file is executed: load only files you trust, as with `mn --custom`).
    """
    if format is not None and format not in FORMATS:
        raise TopologyError([f"unknown format {format!r}; formats: {', '.join(FORMATS)}"])
    is_text = isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("{", "[")))
    path = None if is_text else Path(source)
    shown = "text" if path is None else str(path)
    if format == "inventory" or (format is None and path is not None and is_inventory(path)):
        if path is None:
            raise TopologyError(["an inventory sheet is loaded from its file, not from text"], "text (inventory)")
        return load_inventory(path)
    if path is not None:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
            code = {errno.ENOENT: "file_missing", errno.EACCES: "file_no_permission", errno.EISDIR: "file_is_folder"}
            why = code.get(getattr(err, "errno", None), "file_unreadable")
            raise TopologyError([Problem(f"cannot read file: {reason}", why, path=shown)], shown) from None
    else:
        text = str(source)
    if format is None:
        kind, data = detect(text, "" if path is None else path.name)
    else:
        kind = format
        data = None if kind == "mininet" else _parse(text, kind in ("json", "cytoscape"), f"{shown} ({kind})")
    where = f"{shown} ({kind})"
    if kind == "mininet":
        from .formats.mininet import import_mininet_file

        if path is None:
            raise TopologyError(["a Mininet topology is loaded from its .py file, not from text"], where)
        try:
            return _named(import_mininet_file(path, name, *args, **dict(params or {})), shown)
        except TopologyError as err:
            raise TopologyError(err.problems, where) from None
    if kind == "containerlab":
        from .formats.containerlab import import_containerlab

        return _named(import_containerlab(data, where), shown)
    if kind == "cytoscape":
        from .formats.cytoscape import import_cytoscape

        return _named(import_cytoscape(data, where), shown)
    return Imported(Topology.from_dict(data, where), kind, shown)


def _named(imported: Imported, shown: str) -> Imported:
    """The result with `source` the plain file name (errors already carried the format)."""
    return Imported(imported.topology, imported.format, shown, imported.notes, imported.renamed)


def read_file(path: str | Path) -> Topology:
    """The topology in a file of any supported format (notes dropped; use `load` to see them)."""
    return load(path).topology


def write_file(topo: Topology, path: str | Path) -> Path:
    """Save in the format the file name asks for; written atomically, so a failure keeps the old file."""
    from .formats.containerlab import to_containerlab
    from .formats.mininet_file import to_mininet_python

    path, kind = Path(path), format_of(path)
    if kind not in WRITABLE:
        writable = ", ".join(FORMATS[k] for k in WRITABLE)
        raise TopologyError([f"{path}: cannot write {FORMATS[kind]}; write one of: {writable}"])
    if kind in ("yaml", "json"):
        return topo.save(path)
    text = (
        to_mininet_python(topo)
        if kind == "mininet"
        else yaml.safe_dump(to_containerlab(topo), allow_unicode=True, sort_keys=False)
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
    return path
