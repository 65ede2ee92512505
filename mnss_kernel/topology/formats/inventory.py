"""A hospital's device-and-link inventory sheet (Excel .xlsx, or a pair of CSV files) as a topology.

Hospitals keep their network as a spreadsheet: a sheet of devices (name, kind, building, floor,
address, VLAN) and a sheet of links (two devices, their ports, the bandwidth). This reads such a
sheet as it is kept, with column headers in Chinese or English, and checks every row before anything
is built: each bad cell is reported with its sheet, row and column, in English and Chinese, all at
once. The result is a TopologyError or a fully checked topology, never half of one.

The column tables below are also what `mnss topo reference` documents, so the two cannot drift.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnss_foundation.problem import Problem

from ...catalog import KINDS, role
from ..model import Topology, TopologyError
from .common import IFNAME_RE, NODE_NAME_RE, Imported, topology_name
from .sheets import SHEETS, Sheet, read

NAME_MAX = 10  # NAME-eth99 stays within Linux's 15-character interface names


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    required: bool
    help: str
    aliases: tuple[str, ...] = ()


DEVICE_COLUMNS = (
    Column(
        "name",
        "name",
        "设备名称",
        True,
        "Unique device name; kept as the label, made a valid node name if needed.",
        ("device", "device name", "hostname", "名称", "设备名", "主机名"),
    ),
    Column(
        "kind",
        "kind",
        "设备类型",
        True,
        "A node kind, by its name, English or Chinese label (see the kinds table).",
        ("type", "device type", "类型"),
    ),
    Column("building", "building", "楼宇", False, "Building; shown in the label.", ("楼栋", "建筑", "大楼")),
    Column("floor", "floor", "楼层", False, "Floor; shown in the label.", ("层",)),
    Column(
        "ip",
        "ip",
        "IP地址",
        False,
        "Address of a device with one link, e.g. 10.1.3.20 or 10.1.3.20/24; switches' management "
        "addresses are not emulated.",
        ("ip address", "address", "地址", "ip 地址"),
    ),
    Column(
        "mask",
        "mask",
        "子网掩码",
        False,
        "255.255.255.0, 24 or /24 (unless the ip has /NN).",
        ("netmask", "prefix", "掩码"),
    ),
    Column("gateway", "gateway", "网关", False, "Default gateway of a host.", ("默认网关", "default gateway")),
    Column(
        "vlan",
        "vlan",
        "VLAN",
        False,
        "Access VLAN (1-4094) of the device's links to switches.",
        ("vlan id", "所属vlan"),
    ),
)

LINK_COLUMNS = (
    Column("a", "device a", "设备A", True, "Device name at one end.", ("a", "from", "本端设备", "源设备", "端a")),
    Column("b", "device b", "设备B", True, "Device name at the other end.", ("b", "to", "对端设备", "目的设备", "端b")),
    Column(
        "if_a",
        "interface a",
        "端口A",
        False,
        "Port on device A, e.g. GE1/0/1 (written GE1-0-1; at most 15 characters).",
        ("port a", "if a", "接口a", "本端端口", "本端接口"),
    ),
    Column(
        "if_b", "interface b", "端口B", False, "Port on device B.", ("port b", "if b", "接口b", "对端端口", "对端接口")
    ),
    Column(
        "bw",
        "bandwidth",
        "带宽",
        False,
        "Mbit/s, or with a unit: 100M, 1G, 10Gbps.",
        ("bw", "speed", "速率", "带宽(mbps)", "bandwidth (mbit/s)"),
    ),
    Column(
        "vlan",
        "vlan",
        "VLAN",
        False,
        "Access VLAN of a link to a switch, or the VLANs a switch-to-switch trunk carries (10,20).",
        ("vlans", "vlan id"),
    ),
    Column("ip_a", "ip a", "地址A", False, "Address/prefix of device A on this link.", ("ip地址a", "本端地址")),
    Column("ip_b", "ip b", "地址B", False, "Address/prefix of device B on this link.", ("ip地址b", "对端地址")),
)


KIND_ALIASES = {
    "server": "host",
    "服务器": "host",
    "pc": "workstation",
    "电脑": "workstation",
    "终端": "workstation",
    "核心交换机": "switch",
    "汇聚交换机": "switch",
    "接入交换机": "switch",
}

IF_ABBREVIATIONS = (
    ("tengigabitethernet", "XGE"),
    ("gigabitethernet", "GE"),
    ("fastethernet", "FE"),
    ("ethernet", "eth"),
)


def _norm(text: Any) -> str:
    return re.sub(r"[\s_\-/（）()]+", "", str(text or "")).lower()


def _lookup(columns: Iterable[Column]) -> dict[str, Column]:
    found = {}
    for col in columns:
        for alias in (col.key, col.en, col.zh, *col.aliases):
            found[_norm(alias)] = col
    return found


def _kinds() -> dict[str, str]:
    found = {_norm(a): k for a, k in KIND_ALIASES.items()}
    for k in KINDS.values():
        for alias in (k.name, k.label_en, k.label_zh):
            found[_norm(alias)] = k.name
    return found


# -- checking the rows -------------------------------------------------------------------------


class _Errors:
    """Every problem of the sheet, each naming sheet, row and column in English and Chinese."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, sheet: str, row: int | None, column: str, code: str, en: str, zh: str, **params) -> None:
        where_en = f"sheet {sheet!r}" + (f" row {row}" if row else "") + (f", column {column!r}" if column else "")
        where_zh = f"工作表“{sheet}”" + (f"第 {row} 行" if row else "") + (f"“{column}”列" if column else "")
        text = f"{where_en}: {en} ({where_zh}：{zh})"
        self.problems.append(Problem(text, code, where_en, sheet=sheet, row=row, column=column, **params))


