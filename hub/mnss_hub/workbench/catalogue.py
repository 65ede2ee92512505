"""What the research page shows: every bundled template as an experiment card, and the component
library (every node kind with its role, service and the service's default port), read from the
engine's own registries so a new template or kind appears without touching the hub."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

ROLES = {
    "host": ("主机", "host"),
    "switch": ("交换机", "switch"),
    "router": ("路由器", "router"),
    "firewall": ("防火墙", "firewall"),
    "nat": ("NAT 网关", "NAT gateway"),
}
SERVICES = {
    "dicom-scp": ("DICOM 存储服务（接收影像）", "DICOM storage service (receives images)"),
    "dicom-scu": ("DICOM 客户端（发送影像）", "DICOM client (sends images)"),
    "hl7-mllp": ("HL7 v2 消息（MLLP）", "HL7 v2 messages (MLLP)"),
    "http": ("HTTP 网页服务", "HTTP web service"),
    "mysql": ("SQL 数据库", "SQL database"),
    "tcp-echo": ("TCP 回显", "TCP echo"),
}
# What the engine does with a kind of each role, for the component library.
ROLE_DEFAULTS = {
    "host": (
        "一个网络命名空间，默认路由指向所在网段的网关",
        "one network namespace, default route via its subnet's gateway",
    ),
    "switch": ("Linux 网桥，每个 VLAN 一个；端口没有地址", "Linux bridges, one per VLAN; no address on its ports"),
    "router": ("转发，自动计算静态路由", "forwards, static routes computed automatically"),
    "firewall": ("转发并按规则过滤；默认放行", "forwards and filters by its rules; default policy accept"),
    "nat": ("转发，并向外侧邻居做地址伪装", "forwards and masquerades towards its outside neighbour"),
}


@dataclass(frozen=True)
class Experiment:
    name: str
    title: tuple[str, str]
    description: tuple[str, str]
    nodes: int
    links: int


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
