"""An experiment as data: read from YAML, checked against experiment.schema.json (shape) and against
the topology it builds (meaning: the template exists, its parameters build, every node named in a
step is in it, every expectation fits the step it checks). Each problem names the file and the key."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mnss_foundation import schemacheck
from mnss_foundation.errors import MnssError

from .. import faults, templates
from ..topology.model import Topology, TopologyError

#: What each kind of step needs, and what it may have besides `id`, `do` and `note`.
STEP_FIELDS = {
    "ping_all": ((), ("nodes",)),
    "ping": (("src", "dst"), ("count",)),
    "traceroute": (("src", "dst"), ("max_hops",)),
    "iperf": (("src", "dst"), ("seconds",)),
    "app": (("src", "dst"), ()),
    "cmd": (("node", "command"), ()),
    "fault": (("fault",), ()),
    "repair": (("fault",), ()),
}
#: Which expectations each measuring step can be checked by.
CHECKS = {
    "ping_all": ("loss_pct", "reachable", "unreachable", "reachable_pairs"),
    "ping": ("loss_pct", "reachable", "unreachable"),
    "traceroute": ("reached", "path"),
    "iperf": ("mbps",),
    "app": ("ok",),
    "cmd": ("exit_code", "stdout_contains"),
}
#: In a cmd step's command, {ip:NODE} stands for that node's address.
ADDRESS = re.compile(r"\{ip:([A-Za-z0-9_-]+)\}")
FAULTS = {cls.kind: cls for cls in faults.Fault.__subclasses__()}


class ExperimentError(MnssError):
    """An experiment file that cannot be run as written; `problems` lists each, key first."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = [str(p) for p in problems]
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            "experiment_invalid",
            f"实验文件 {source} 有 {len(problems)} 处问题：\n{listed}",
            f"experiment {source}: {len(problems)} problem(s):\n{listed}",
            source=source,
            problems=self.problems,
        )

    def messages(self, lang: str = "zh-CN") -> list[str]:
        return self.problems


@dataclass(frozen=True)
class Experiment:
    name: str
    data: dict

    @property
    def title(self) -> dict:
        return self.data["title"]

    @property
    def goal(self) -> dict:
        return self.data["goal"]

    @property
    def template(self) -> str:
        return self.data["topology"]["template"]

    @property
    def params(self) -> dict:
        return dict(self.data["topology"].get("params") or {})

    @property
    def steps(self) -> list[dict]:
        return self.data["steps"]

    @property
    def expect(self) -> list[dict]:
        return self.data["expect"]

    @property
    def smoke(self) -> bool:
        return bool(self.data.get("smoke"))

    @property
    def area(self) -> str:
        """What it is about, for grouping (the schema's enum); a file without one is about reachability."""
        return self.data.get("area", "reachability")

    def topology(self) -> Topology:
        """The network this experiment runs on (built afresh each time: a Lab may change it)."""
        return templates.TEMPLATES[self.template].build(**self.params)


def fault_of(spec: dict) -> faults.Fault:
    """The fault object a step's `fault:` mapping describes."""
    fields = {k: v for k, v in spec.items() if k != "kind"}
    return FAULTS[spec["kind"]](**fields)


@cache
def schema() -> dict:
    return json.loads(resources.files(__package__).joinpath("experiment.schema.json").read_text("utf-8"))


def catalog_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath("catalog")))


def names() -> list[str]:
    """Every experiment of the bundled catalog, by file name (without .yaml), sorted."""
    return sorted(p.stem for p in catalog_dir().glob("*.yaml"))