@dataclass
class _Table:
    """A sheet with its columns found: cell(row, key) gives the cell or ''."""

    sheet: Sheet
    index: dict[str, int]

    def header(self, key: str, columns: tuple[Column, ...]) -> str:
        if key in self.index:
            return self.sheet.header[self.index[key]]
        return next(c.en for c in columns if c.key == key)

    def cell(self, cells: list[Any], key: str) -> Any:
        i = self.index.get(key)
        if i is None or i >= len(cells):
            return ""
        value = cells[i]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value.strip() if isinstance(value, str) else value


def _find_sheet(sheets: dict[str, Sheet], key: str, errors: _Errors) -> Sheet | None:
    en, zh, aliases = SHEETS[key]
    wanted = {_norm(a) for a in (key, en, zh, *aliases)}
    for name, sheet in sheets.items():
        if _norm(name) in wanted:
            return sheet
    have = ", ".join(sheets) or "none"
    errors.add(
        key,
        None,
        "",
        "sheet_missing",
        f"no sheet named {en!r} or {zh!r} (sheets: {have})",
        f"缺少名为“{en}”或“{zh}”的工作表（现有：{have}）",
    )
    return None


def _columns(sheet: Sheet, columns: tuple[Column, ...], errors: _Errors, notes: list[str]) -> _Table | None:
    lookup, index, unknown = _lookup(columns), {}, []
    for i, text in enumerate(sheet.header):
        col = lookup.get(_norm(text))
        if col is None:
            if text:
                unknown.append(text)
        elif col.key in index:
            first = sheet.header[index[col.key]]
            errors.add(
                sheet.name,
                1,
                text,
                "column_twice",
                f"means the same as column {first!r}; keep one",
                f"与“{first}”列含义相同，请只保留一列",
            )
        else:
            index[col.key] = i
    if unknown:
        notes.append(f"sheet {sheet.name!r}: columns ignored (未使用的列): {', '.join(unknown)}")
    missing = [c for c in columns if c.required and c.key not in index]
    for c in missing:
        errors.add(
            sheet.name,
            None,
            c.en,
            "column_missing",
            f"the required column is missing (header {c.en!r} or {c.zh!r})",
            f"缺少必需的列（表头“{c.zh}”或“{c.en}”）",
        )
    return None if missing else _Table(sheet, index)


def _vlans(value: Any) -> list[int] | None:
    """'10', 10, 'VLAN10', '10,20', '10、20' -> [10, 20]; None if any part is not a VLAN id."""
    parts = [p for p in re.split(r"[,，;；、\s]+", str(value)) if p]
    found = []
    for part in parts:
        m = re.fullmatch(r"(?i)(?:vlan)?(\d{1,4})", part)
        if not m or not 1 <= int(m.group(1)) <= 4094:
            return None
        found.append(int(m.group(1)))
    return found or None


