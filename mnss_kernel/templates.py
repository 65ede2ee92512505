"""Topology templates: small teaching networks and hospital networks, ready for the canvas.

Each template is a function returning a validated Topology (it plans without problems) whose nodes
carry layout positions. `TEMPLATES` lists them for a canvas palette:
name -> Template(build, title_zh, title_en, description, description_zh); `build()` with no arguments gives the
default size. The default size of each (except the 1000-host campus, generated on demand) is also
saved in mnss_kernel/topologies/NAME.yaml; `python -m mnss_kernel.templates` rewrites those files.

Naming: teaching templates use Mininet's names (h1.., s1..) and link order, so interface names
match what `mn --topo linear,4` etc. would create. Hospital templates keep every node name at most
10 characters, so Linux interface names (NAME-ethN, at most 15) fit.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from .topology.model import Topology

__all__ = [
    "DEPARTMENTS",
    "TEMPLATES",
    "Template",
    "department_lan",
    "examples_dir",
    "guest_isolated",
    "hospital_campus",
    "hospital_campus_1000",
    "linear",
    "region",
    "region_probes",
    "region_size",
    "load_example",
    "star",
    "tree",
    "write_examples",
]

NAME_MAX = 10  # node names of hospital templates; NAME-eth999 stays within Linux's 15 characters
GUEST_NET = "192.168.100.0/24"


class _Builder:
    """Collects plain node/link data in order and validates it once at the end."""

    def __init__(self, name: str, title: str, description: str):
        self.data: dict = {"name": name, "title": title, "description": description}
        self.nodes: list[dict] = []
        self.links: list[dict] = []

    def node(self, name: str, kind: str, x: float, y: float, **fields) -> str:
        entry = {"name": name, "kind": kind, **{k: v for k, v in fields.items() if v is not None}}
        entry["position"] = {"x": round(x), "y": round(y)}
        self.nodes.append(entry)
        return name

    def link(self, a: str, b: str, **fields) -> None:
        self.links.append({"a": a, "b": b, **{k: v for k, v in fields.items() if v is not None}})

    def build(self, addressing: dict | None = None) -> Topology:
        data = dict(self.data, nodes=self.nodes, links=self.links)
        if addressing:
            data["addressing"] = addressing
        return Topology.from_dict(data, self.data["name"])


def _check(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")


def _prefix_for(hosts: int, routers: int = 0) -> int:
    """The longest prefix (at most /24) whose subnet holds the hosts from .10 on, routers below."""
    return min(24, 32 - math.ceil(math.log2(hosts + routers + 11)))


def _flat_addressing(hosts: int) -> dict | None:
    """Automatic subnets wide enough for one flat L2 network of `hosts` hosts (None: the default /24)."""
    prefix = _prefix_for(hosts)
    return None if prefix == 24 else {"pool": "10.0.0.0/8", "prefix": prefix}


def _grid(count: int, columns: int, x0: float, y0: float, dx: float = 70, dy: float = 70) -> list[tuple[float, float]]:
    """Positions of `count` nodes in rows of `columns`, centred on x0, starting at y0."""
    columns = max(1, min(columns, count))
    width = (columns - 1) * dx
    return [(x0 - width / 2 + (i % columns) * dx, y0 + (i // columns) * dy) for i in range(count)]


# ---------------------------------------------------------------------------------------------
# Teaching set (Mininet's names and link order)
# ---------------------------------------------------------------------------------------------


def linear(n: int = 4) -> Topology:
    """n switches in a chain, one host on each: s1..sn, h1..hn (like `mn --topo linear,n`)."""
    _check("n", n, 1, 999)
    b = _Builder(
        f"linear-{n}" if n != 4 else "linear",
        f"线性拓扑（{n} 台交换机）",
        f"{n} switches in a chain, one host on each; like Mininet's `--topo linear,{n}`. "
        "One broadcast domain, so every host reaches every other.",
    )
    last = None
    for i in range(1, n + 1):
        switch = b.node(f"s{i}", "switch", 120 * i, 100)
        host = b.node(f"h{i}", "host", 120 * i, 240)
        b.link(host, switch)
        if last:
            b.link(switch, last)
        last = switch
    return b.build(_flat_addressing(n))


def star(n: int = 4) -> Topology:
    """One switch s1 with n hosts h1..hn (like `mn --topo single,n`)."""
    _check("n", n, 1, 4000)
    b = _Builder(
        f"star-{n}" if n != 4 else "star",
        f"星型拓扑（{n} 台主机）",
        f"One switch with {n} hosts; like Mininet's `--topo single,{n}`.",
    )
    columns = min(n, 16)
    b.node("s1", "switch", 0, 100)
    for i, (x, y) in enumerate(_grid(n, columns, 0, 260, dx=90), start=1):
        b.link(b.node(f"h{i}", "host", x, y), "s1")
    return b.build(_flat_addressing(n))


def tree(depth: int = 2, fanout: int = 2) -> Topology:
    """A tree of switches, hosts at the leaves (like `mn --topo tree,depth,fanout`)."""
    _check("depth", depth, 1, 10)
    _check("fanout", fanout, 1, 64)
    hosts = fanout**depth
    if hosts > 4096:
        raise ValueError(f"tree({depth}, {fanout}) would have {hosts} hosts; at most 4096")
    default = (depth, fanout) == (2, 2)
    b = _Builder(
        "tree" if default else f"tree-{depth}-{fanout}",
        f"树型拓扑（深度 {depth}，扇出 {fanout}）",
        f"A tree of switches {depth} levels deep, {fanout} children each, {hosts} hosts at the leaves; "
        f"like Mininet's `--topo tree,{depth},{fanout}`.",
    )
    counters = {"h": 1, "s": 1}
    leaf_dx, level_dy = 80, 130
    leaves = [0]

    def add(level: int) -> tuple[str, float]:
        """Mininet's TreeTopo.addTree: the switch first, then each child subtree, then its link."""
        if level == depth:
            name = f"h{counters['h']}"
            counters["h"] += 1
            x = leaves[0] * leaf_dx
            leaves[0] += 1
            b.node(name, "host", x, 100 + level * level_dy)
            return name, x
        name = f"s{counters['s']}"
        counters["s"] += 1
        b.node(name, "switch", 0, 100 + level * level_dy)
        entry = b.nodes[-1]
        xs = []
        for _ in range(fanout):
            child, x = add(level + 1)
            b.link(name, child)
            xs.append(x)
        entry["position"]["x"] = round(sum(xs) / len(xs))
        return name, entry["position"]["x"]

    add(0)
    return b.build(_flat_addressing(hosts))


