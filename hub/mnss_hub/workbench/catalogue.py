"""What the research page shows: every bundled template as an experiment card, the research catalog
(mnss_kernel.experiments, grouped by area) and the component library (every node kind with its
role, service and the service's default port), read from the engine's own registries so a new
template, experiment or kind appears without touching the hub."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mnss_foundation import i18n

_TEXTS = i18n.load(__package__)
ROLES = _TEXTS["roles"].pairs()  # role -> (zh-CN, en)
SERVICES = _TEXTS["services"].pairs()  # service -> what it is, (zh-CN, en)
ROLE_DEFAULTS = _TEXTS["role_defaults"].pairs()  # what the engine does with a kind of each role
AREAS = _TEXTS["areas"].pairs()  # an experiment's area -> (zh-CN, en), in the order the page shows them


@dataclass(frozen=True)
class Experiment:
    name: str
    title: tuple[str, str]
    description: tuple[str, str]
    nodes: int
    links: int


@dataclass(frozen=True)
class CatalogEntry:
    """One experiment of the research catalog, as its card shows it."""

    name: str
    title: tuple[str, str]
    goal: tuple[str, str]
    area: str
    template: tuple[str, str]


@dataclass(frozen=True)
class Component:
    name: str
    label: tuple[str, str]
    role: tuple[str, str]
    colour: str
    shape: str
    defaults: tuple[str, str]
    service: str | None
    service_text: tuple[str, str] | None
    port: int | None
    client_of: tuple[str, ...]


def template_topology(name: str):
    """The topology a card shows and opens: the saved example, else the template's default build."""
    from mnss_kernel import templates

    return templates.load_example(name) if name in templates.SAVED else templates.TEMPLATES[name].build()


@cache
def experiments() -> tuple[Experiment, ...]:
    """Every bundled template, in the engine's order (built once per process: the big campus takes
    a moment)."""
    from mnss_kernel import templates

    cards = []
    for name, tpl in templates.TEMPLATES.items():
        topo = template_topology(name)
        cards.append(
            Experiment(
                name,
                (tpl.title_zh, tpl.title_en),
                (tpl.description_zh or tpl.description, tpl.description),
                len(topo.nodes),
                len(topo.links),
            )
        )
    return tuple(cards)


@cache
def catalog() -> tuple[tuple[str, tuple[str, str], tuple[CatalogEntry, ...]], ...]:
    """The research catalog by area: (area, its name in zh and en, its experiments), in AREAS order."""
    from mnss_kernel import experiments, templates

    by_area: dict[str, list[CatalogEntry]] = {area: [] for area in AREAS}
    for name in experiments.names():
        found = experiments.load(name)
        tpl = templates.TEMPLATES[found.template]
        by_area[found.area].append(
            CatalogEntry(
                name,
                (found.title["zh"], found.title["en"]),
                (found.goal["zh"], found.goal["en"]),
                found.area,
                (tpl.title_zh, tpl.title_en),
            )
        )
    return tuple((area, AREAS[area], tuple(entries)) for area, entries in by_area.items() if entries)


@cache
def components() -> tuple[Component, ...]:
    """Every node kind of the engine's catalog, with the service it runs and that service's port."""
    from mnss_kernel.catalog import KINDS
    from mnss_kernel.services.registry import SERVICES as RUNNING

    found = []
    for kind in KINDS.values():
        spec = RUNNING.get(kind.service) if kind.service else None
        serves = [s for s in RUNNING.values() if kind.name in s.client_kinds]
        found.append(
            Component(
                kind.name,
                (kind.label_zh, kind.label_en),
                ROLES[kind.role],
                kind.colour,
                kind.shape,
                ROLE_DEFAULTS[kind.role],
                kind.service,
                SERVICES.get(kind.service, (kind.service, kind.service)) if kind.service else None,
                spec.default_port if spec else None,
                tuple(s.name for s in serves),
            )
        )
    return tuple(found)
