"""The component catalog: every kind of node a topology may hold, and what it is underneath.

A kind's `role` decides how the engine builds it: 'host' (one network namespace, default route),
'switch' (Linux bridges, one per VLAN), 'router' (forwards, static routes), 'firewall' (a router
with filter rules), 'nat' (a router that masquerades towards its outside neighbour), 'gateway' (a
router whose outside is a network beyond the lab, reached through the host: the virtual-real
tunnel, runtime/tunnel.py, only where the site allows it). Hospital
kinds are hosts with an application service; the canvas uses the icon, colour and labels.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    role: str
    label_zh: str
    label_en: str
    colour: str
    shape: str = "ellipse"
    service: str | None = None  # application service started on the node, if any


L3_ROLES = frozenset({"router", "firewall", "nat", "gateway"})

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("host", "host", "主机", "Host", "#4c78a8"),
        Kind("switch", "switch", "交换机", "Switch", "#72b7b2", "round-rectangle"),
        Kind("router", "router", "路由器", "Router", "#f58518", "diamond"),
        Kind("firewall", "firewall", "防火墙", "Firewall", "#e45756", "hexagon"),
        Kind("nat", "nat", "NAT 网关", "NAT gateway", "#b279a2", "diamond"),
        Kind("gateway", "gateway", "虚实网关", "Virtual-real gateway", "#6b4c9a", "tag"),
        Kind("pacs", "host", "影像归档 PACS", "PACS", "#54a24b", "barrel", "dicom-scp"),
        Kind("modality", "host", "影像设备", "Imaging modality", "#88d27a", "ellipse", "dicom-scu"),
        Kind("his", "host", "医院信息系统 HIS", "HIS", "#9d755d", "barrel", "hl7-mllp"),
        Kind("emr", "host", "电子病历 EMR", "EMR", "#bab0ac", "barrel", "http"),
        Kind("lis", "host", "检验信息系统 LIS", "LIS", "#ff9da6", "barrel", "hl7-mllp"),
        Kind("database", "host", "数据库服务器", "Database server", "#79706e", "barrel", "mysql"),
        Kind("web", "host", "Web 服务器", "Web server", "#d67195", "barrel", "http"),
        Kind("nurse_station", "host", "护士站", "Nurse station", "#eeca3b"),
        Kind("workstation", "host", "工作站", "Workstation", "#439894"),
        Kind("medical_device", "host", "医疗设备", "Medical device", "#83bcb6"),
        Kind("guest", "host", "访客终端", "Guest device", "#a0a0a0"),
    ]
}


def kind(name: str) -> Kind:
    return KINDS[name]


def role(kind_name: str) -> str:
    return KINDS[kind_name].role


def is_l3(kind_name: str) -> bool:
    return role(kind_name) in L3_ROLES
