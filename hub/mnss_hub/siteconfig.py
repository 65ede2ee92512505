"""The site configuration: one YAML file, checked against a JSON schema, with defaults filled in.

Loading never changes anything on disk; a bad file raises ConfigError whose message names
each offending key, its value and what is allowed, so start-up can stop before doing harm.
"""

from __future__ import annotations

import copy
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mnss_foundation import schemacheck

from . import tunnel_grant

ENV_VAR = "MNSS_CONFIG"
MAX_BYTES = 1024 * 1024  # a real site config is a few KiB; anything near this is a mistake
SYSTEM_PATH = Path("/etc/mnss/mnss.yaml")
LOCAL_NAME = "mnss.yaml"


class ConfigError(ValueError):
    """The site configuration is invalid; the message lists every problem found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid site configuration {source}:\n{lines}")


def schema() -> dict:
    """The published JSON schema of the site configuration."""
    text = resources.files("mnss_hub").joinpath("site-config.schema.json").read_text("utf-8")
    return json.loads(text)


def resolve_path(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path | None:
    """Pick the config file: explicit path, then $MNSS_CONFIG, ./mnss.yaml, /etc/mnss/mnss.yaml.

    None means no file: the embedded defaults (local mode) apply.
    """
    if explicit:
        return Path(explicit).resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).resolve()
    local = (cwd or Path.cwd()) / LOCAL_NAME
    for candidate in (local, SYSTEM_PATH):
        if candidate.is_file():
            return candidate.resolve()
    return None


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases (*name): a few lines of nested aliases expand to billions of
    nodes (the "billion laughs"), and a site config has no need of them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in the site config; write the value out", mark
            )
        return super().compose_node(parent, index)


def _read_text(path: Path, source: str) -> str:
    """The file as text: at most MAX_BYTES, UTF-8, errors naming the file and the byte offset."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(source, ["file not found"]) from None
    except OSError as err:
        raise ConfigError(source, [f"cannot read file: {err.strerror}"]) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(source, [f"file is larger than {MAX_BYTES // 1024} KiB; a site config is a few KiB"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            source, [f"not UTF-8 text: byte 0x{raw[err.start]:02x} at offset {err.start} ({err.reason})"]
        ) from None


def load(path: str | os.PathLike | None = None) -> dict:
    """Read, validate and complete the site config at `path` (None: embedded defaults)."""
    if path is None:
        return complete(validate({}, source="(embedded defaults)"), "(embedded defaults)")
    path = Path(path)
    source = str(path)
    text = _read_text(path, source)
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(source, [f"{where}not valid YAML ({problem[:200]})"]) from None
    if data is None:
        raise ConfigError(
            source, ["the file is empty (or only comments); write {} in it to mean all defaults on purpose"]
        )
    return complete(validate(data, source=source), source)


def complete(site: dict, source: str = "(data)") -> dict:
    """Defaults that depend on the installation, so the embedded default is the whole platform:
    the installed course catalog, and while no course members are named, the admins as the
    instructors of every course in it (each course then has its formgrader)."""
    courses = site["courses"]
    if not courses["enabled"]:
        return site
    from mnss_courses import bundle  # the course bundles are read only when courses are served

    if not courses["catalog"]:
        found = bundle.find_catalog()
        if found is None:
            looked = ", ".join(str(p) for p in bundle.installed_catalogs())
            raise ConfigError(
                source,
                [
                    f"courses.catalog: empty, and no installed courses were found (looked in "
                    f"{looked}); set it, or set courses.enabled: false"
                ],
            )
        courses["catalog"] = str(found.resolve())
    if not courses["members"]:
        try:
            ids = sorted(bundle.load_catalog(courses["catalog"]))
        except bundle.CourseError as err:
            raise ConfigError(source, [f"courses.catalog: {p}" for p in err.problems]) from None
        courses["members"] = [
            {"course": cid, "instructors": list(site["hub"]["admin_users"]), "learners": []} for cid in ids
        ]
    return site


def validate(data: Any, source: str = "(data)") -> dict:
    """Check `data` against the schema and return a deep copy with every default filled in."""
    sch = schema()
    if not isinstance(data, dict):
        raise ConfigError(source, [f"top level must be a mapping of keys, not {schemacheck.type_name(data)}"])
    found = schemacheck.problems(sch, data) or tunnel_grant.problems(data.get("tunnel", {}))
    if found:
        raise ConfigError(source, found)
    return _with_defaults(sch, copy.deepcopy(data))


def _with_defaults(sch: dict, data: dict) -> dict:
    for key, prop in sch.get("properties", {}).items():
        if key not in data and "default" in prop:
            data[key] = copy.deepcopy(prop["default"])
        if prop.get("type") == "object" and isinstance(data.get(key), dict):
            _with_defaults(prop, data[key])
    return data