# ---------------------------------------------------------------------------------------------
# Hospital departments
# ---------------------------------------------------------------------------------------------

#: Department kinds: zh name, en name, and the end devices of a department of that kind.
DEPARTMENTS = {
    "radiology": ("放射科", "Radiology"),
    "laboratory": ("检验科", "Laboratory"),
    "ward": ("住院病区", "Ward"),
}
_MODALITIES = [("ct", "CT"), ("mr", "MR 磁共振"), ("dr", "DR 数字放射"), ("us", "超声"), ("mg", "乳腺钼靶")]


def department_lan(kind: str = "radiology", workstations: int = 3, devices: int = 3) -> Topology:
    """One department on one switch (sw1), one subnet.

    radiology: a PACS, `devices` imaging modalities (ct1, mr1, dr1, us1, mg1, ct2, ...) and
    `workstations` reading workstations (ws1..); laboratory: a LIS, `devices` analysers (an1..,
    medical devices) and `workstations` (ws1..); ward: `workstations` nurse stations (ns1..) and
    `devices` bedside medical devices (md1.., monitors and pumps).
    """
    if kind not in DEPARTMENTS:
        raise ValueError(f"kind must be one of {', '.join(DEPARTMENTS)}, not {kind!r}")
    _check("workstations", workstations, 0, 200)
    _check("devices", devices, 0, 200)
    zh, en = DEPARTMENTS[kind]
    b = _Builder(kind, f"{zh}局域网", "")
    b.node("sw1", "switch", 0, 100, label=f"{zh}交换机")
    members: list[tuple[str, str, str | None]] = []
    if kind == "radiology":
        b.data["description"] = (
            "Radiology: imaging modalities send studies to the PACS (DICOM), "
            "reading workstations query and retrieve them."
        )
        members.append(("pacs", "pacs", "PACS 影像归档"))
        counts: dict[str, int] = {}
        for i in range(devices):
            code, label = _MODALITIES[i % len(_MODALITIES)]
            counts[code] = counts.get(code, 0) + 1
            members.append((f"{code}{counts[code]}", "modality", f"{label} {counts[code]}"))
        members += [(f"ws{i}", "workstation", f"阅片工作站 {i}") for i in range(1, workstations + 1)]
    elif kind == "laboratory":
        b.data["description"] = (
            "Laboratory: analysers report results to the LIS (HL7), workstations review and release them."
        )
        members.append(("lis", "lis", "LIS 检验信息系统"))
        members += [(f"an{i}", "medical_device", f"检验分析仪 {i}") for i in range(1, devices + 1)]
        members += [(f"ws{i}", "workstation", f"检验工作站 {i}") for i in range(1, workstations + 1)]
    else:
        b.data["description"] = "Ward: nurse stations and bedside medical devices (monitors, infusion pumps)."
        members += [(f"ns{i}", "nurse_station", f"护士站 {i}") for i in range(1, workstations + 1)]
        members += [(f"md{i}", "medical_device", f"床旁设备 {i}") for i in range(1, devices + 1)]
    for (name, node_kind, label), (x, y) in zip(members, _grid(len(members), 6, 0, 260, dx=110, dy=110), strict=True):
        b.link(b.node(name, node_kind, x, y, label=label), "sw1")
    return b.build(_flat_addressing(len(members)))