_UNITS = {"": 1, "k": 1e-3, "m": 1, "g": 1e3, "t": 1e6}
_BW = re.compile(r"(?i)^\s*([\d.]+)\s*([kmgt]?)\s*(?:b|bps|bit/s|bits/s|bit)?\s*$")


def _bandwidth(value: Any) -> float | None:
    m = _BW.match(str(value).replace("千兆", "G").replace("百兆", "00M").replace("万兆", "10G"))
    if not m:
        return None
    try:
        mbit = float(m.group(1)) * _UNITS[m.group(2).lower()]
    except ValueError:
        return None
    return mbit if 0 < mbit <= 100000 else None


def _ifname(value: str) -> str | None:
    """A port name as a Linux interface name: GigabitEthernet1/0/1 -> GE1-0-1; None if it cannot be."""
    text = str(value)
    for long, short in IF_ABBREVIATIONS:
        if text.lower().startswith(long):
            text = short + text[len(long) :]
            break
    text = re.sub(r"[/:\s]+", "-", text)
    return text if IFNAME_RE.match(text) else None


def _mask_prefix(value: Any) -> int | None:
    text = str(value).strip().lstrip("/")
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError:
        return None


def _node_names(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Each device name (with its kind) as a node name: valid short names stay, others get the
    sanitised name if it is valid and short, else a role letter and a number (h3, s2, r1)."""
    taken = {name for name, _ in rows if NODE_NAME_RE.match(name) and len(name) <= NAME_MAX}
    mapping, counters = {}, {}
    for name, kind in rows:
        if name in taken and name not in mapping:
            mapping[name] = name
            continue
        base = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
        if base and base[0].isalpha() and len(base) <= NAME_MAX and base not in taken:
            candidate = base
        else:
            prefix = {"host": "h", "switch": "s", "router": "r", "firewall": "fw", "nat": "nat", "gateway": "gw"}[
                role(kind)
            ]
            while True:
                counters[prefix] = counters.get(prefix, 0) + 1
                candidate = f"{prefix}{counters[prefix]}"
                if candidate not in taken:
                    break
        taken.add(candidate)
        mapping[name] = candidate
    return mapping


def import_inventory(sheets: dict[str, Sheet], source: str = "", name: str = "inventory") -> Imported:
    """The topology of an inventory's sheets, or a TopologyError listing every bad cell."""
    errors, notes = _Errors(), []
    found = {key: _find_sheet(sheets, key, errors) for key in SHEETS}
    tables = {
        key: _columns(sheet, DEVICE_COLUMNS if key == "devices" else LINK_COLUMNS, errors, notes)
        for key, sheet in found.items()
        if sheet is not None
    }
    if errors.problems or None in tables.values():
        raise TopologyError(errors.problems, source)
    devices = _read_devices(tables["devices"], errors)
    links = _read_links(tables["links"], devices, errors)
    _place_device_fields(tables["devices"], devices, links, errors, notes)
    if errors.problems:
        raise TopologyError(errors.problems, source)

    mapping = _node_names([(d["original"], d["kind"]) for d in devices.values()])
    renamed = {old: new for old, new in mapping.items() if old != new}
    if renamed:
        notes.append(f"{len(renamed)} device names were made node names; the sheet's names are the labels")
    nodes = []
    for d in devices.values():
        node = {"name": mapping[d["original"]], "kind": d["kind"], "label": d["label"]}
        node.update({k: d[k] for k in ("ip", "gateway") if d.get(k)})
        nodes.append(node)
    out_links = []
    for link in links:
        row = {k: v for k, v in link.items() if k not in ("row",) and v not in (None, "")}
        row["a"], row["b"] = mapping[link["a"]], mapping[link["b"]]
        out_links.append(row)
    data = {"name": name, "title": name, "nodes": nodes, "links": out_links}
    try:
        topo = Topology.from_dict(data, source)
    except TopologyError as err:
        rows = {mapping[d["original"]]: d["row"] for d in devices.values()}
        raise TopologyError([_with_rows(p, rows, tables) for p in err.problems], source) from None
    return Imported(topo, "inventory", source, tuple(notes), renamed)


def _with_rows(problem: str, rows: dict[str, int], tables: dict[str, _Table]) -> str:
    """A problem the topology check found, with the sheet rows of the devices it names."""
    named = [n for n in re.findall(r"\b[A-Za-z][A-Za-z0-9_]*\b", problem) if n in rows]
    if not named:
        return problem
    where = ", ".join(f"{n}: row {rows[n]}" for n in dict.fromkeys(named))
    sheet = tables["devices"].sheet.name
    return f"{problem} [sheet {sheet!r} {where}] (工作表“{sheet}” 对应行：{where})"


def _read_devices(table: _Table, errors: _Errors) -> dict[str, dict]:
    sheet, kinds, devices = table.sheet.name, _kinds(), {}

    def col(key: str) -> str:
        return table.header(key, DEVICE_COLUMNS)

    for number, cells in table.sheet.rows:
        name, kind_text = str(table.cell(cells, "name")), str(table.cell(cells, "kind"))
        bad = False
        if not name:
            errors.add(sheet, number, col("name"), "name_empty", "the device has no name", "设备名称为空")
            bad = True
        elif name in devices:
            first = devices[name]["row"]
            errors.add(
                sheet,
                number,
                col("name"),
                "name_taken",
                f"device {name!r} is already listed in row {first}; names must be unique",
                f"设备“{name}”已在第 {first} 行出现，名称必须唯一",
                first_row=first,
            )
            bad = True
        kind = kinds.get(_norm(kind_text))
        if kind is None:
            known = ", ".join(KINDS)
            if kind_text:
                errors.add(
                    sheet,
                    number,
                    col("kind"),
                    "unknown_kind",
                    f"unknown device kind {kind_text!r}; known kinds: {known} (or their labels)",
                    f"未知的设备类型“{kind_text}”；可用类型：{known}（或其中文名称）",
                    value=kind_text,
                )
            else:
                errors.add(sheet, number, col("kind"), "kind_empty", "the device has no kind", "设备类型为空")
            bad = True
        place = " ".join(str(table.cell(cells, k)) for k in ("building", "floor") if table.cell(cells, k) != "")
        entry = {
            "row": number,
            "original": name,
            "kind": kind,
            "label": f"{name} ({place})" if place else name,
            "cells": cells,
        }
        if not bad:
            devices[name] = entry
        elif name and name not in devices:
            devices[name] = entry | {"bad": True}
    return devices


def _read_links(table: _Table, devices: dict[str, dict], errors: _Errors) -> list[dict]:
    sheet, links, seen = table.sheet.name, [], {}

    def col(key: str) -> str:
        return table.header(key, LINK_COLUMNS)

    def parsed(number: int, key: str, value: Any, result: Any, code: str, english: str, chinese: str) -> Any:
        """`result`, the cell's parsed value; None (and the error, which names the value) if it did not parse."""
        if result is None:
            errors.add(sheet, number, col(key), code, english, chinese, value=str(value))
        return result

    for number, cells in table.sheet.rows:
        link: dict[str, Any] = {"row": number}
        ends_ok = True
        for key in ("a", "b"):
            value = str(table.cell(cells, key))
            link[key] = value
            if not value:
                errors.add(sheet, number, col(key), "end_empty", "the link end is empty", "链路端点为空")
                ends_ok = False
            elif value not in devices:
                errors.add(
                    sheet,
                    number,
                    col(key),
                    "no_such_device",
                    f"device {value!r} is not in the devices sheet (a link to nowhere)",
                    f"设备“{value}”不在设备表中（链路指向不存在的设备）",
                    value=value,
                )
                ends_ok = False
        if ends_ok and link["a"] == link["b"]:
            errors.add(
                sheet,
                number,
                col("b"),
                "link_to_itself",
                "a link must join two different devices",
                "链路两端不能是同一设备",
            )
            ends_ok = False
        if ends_ok:
            pair = frozenset((link["a"], link["b"]))
            if pair in seen:
                errors.add(
                    sheet,
                    number,
                    col("b"),
                    "link_twice",
                    f"these devices are already linked in row {seen[pair]}",
                    f"这两台设备已在第 {seen[pair]} 行连接",
                    first_row=seen[pair],
                )
            seen.setdefault(pair, number)
        for key in ("if_a", "if_b"):
            value = table.cell(cells, key)
            if value != "":
                link[key] = parsed(
                    number,
                    key,
                    value,
                    _ifname(str(value)),
                    "bad_interface",
                    f"{value!r} cannot be an interface name (at most 15 letters, digits, '.', '_', '-')",
                    f"“{value}”不能作为接口名（最多 15 个字母、数字或 . _ -）",
                )
        value = table.cell(cells, "bw")
        if value != "":
            link["bw"] = parsed(
                number,
                "bw",
                value,
                _bandwidth(value),
                "bad_bandwidth",
                f"{value!r} is not a bandwidth like 100, 100M or 1G (up to 100G)",
                f"“{value}”不是有效带宽，例如 100、100M 或 1G（最大 100G）",
            )
        value = table.cell(cells, "vlan")
        if value != "":
            vlans = parsed(
                number,
                "vlan",
                value,
                _vlans(value),
                "bad_vlan",
                f"{value!r} is not a VLAN id 1-4094 (or a list like 10,20 on a trunk)",
                f"“{value}”不是 1-4094 的 VLAN 号（干道可写 10,20）",
            )
            if (
                vlans is not None
                and ends_ok
                and not devices[link["a"]].get("bad")
                and not devices[link["b"]].get("bad")
            ):
                switches = sum(role(devices[link[k]]["kind"]) == "switch" for k in ("a", "b"))
                if switches == 2:
                    link["vlans"] = vlans
                elif switches == 1 and len(vlans) == 1:
                    link["vlan"] = vlans[0]
                else:
                    why = "a link to a switch has one access VLAN" if switches else "neither end is a switch"
                    why_zh = "接入交换机的链路只有一个 VLAN" if switches else "两端都不是交换机"
                    errors.add(sheet, number, col("vlan"), "vlan_not_here", f"{why}: {value!r}", f"{why_zh}：“{value}”")
        for key in ("ip_a", "ip_b"):
            value = table.cell(cells, key)
            if value != "":
                link[key] = _address(str(value), None, sheet, number, col(key), errors)
        links.append(link)
    return links


def _address(ip: str, mask: Any, sheet: str, row: int, column: str, errors: _Errors) -> str | None:
    """'10.1.1.5' + mask, or '10.1.1.5/24', as '10.1.1.5/24'; None (and an error) if it is not one."""
    text = ip if "/" in ip or mask in ("", None) else f"{ip}/{_mask_prefix(mask) if _mask_prefix(mask) else 'x'}"
    if "/" not in text:
        errors.add(
            sheet,
            row,
            column,
            "no_mask",
            f"{ip!r} has no mask: fill the mask column or write it as {ip}/24",
            f"“{ip}”缺少掩码：请填写子网掩码列，或写成 {ip}/24",
            value=ip,
        )
        return None
    try:
        iface = ipaddress.IPv4Interface(text)
    except ValueError:
        errors.add(
            sheet,
            row,
            column,
            "bad_address",
            f"{ip!r} (mask {mask!r}) is not an IPv4 address and mask, e.g. 10.1.3.20 with 255.255.255.0"
            if mask not in ("", None)
            else f"{ip!r} is not an IPv4 address, e.g. 10.1.3.20/24",
            f"“{ip}”不是有效的 IPv4 地址和掩码，例如 10.1.3.20/24",
            value=ip,
        )
        return None
    net = iface.network
    if net.prefixlen < 31 and iface.ip in (net.network_address, net.broadcast_address):
        errors.add(
            sheet,
            row,
            column,
            "not_host_address",
            f"{iface} is the network or broadcast address of {net}; use a host address",
            f"{iface} 是 {net} 的网络地址或广播地址，请使用主机地址",
            value=str(iface),
        )
        return None
    return str(iface)


def _place_device_fields(
    table: _Table, devices: dict[str, dict], links: list[dict], errors: _Errors, notes: list[str]
) -> None:
    """Device columns that belong to links (address, VLAN) moved onto them, each checked where it is."""
    sheet, skipped = table.sheet.name, []
    by_device: dict[str, list[dict]] = {}
    for link in links:
        for key in ("a", "b"):
            if link[key] in devices:
                by_device.setdefault(link[key], []).append(link)

    def col(key: str) -> str:
        return table.header(key, DEVICE_COLUMNS)

    for name, d in devices.items():
        if d.get("bad"):
            continue
        cells, row, r = d["cells"], d["row"], role(d["kind"])
        ip, mask = str(table.cell(cells, "ip")), table.cell(cells, "mask")
        if ip and r == "switch":
            skipped.append(name)
        elif ip:
            address = _address(ip, mask, sheet, row, col("ip"), errors)
            mine = by_device.get(name, [])
            if address and len(mine) != 1:
                errors.add(
                    sheet,
                    row,
                    col("ip"),
                    "ip_needs_one_link",
                    f"the device has {len(mine)} links; give its address per link (columns 'ip a'/'ip b' of "
                    "the links sheet)",
                    f"该设备有 {len(mine)} 条链路；请在链路表的“地址A/地址B”列中按链路填写地址",
                    count=len(mine),
                )
            elif address:
                d["ip"] = address
        elif mask != "":
            errors.add(sheet, row, col("mask"), "mask_without_ip", "a mask without an address", "有掩码但没有 IP 地址")
        gateway = str(table.cell(cells, "gateway"))
        if gateway:
            if r != "host":
                errors.add(
                    sheet,
                    row,
                    col("gateway"),
                    "gateway_hosts_only",
                    f"only hosts have a default gateway, not a {d['kind']}",
                    f"只有主机有默认网关，{d['kind']} 没有",
                )
            else:
                try:
                    gw = ipaddress.IPv4Address(gateway)
                except ValueError:
                    errors.add(
                        sheet,
                        row,
                        col("gateway"),
                        "bad_gateway",
                        f"{gateway!r} is not an IPv4 address",
                        f"“{gateway}”不是有效的 IPv4 地址",
                        value=gateway,
                    )
                else:
                    if d.get("ip") and gw not in ipaddress.IPv4Interface(d["ip"]).network:
                        errors.add(
                            sheet,
                            row,
                            col("gateway"),
                            "gateway_off_subnet",
                            f"{gw} is not on the device's subnet {ipaddress.IPv4Interface(d['ip']).network}",
                            f"{gw} 不在该设备的子网 {ipaddress.IPv4Interface(d['ip']).network} 内",
                        )
                    d["gateway"] = str(gw)
        value = table.cell(cells, "vlan")
        if value == "" or r == "switch":
            continue
        vlans = _vlans(value)
        if vlans is None or len(vlans) != 1:
            errors.add(
                sheet,
                row,
                col("vlan"),
                "bad_vlan",
                f"{value!r} is not a VLAN id 1-4094",
                f"“{value}”不是 1-4094 的 VLAN 号",
                value=str(value),
            )
            continue
        others = [(link, devices[link["b" if link["a"] == name else "a"]]) for link in by_device.get(name, [])]
        to_switch = [link for link, other in others if other["kind"] and role(other["kind"]) == "switch"]
        if not to_switch:
            errors.add(
                sheet,
                row,
                col("vlan"),
                "vlan_needs_switch",
                "the device has no link to a switch to put in this VLAN",
                "该设备没有连接到交换机的链路，无法划入此 VLAN",
            )
        for link in to_switch:
            if link.get("vlan") not in (None, vlans[0]):
                errors.add(
                    sheet,
                    row,
                    col("vlan"),
                    "vlan_conflict",
                    f"VLAN {vlans[0]} differs from VLAN {link['vlan']} of its link (links sheet, row {link['row']})",
                    f"VLAN {vlans[0]} 与链路表第 {link['row']} 行的 VLAN {link['vlan']} 不一致",
                )
            link["vlan"] = vlans[0]
    if skipped:
        notes.append(
            f"management addresses of {len(skipped)} switches are not emulated (交换机管理地址不参与仿真): "
            + ", ".join(skipped[:5])
            + (" ..." if len(skipped) > 5 else "")
        )


def load_inventory(path: str | Path) -> Imported:
    """An inventory file (.xlsx, or NAME.devices.csv / NAME.links.csv) as a checked topology."""
    path = Path(path)
    where = f"{path} (inventory)"
    try:
        sheets = read(path)
    except TopologyError as err:
        raise TopologyError(err.problems, where) from None
    except OSError as err:
        raise TopologyError(
            [Problem(f"cannot read file: {err.strerror}", "file_unreadable", str(path))], where
        ) from None
    stem = path.name
    for suffix in (".devices.csv", ".links.csv", ".xlsx", ".xlsm", ".csv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    imported = import_inventory(sheets, where, topology_name(stem, "inventory"))
    return Imported(imported.topology, imported.format, str(path), imported.notes, imported.renamed)
