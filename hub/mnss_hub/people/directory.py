"""The managed lists a registration chooses from: institutions -> departments, positions, titles.

Admins keep them in a YAML (or JSON) file checked against `directory.schema.json`; the built-in
`directory-default.yaml` has one example hospital and the usual Chinese hospital titles.
Institutions and departments are keyed by their Chinese name (what an import sheet holds),
positions and titles by a stable id, so renaming a label never orphans a profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).parent
DEFAULT_FILE = HERE / "directory-default.yaml"
SCHEMA_FILE = HERE / "directory.schema.json"


class DirectoryError(ValueError):
    """The directory file is not valid; the message names each bad entry by its path."""


@dataclass(frozen=True)
class Choice:
    id: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Institution:
    name: str
    name_en: str
    departments: dict[str, str]  # name -> English name (may be "")

    def label(self, lang: str) -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


@dataclass(frozen=True)
class Directory:
    institutions: dict[str, Institution]
    positions: dict[str, Choice] = field(default_factory=dict)
    titles: dict[str, Choice] = field(default_factory=dict)

    def has_department(self, institution: str, department: str) -> bool:
        inst = self.institutions.get(institution)
        return inst is not None and department in inst.departments

    def as_options(self, lang: str) -> dict:
        """Plain data for a form's select boxes (value, label) in the page's language."""
        return {
            "institutions": [
                {
                    "value": i.name,
                    "label": i.label(lang),
                    "departments": [
                        {"value": d, "label": (en or d) if lang == "en" else d} for d, en in i.departments.items()
                    ],
                }
                for i in self.institutions.values()
            ],
            "positions": [{"value": c.id, "label": c.label(lang)} for c in self.positions.values()],
            "titles": [{"value": c.id, "label": c.label(lang)} for c in self.titles.values()],
        }


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def from_data(data, source: str = "directory") -> Directory:
    """Validate parsed data and build the directory; every problem is named, not just the first."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    problems = [
        f"{_path(e.absolute_path)}: {e.message}"
        for e in sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    ]
    if problems:
        raise DirectoryError(f"{source}: " + "; ".join(problems))
    institutions: dict[str, Institution] = {}
    for n, inst in enumerate(data["institutions"]):
        if inst["name"] in institutions:
            problems.append(f"institutions[{n}].name: {inst['name']!r} appears twice")
        departments: dict[str, str] = {}
        for m, dep in enumerate(inst["departments"]):
            if dep["name"] in departments:
                problems.append(f"institutions[{n}].departments[{m}].name: {dep['name']!r} appears twice")
            departments[dep["name"]] = dep.get("name_en", "")
        institutions[inst["name"]] = Institution(inst["name"], inst.get("name_en", ""), departments)
    lists = {}
    for key in ("positions", "titles"):
        lists[key] = {}
        for n, item in enumerate(data[key]):
            if item["id"] in lists[key]:
                problems.append(f"{key}[{n}].id: {item['id']!r} appears twice")
            lists[key][item["id"]] = Choice(item["id"], item["zh-CN"], item["en"])
    if problems:
        raise DirectoryError(f"{source}: " + "; ".join(problems))
    return Directory(institutions, lists["positions"], lists["titles"])


def load(path: str | Path | None = None) -> Directory:
    """Read the directory file (YAML or JSON); None means the built-in default."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DirectoryError(f"{path}: cannot be read ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise DirectoryError(f"{path}: not valid YAML ({err})") from None
    return from_data(data, str(path))