def _firewall_rules(guest_net: str, clinical: list[str]) -> list[dict]:
    return [{"action": "deny", "src": guest_net, "dst": net} for net in clinical] + [{"action": "allow"}]


def guest_isolated(clinical_hosts: int = 2, guests: int = 3, internet: bool = True) -> Topology:
    """A clinical LAN (PACS, EMR, workstations) and a guest network joined by a firewall.

    Clinical LAN 10.1.0.0/24 behind csw (firewall 10.1.0.1, pacs .10, emr .11, workstations after);
    guest LAN 192.168.100.0/24 behind gsw (firewall .1); with `internet`, a web server `inet` at
    203.0.113.10 on a third firewall leg. Firewall rules: deny guest -> clinical, then allow
    everything else (default policy deny: nothing passes that a rule does not allow).
    """
    _check("clinical_hosts", clinical_hosts, 0, 200)
    _check("guests", guests, 1, 200)
    clinical_net = "10.1.0.0/24"
    b = _Builder(
        "guest_isolated",
        "访客网络隔离",
        "A clinical LAN (PACS, EMR, workstations) and a guest Wi-Fi network joined by a firewall: "
        "guests must not reach clinical systems (deny guest -> clinical), everything else is allowed"
        + (", e.g. guests browsing the internet web server." if internet else "."),
    )
    b.node(
        "fw",
        "firewall",
        0,
        100,
        label="防火墙",
        rules=_firewall_rules(GUEST_NET, [clinical_net]),
        default_policy="deny",
    )
    b.node("csw", "switch", -300, 240, label="临床网交换机")
    b.node("gsw", "switch", 300, 240, label="访客网交换机")
    b.link("fw", "csw", ip_a="10.1.0.1/24")
    b.link("fw", "gsw", ip_a="192.168.100.1/24")
    clinical = [("pacs", "pacs", "10.1.0.10/24"), ("emr", "emr", "10.1.0.11/24")]
    clinical += [(f"ws{i}", "workstation", None) for i in range(1, clinical_hosts + 1)]
    for (name, kind, ip), (x, y) in zip(clinical, _grid(len(clinical), 4, -300, 380, dx=90), strict=True):
        b.link(b.node(name, kind, x, y, ip=ip), "csw")
    for i, (x, y) in enumerate(_grid(guests, 4, 300, 380, dx=90), start=1):
        b.link(b.node(f"g{i}", "guest", x, y, label=f"访客终端 {i}"), "gsw")
    if internet:
        b.node("inet", "web", 0, -40, label="互联网网站", ip="203.0.113.10/24")
        b.link("fw", "inet", ip_a="203.0.113.1/24")
    return b.build()


# ---------------------------------------------------------------------------------------------
# Hospital campus
# ---------------------------------------------------------------------------------------------

_CAMPUS_DEPARTMENTS = ["radiology", "laboratory", "ward"]
# kind -> one-letter code in host names (b1d2w3: building 1, department 2, workstation 3)
_HOST_CODES = {"modality": "x", "workstation": "w", "nurse_station": "n", "medical_device": "m"}
_DATA_CENTRE = [
    ("pacs", "pacs", "PACS 影像归档"),
    ("his", "his", "HIS 医院信息系统"),
    ("emr", "emr", "EMR 电子病历"),
    ("lis", "lis", "LIS 检验信息系统"),
    ("db", "database", "数据库服务器"),
]


