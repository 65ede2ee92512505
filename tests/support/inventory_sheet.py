"""Inventory sheets as hospitals keep them, generated for tests: a core router, an access switch per
floor (one VLAN and subnet each), and hosts with address, mask, gateway and VLAN."""

from __future__ import annotations

from pathlib import Path

import openpyxl

ZH_DEVICES = ["设备名称", "设备类型", "楼宇", "楼层", "IP地址", "子网掩码", "网关", "VLAN", "资产编号"]
ZH_LINKS = ["设备A", "端口A", "设备B", "端口B", "带宽", "VLAN", "地址A"]
HOST_KINDS = ["工作站", "护士站", "medical_device", "PC", "workstation", "Nurse station"]


def campus_rows(buildings: int, floors: int, hosts: int) -> tuple[list[list], list[list]]:
    """(device rows, link rows) without headers: 1 + buildings*floors*(1 + hosts) devices."""
    devices = [["核心路由器", "路由器", "信息中心", "B1", "", "", "", "", "ZC-0"]]
    links = []
    port = 0
    for b in range(1, buildings + 1):
        for f in range(1, floors + 1):
            vlan, net = 100 + 10 * b + f, f"10.{b}.{f}"
            switch = f"B{b}-F{f}-SW"
            devices.append([switch, "接入交换机", f"{b}号楼", f"{f}F", f"10.0.{b}.{f}", "255.255.255.0", "", "", ""])
            port += 1
            links.append(["核心路由器", f"GigabitEthernet0/0/{port}", switch, "GE1/0/48", "1G", vlan, f"{net}.1/24"])
            for h in range(1, hosts + 1):
                name = f"B{b}F{f}-PC{h:02d}"
                kind = HOST_KINDS[h % len(HOST_KINDS)]
                devices.append(
                    [name, kind, f"{b}号楼", f"{f}F", f"{net}.{10 + h}", "255.255.255.0", f"{net}.1", vlan, f"ZC-{h}"]
                )
                links.append([name, "eth0", switch, f"GigabitEthernet1/0/{h}", "100M", "", ""])
    return devices, links


def write_xlsx(
    path: Path, devices: list[list], links: list[list], headers=(ZH_DEVICES, ZH_LINKS), sheets=("设备", "链路")
) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    first.title = sheets[0]
    for row in [headers[0], *devices]:
        first.append(row)
    second = book.create_sheet(sheets[1])
    for row in [headers[1], *links]:
        second.append(row)
    book.save(path)
    return path


def write_campus(path: Path, buildings: int, floors: int, hosts: int) -> Path:
    return write_xlsx(path, *campus_rows(buildings, floors, hosts))