def load(source: str | Path) -> Experiment:
    """A checked experiment: a bundled one by name ("ward-baseline") or a YAML file's path."""
    path = Path(source)
    if path.suffix not in (".yaml", ".yml"):
        path = catalog_dir() / f"{source}.yaml"
    shown = path.name if path.parent == catalog_dir() else str(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ExperimentError(
            shown, [f"no such file; bundled experiments: {len(names())} in {catalog_dir()}"]
        ) from None
    except yaml.YAMLError as err:
        raise ExperimentError(shown, [f"not valid YAML: {err}"]) from None
    return check(path.stem, data, shown)


def check(name: str, data: Any, source: str = "") -> Experiment:
    """The experiment if `data` is one, else ExperimentError listing every problem."""
    if not isinstance(data, dict):
        raise ExperimentError(source or name, [f"top level must be a mapping, not {schemacheck.type_name(data)}"])
    found = schemacheck.problems(schema(), data)
    if not found:
        found = _meaning(data)
    if found:
        raise ExperimentError(source or name, found)
    return Experiment(name, data)


def _meaning(data: dict) -> list[str]:
    problems: list[str] = []
    template, params = data["topology"]["template"], data["topology"].get("params") or {}
    if template not in templates.TEMPLATES:
        return [f"topology.template: {template!r} is not a template; templates: {', '.join(templates.TEMPLATES)}"]
    try:
        topo = templates.TEMPLATES[template].build(**params)
    except (TypeError, ValueError, TopologyError) as err:
        return [f"topology.params: {template} cannot be built with {params}: {err}"]
    nodes = set(topo.names())
    ids: dict[str, str] = {}

    def node(key: str, value: str) -> None:
        if value not in nodes:
            problems.append(f"{key}: {value!r} is not a node of the {template} topology")

    for i, step in enumerate(data["steps"]):
        where, do = f"steps.{i}", step["do"]
        needed, optional = STEP_FIELDS[do]
        for field in needed:
            if field not in step:
                problems.append(f"{where}: a {do} step needs {field!r}")
        for field in set(step) - set(needed) - set(optional) - {"id", "do", "note"}:
            problems.append(f"{where}.{field}: not a field of a {do} step; its fields: {', '.join(needed + optional)}")
        for field in ("src", "dst", "node"):
            if field in step:
                node(f"{where}.{field}", step[field])
        for name in ADDRESS.findall(step.get("command", "")):
            node(f"{where}.command", name)
        for k, value in enumerate(step.get("nodes", [])):
            node(f"{where}.nodes.{k}", value)
        if "fault" in step:
            spec = step["fault"]
            wanted = [f.name for f in dataclasses.fields(FAULTS[spec["kind"]])]
            missing = [f for f in wanted if f not in spec]
            extra = sorted(set(spec) - set(wanted) - {"kind"})
            if missing or extra:
                said = "; ".join(
                    part
                    for part in (missing and f"missing {', '.join(missing)}", extra and f"unknown {', '.join(extra)}")
                    if part
                )
                problems.append(f"{where}.fault: a {spec['kind']} fault has the fields {', '.join(wanted)} ({said})")
            for field in ("a", "b", "node", "host", "router", "switch"):
                if field in spec and field in wanted:
                    node(f"{where}.fault.{field}", spec[field])
        if "id" in step:
            if step["id"] in ids:
                problems.append(f"{where}.id: {step['id']!r} is the id of an earlier step too")
            ids[step["id"]] = do
    for i, item in enumerate(data["expect"]):
        where = f"expect.{i}"
        do = ids.get(item["step"])
        what = next(k for k in item if k != "step")
        if do is None:
            problems.append(f"{where}.step: no step has the id {item['step']!r}; ids: {', '.join(ids) or '(none)'}")
        elif what not in CHECKS.get(do, ()):
            allowed = ", ".join(CHECKS.get(do, ())) or "nothing (it measures nothing)"
            problems.append(f"{where}.{what}: a {do} step cannot be checked by {what}; it can by: {allowed}")
        if what in ("reachable", "unreachable"):
            for k, pair in enumerate(item[what]):
                for m, value in enumerate(pair):
                    node(f"{where}.{what}.{k}.{m}", value)
        if what == "path":
            for k, value in enumerate(item[what]):
                node(f"{where}.path.{k}", value)
    return problems


__all__ = ["Experiment", "ExperimentError", "catalog_dir", "check", "fault_of", "load", "names", "schema"]