def _department_hosts(kind: str, count: int) -> list[str]:
    """The kinds of a campus department's end devices, in order."""
    if kind == "radiology":
        special, other = "modality", "workstation"
        n_special = max(1, count // 4)
    elif kind == "laboratory":
        special, other = "medical_device", "workstation"
        n_special = max(1, count // 5)
    else:
        special, other = "nurse_station", "medical_device"
        n_special = max(1, count // 3)
    n_special = min(n_special, count)
    return [special] * n_special + [other] * (count - n_special)


def hospital_campus(
    buildings: int = 2,
    departments_per_building: int = 3,
    hosts_per_department: int = 6,
    guests: int = 4,
    internet: bool = True,
) -> Topology:
    """A hospital campus: core, a distribution router per building, an access switch per department.

    Tiers (top to bottom on the canvas): `inet` (internet web server) behind the NAT gateway `nat`;
    the core router `core` with the backbone switch `bbsw` (10.0.0.0/24), the data-centre switch
    `dcsw` (10.0.10.0/24: pacs, his, emr, lis, db at .10-.14) and the firewall `fw` guarding the guest
    network (`gsw`, guests g1.., 192.168.100.0/24 or wider); per building i the router `b{i}r`; per
    department j its access switch `b{i}d{j}` and own subnet 10.i.j.0/24 (wider for big departments);
    department devices `b{i}d{j}{c}{k}` with c = x modality, w workstation, n nurse station, m medical
    device. Departments cycle radiology, laboratory, ward. Routes are automatic (shortest paths).
    Firewall: deny guests -> 10.0.0.0/8 (every clinical subnet), allow the rest.
    """
    _check("buildings", buildings, 1, 99)
    _check("departments_per_building", departments_per_building, 1, 99)
    _check("hosts_per_department", hosts_per_department, 1, 999)
    _check("guests", guests, 0, 4000)
    prefix = _prefix_for(hosts_per_department, routers=1)
    per_building = list(ipaddress.IPv4Network("10.1.0.0/16").subnets(new_prefix=prefix))
    if departments_per_building + 1 > len(per_building):
        raise ValueError(
            f"{departments_per_building} departments of {hosts_per_department} hosts do not fit in "
            f"a building's /16 (room for {len(per_building) - 1} /{prefix} subnets)"
        )
    departments = buildings * departments_per_building
    hosts = departments * hosts_per_department
    b = _Builder(
        "hospital_campus"
        if (buildings, departments_per_building, hosts_per_department, guests, internet) == (2, 3, 6, 4, True)
        else f"campus-{buildings}x{departments_per_building}x{hosts_per_department}",
        f"医院园区网络（{buildings} 栋楼，{departments} 个科室，{hosts} 台终端）",
        f"A hospital campus: a core router and backbone, {buildings} buildings each with a distribution "
        f"router, {departments_per_building} departments per building each on its own access switch and "
        f"subnet ({hosts_per_department} devices each), a data centre (PACS, HIS, EMR, LIS, database) and "
        "a guest network behind a firewall that denies guests any clinical subnet"
        + (", with internet access through a NAT gateway." if internet else "."),
    )

    # -- layout: departments side by side, each a block of host columns ------------------------
    columns = min(10, hosts_per_department)
    dx, dy = 60, 60
    block = columns * dx + 80
    guest_columns = min(8, max(guests, 1))
    guest_block = guest_columns * dx + 80
    dc_block = len(_DATA_CENTRE) * 90 + 80
    width = guest_block + departments * block + dc_block
    x_guest = guest_block / 2
    x_dept0 = guest_block
    x_dc = guest_block + departments * block + dc_block / 2
    centre = width / 2
    y_inet, y_core, y_backbone, y_dist, y_access, y_hosts = 0, 130, 240, 360, 500, 620

    # -- core, data centre, guests, internet ---------------------------------------------------
    b.node("core", "router", centre, y_core, label="核心路由器")
    b.node("bbsw", "switch", centre, y_backbone, label="骨干交换机")
    b.link("core", "bbsw", ip_a="10.0.0.1/24")
    b.node("dcsw", "switch", x_dc, y_dist, label="数据中心交换机")
    b.link("core", "dcsw", ip_a="10.0.10.1/24")
    places = _grid(len(_DATA_CENTRE), 5, x_dc, y_access, dx=90)
    for k, ((name, kind, label), (x, y)) in enumerate(zip(_DATA_CENTRE, places, strict=True)):
        b.link(b.node(name, kind, x, y, label=label, ip=f"10.0.10.{10 + k}/24"), "dcsw")
    if guests:
        guest_prefix = _prefix_for(guests, routers=1)
        guest_net = ipaddress.IPv4Network(f"192.168.100.0/{guest_prefix}", strict=False)
        b.node(
            "fw",
            "firewall",
            x_guest,
            y_dist,
            label="访客防火墙",
            rules=_firewall_rules(str(guest_net), ["10.0.0.0/8"]),
            default_policy="deny",
        )
        b.link("core", "fw", ip_a="10.0.254.1/30", ip_b="10.0.254.2/30")
        b.node("gsw", "switch", x_guest, y_access, label="访客网交换机")
        b.link("fw", "gsw", ip_a=f"{next(guest_net.hosts())}/{guest_prefix}")
        for i, (x, y) in enumerate(_grid(guests, guest_columns, x_guest, y_hosts, dx=dx, dy=dy), start=1):
            b.link(b.node(f"g{i}", "guest", x, y), "gsw")
    if internet:
        b.node("nat", "nat", centre + 200, y_inet + 40, label="NAT 出口网关", outside="inet")
        b.link("core", "nat", ip_a="10.0.253.1/30", ip_b="10.0.253.2/30")
        b.node("inet", "web", centre + 400, y_inet, label="互联网网站", ip="203.0.113.10/24")
        b.link("nat", "inet", ip_a="203.0.113.1/24")

    # -- buildings and departments --------------------------------------------------------------
    for i in range(1, buildings + 1):
        first = x_dept0 + (i - 1) * departments_per_building * block
        router = b.node(
            f"b{i}r", "router", first + departments_per_building * block / 2, y_dist, label=f"{i}号楼汇聚路由器"
        )
        b.link(router, "bbsw", ip_a=f"10.0.0.{i + 1}/24")
        per_building = list(ipaddress.IPv4Network(f"10.{i}.0.0/16").subnets(new_prefix=prefix))
        for j in range(1, departments_per_building + 1):
            kind = _CAMPUS_DEPARTMENTS[(j - 1) % len(_CAMPUS_DEPARTMENTS)]
            zh = DEPARTMENTS[kind][0]
            number = (j - 1) // len(_CAMPUS_DEPARTMENTS) + 1
            x = first + (j - 0.5) * block
            access = b.node(
                f"b{i}d{j}",
                "switch",
                x,
                y_access,
                label=f"{i}号楼 {zh}{number if departments_per_building > 3 else ''}",
            )
            subnet = per_building[j]
            b.link(router, access, ip_a=f"{next(subnet.hosts())}/{prefix}")
            counts: dict[str, int] = {}
            host_kinds = _department_hosts(kind, hosts_per_department)
            for host_kind, (hx, hy) in zip(
                host_kinds, _grid(len(host_kinds), columns, x, y_hosts, dx=dx, dy=dy), strict=True
            ):
                counts[host_kind] = counts.get(host_kind, 0) + 1
                name = f"b{i}d{j}{_HOST_CODES[host_kind]}{counts[host_kind]}"
                b.link(b.node(name, host_kind, hx, hy), access)
    return b.build()


def hospital_campus_1000() -> Topology:
    """The 1000-device campus: 4 buildings x 5 departments x 50 devices, 40 guests, internet."""
    topo = hospital_campus(buildings=4, departments_per_building=5, hosts_per_department=50, guests=40)
    topo.name = "hospital_campus_1000"
    topo.title = "千台终端医院园区（4 栋楼，20 个科室，1000 台终端）"
    return topo


# ---------------------------------------------------------------------------------------------
# Regional health network
# ---------------------------------------------------------------------------------------------

_REGION_WAN_MBIT = {"region": 1000, "hospital": 100, "clinic": 20}  # shaped WAN uplinks (htb)
_CLINIC_FLOORS = (("门诊", "workstation", "w"), ("药房检验", "medical_device", "m"))
_HOSPITAL_FLOOR_KINDS = (("workstation", "w"), ("nurse_station", "n"), ("medical_device", "m"))


def region_size(
    regions: int, hospitals: int, clinics: int, floors: int, hosts_per_floor: int, clinic_hosts: int
) -> int:
    """The node count of `region(...)` with these parameters, without building it."""
    hospital = 1 + floors * (1 + hosts_per_floor)
    clinic = 1 + len(_CLINIC_FLOORS) * (1 + clinic_hosts)
    return 2 + len(_DATA_CENTRE) + regions * (1 + hospitals * hospital + clinics * clinic)


def region(
    regions: int = 8,
    hospitals: int = 4,
    clinics: int = 12,
    floors: int = 6,
    hosts_per_floor: int = 40,
    clinic_hosts: int = 10,
) -> Topology:
    """A regional health network: a regional data centre, and per region (district) a WAN router
    with hospitals and community clinics behind shaped WAN links. About 10,000 nodes by default.

    Names and addresses (region i, hospital j, clinic c, floor k):
    - data centre: router `dc` with switch `dcsw` and pacs, his, emr, lis, db on 10.0.10.0/24;
    - region router `r{i}`, WAN link to `dc` over 10.255.i.0/30 (1000 Mbit/s);
    - hospital router `r{i}h{j}` (WAN 100 Mbit/s), floor switches `r{i}h{j}f{k}` on 10.i.(10j+k).0/24
      with `hosts_per_floor` devices `r{i}h{j}f{k}{w|n|m}{n}` (workstations, nurse stations, devices);
    - clinic router `r{i}c{c}` (WAN 20 Mbit/s), two floors `r{i}c{c}f1|f2` (consulting rooms,
      pharmacy and laboratory) on 10.i.(99+2c).0/24 and 10.i.(100+2c).0/24 with `clinic_hosts` devices each;
    - site uplinks on 10.i.255.(4s).0/30, s = j for hospitals, hospitals + c for clinics.
    Routes are automatic (shortest paths). The canvas shows it as regions -> sites -> floors.
    """
    _check("regions", regions, 1, 9)
    _check("hospitals", hospitals, 0, 9)
    _check("clinics", clinics, 0, 54)  # site uplinks: 63 /30s in 10.i.255.0/24
    _check("floors", floors, 1, 9)
    _check("hosts_per_floor", hosts_per_floor, 1, 99)
    _check("clinic_hosts", clinic_hosts, 1, 99)
    if hospitals + clinics == 0:
        raise ValueError("a region needs at least one hospital or clinic (hospitals + clinics >= 1)")
    size = region_size(regions, hospitals, clinics, floors, hosts_per_floor, clinic_hosts)
    default = (regions, hospitals, clinics, floors, hosts_per_floor, clinic_hosts) == (8, 4, 12, 6, 40, 10)
    b = _Builder(
        "region" if default else f"region-{regions}x{hospitals}h{clinics}c",
        f"区域卫生网络（{regions} 个区域，{regions * hospitals} 家医院，"
        f"{regions * clinics} 个社区诊所，{size} 个节点）",
        f"A regional health network of {size} nodes: a regional data centre (PACS, HIS, EMR, LIS, database) "
        f"and {regions} regions, each a WAN router with {hospitals} hospitals ({floors} floors of "
        f"{hosts_per_floor} devices) and {clinics} community clinics (2 floors of {clinic_hosts} devices), "
        f"on WAN links shaped to {_REGION_WAN_MBIT['region']}, {_REGION_WAN_MBIT['hospital']} and "
        f"{_REGION_WAN_MBIT['clinic']} Mbit/s.",
    )
    # -- layout: regions side by side; in each, sites side by side, floors in a row under each site
    dx, dy = 40, 40
    hosp_w = floors * (min(8, hosts_per_floor) * dx + 40)
    clinic_w = len(_CLINIC_FLOORS) * (min(8, clinic_hosts) * dx + 40)
    region_w = hospitals * hosp_w + clinics * clinic_w + 200
    y_dc, y_dcsw, y_servers, y_region, y_site, y_floor, y_hosts = 0, 120, 240, 400, 560, 720, 840
    centre = regions * region_w / 2
    b.node("dc", "router", centre, y_dc, label="区域数据中心路由器")
    b.node("dcsw", "switch", centre + 300, y_dcsw, label="数据中心交换机")
    b.link("dc", "dcsw", ip_a="10.0.10.1/24")
    for k, (name, kind, label) in enumerate(_DATA_CENTRE):
        b.link(
            b.node(name, kind, centre + 300 + (k - 2) * 90, y_servers, label=label, ip=f"10.0.10.{10 + k}/24"), "dcsw"
        )

    def wan(region: int, router: str, site: str, up: int, tier: str) -> None:
        """A site's WAN link to its region router: a /30 of 10.<region>.255.0/24, shaped by tier."""
        b.link(
            router,
            site,
            ip_a=f"10.{region}.255.{up + 1}/30",
            ip_b=f"10.{region}.255.{up + 2}/30",
            bw=_REGION_WAN_MBIT[tier],
        )

    def floor(site: str, switch: str, x: float, subnet: str, count: int, kinds, label: str) -> None:
        """One floor: its switch under the site router, its own /24, its devices in rows."""
        b.node(switch, "switch", x, y_floor, label=label)
        b.link(site, switch, ip_a=f"{subnet}.1/24")
        places = _grid(count, min(8, count), x, y_hosts, dx=dx, dy=dy)
        for n, (hx, hy) in enumerate(places, start=1):
            kind, code = kinds[(n - 1) % len(kinds)]
            b.link(b.node(f"{switch}{code}{n}", kind, hx, hy), switch)

    for i in range(1, regions + 1):
        x0 = (i - 1) * region_w
        router = b.node(f"r{i}", "router", x0 + region_w / 2, y_region, label=f"第 {i} 区域路由器")
        b.link("dc", router, ip_a=f"10.255.{i}.1/30", ip_b=f"10.255.{i}.2/30", bw=_REGION_WAN_MBIT["region"])
        x = x0 + 100
        for j in range(1, hospitals + 1):
            site = b.node(f"r{i}h{j}", "router", x + hosp_w / 2, y_site, label=f"第 {i} 区域 医院 {j}")
            wan(i, router, site, 4 * j, "hospital")
            for k in range(1, floors + 1):
                fx = x + (k - 0.5) * hosp_w / floors
                floor(
                    site,
                    f"{site}f{k}",
                    fx,
                    f"10.{i}.{10 * j + k}",
                    hosts_per_floor,
                    _HOSPITAL_FLOOR_KINDS,
                    f"医院 {j} {k} 楼",
                )
            x += hosp_w
        for c in range(1, clinics + 1):
            site = b.node(f"r{i}c{c}", "router", x + clinic_w / 2, y_site, label=f"第 {i} 区域 社区诊所 {c}")
            wan(i, router, site, 4 * (hospitals + c), "clinic")
            for k, (label, kind, code) in enumerate(_CLINIC_FLOORS, start=1):
                fx = x + (k - 0.5) * clinic_w / len(_CLINIC_FLOORS)
                floor(
                    site,
                    f"{site}f{k}",
                    fx,
                    f"10.{i}.{98 + 2 * c + k}",
                    clinic_hosts,
                    [(kind, code)],
                    f"诊所 {c} {label}",
                )
            x += clinic_w
    return b.build()


_REGION_DEVICE = re.compile(r"r(\d+)([hc])\d+f\d+[a-z]\d+")


def region_probes(topo: Topology) -> list[str]:
    """A ping sample of a `region` network that crosses every kind of WAN link: the data centre's
    PACS and, per region, the first device of its first hospital and of its first clinic."""
    first: dict[tuple[str, str], str] = {}
    for node in topo.nodes:
        found = _REGION_DEVICE.fullmatch(node.name)
        if found:
            first.setdefault(found.groups(), node.name)
    return ["pacs", *first.values()]


# ---------------------------------------------------------------------------------------------
# Registry and saved examples
# ---------------------------------------------------------------------------------------------


class Template(NamedTuple):
    build: Callable[..., Topology]
    title_zh: str
    title_en: str
    description: str
    description_zh: str = ""  # the description in Chinese, for the portal's experiment catalogue


TEMPLATES: dict[str, Template] = {
    "linear": Template(
        linear,
        "线性拓扑",
        "Linear",
        "Switches in a chain, one host each (Mininet's linear topology). Parameter: n.",
        "交换机串成一条链，每台交换机接一台主机（即 Mininet 的 linear 拓扑）。参数：n。",
    ),
    "star": Template(
        star,
        "星型拓扑",
        "Star",
        "One switch with n hosts (Mininet's single topology). Parameter: n.",
        "一台交换机连接 n 台主机（即 Mininet 的 single 拓扑）。参数：n。",
    ),
    "tree": Template(
        tree,
        "树型拓扑",
        "Tree",
        "A tree of switches with hosts at the leaves (Mininet's tree topology). Parameters: depth, fanout.",
        "交换机组成的树，主机在叶子上（即 Mininet 的 tree 拓扑）。参数：depth（深度）、fanout（分支数）。",
    ),
    "radiology": Template(
        partial(department_lan, "radiology"),
        "放射科局域网",
        "Radiology LAN",
        "PACS, imaging modalities and reading workstations on one switch.",
        "PACS、影像设备和阅片工作站接在同一台交换机上。",
    ),
    "laboratory": Template(
        partial(department_lan, "laboratory"),
        "检验科局域网",
        "Laboratory LAN",
        "LIS, analysers and workstations on one switch.",
        "LIS、检验设备和工作站接在同一台交换机上。",
    ),
    "ward": Template(
        partial(department_lan, "ward"),
        "住院病区局域网",
        "Ward LAN",
        "Nurse stations and bedside medical devices on one switch.",
        "护士站和床旁医疗设备接在同一台交换机上。",
    ),
    "guest_isolated": Template(
        guest_isolated,
        "访客网络隔离",
        "Guest network isolation",
        "A clinical LAN and a guest network joined by a firewall that denies guests any clinical system.",
        "临床局域网与访客网络经防火墙相连，防火墙禁止访客访问任何临床系统。",
    ),
    "hospital_campus": Template(
        hospital_campus,
        "医院园区网络",
        "Hospital campus",
        "Core, buildings, departments with their own subnets, data centre, "
        "guest network behind a firewall. Parameters: buildings, "
        "departments_per_building, hosts_per_department, guests.",
        "核心、楼宇、各有子网的科室、数据中心，以及防火墙后的访客网络。参数：buildings（楼宇数）、"
        "departments_per_building（每楼科室数）、hosts_per_department（每科室终端数）、guests（访客数）。",
    ),
    "hospital_campus_1000": Template(
        hospital_campus_1000,
        "千台终端医院园区",
        "Hospital campus, 1000 devices",
        "The campus at scale: 4 buildings, 20 departments, 1000 devices.",
        "大规模园区：4 栋楼、20 个科室、1000 台终端。",
    ),
    "region": Template(
        region,
        "区域卫生网络",
        "Regional health network",
        "About 10,000 nodes: a regional data centre, regions of hospitals and community clinics behind "
        "shaped WAN links; shown as regions, sites and floors. Parameters: regions, hospitals, clinics, "
        "floors, hosts_per_floor, clinic_hosts.",
        "约一万个节点：区域数据中心，以及各区域的医院和社区诊所，经限速的广域网链路相连；画布按区域、"
        "站点、楼层分级显示。参数：regions（区域数）、hospitals（每区域医院数）、clinics（每区域诊所数）、"
        "floors（医院楼层数）、hosts_per_floor（每层终端数）、clinic_hosts（诊所每层终端数）。",
    ),
}

#: Templates whose default size is saved under mnss_kernel/topologies/ (the big ones are built on demand).
BIG = ("hospital_campus_1000", "region")
SAVED = [name for name in TEMPLATES if name not in BIG]


def examples_dir() -> Path:
    return Path(str(resources.files("mnss_kernel").joinpath("topologies")))


def load_example(name: str) -> Topology:
    """A saved example by template name (a file in mnss_kernel/topologies/)."""
    if name not in SAVED:
        raise KeyError(f"no saved example {name!r}; saved: {', '.join(SAVED)}")
    return Topology.load(examples_dir() / f"{name}.yaml")


def template_named(source: str | Path) -> Topology | None:
    """The template a name means ("ward", "ward.yaml", "hospital-campus"), when no such file exists;
    None when `source` is a file or names no template."""
    path = Path(source)
    if path.exists() or path.parent != Path("."):
        return None
    name = path.stem.replace("-", "_") if path.suffix in (".yaml", ".yml", "") else None
    if name in SAVED:
        return load_example(name)
    return TEMPLATES[name].build() if name in TEMPLATES else None


def write_examples(directory: str | Path | None = None) -> list[Path]:
    """(Re)write the saved examples: the default size of every template in SAVED."""
    directory = Path(directory) if directory else examples_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return [TEMPLATES[name].build().save(directory / f"{name}.yaml") for name in SAVED]


if __name__ == "__main__":
    for written in write_examples():
        print(written)
