"""Inventory sheets (Excel or CSV, headers in Chinese or English) become topologies through the one
loader; every bad cell is named by sheet, row and column in both languages, all at once, and a bad
sheet yields no topology and writes no file. Pure Python: no root, no processes."""

import time
from pathlib import Path

import pytest
import yaml

from mnss_kernel import cli
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.topology import TopologyError, load, plan
from mnss_kernel.topology.formats.inventory import DEVICE_COLUMNS, LINK_COLUMNS
from mnss_kernel.topology.reference import reference
from tests.support.inventory_sheet import ZH_LINKS, campus_rows, write_campus, write_xlsx

EXAMPLE = Path(__file__).parents[3] / "examples" / "inventory" / "clinic.devices.csv"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(TopologyError) as err:
        load(path)
    return err.value.problems


def test_the_example_csv_pair_is_a_topology_with_the_sheets_names_ports_and_vlans():
    imported = load(EXAMPLE)
    topo = imported.topology
    assert imported.format == "inventory"
    assert (len(topo.nodes), len(topo.links)) == (11, 10)
    labels = {n.label: n for n in topo.nodes}
    router = labels["核心路由器 (信息中心 B1)"]
    assert router.kind == "router" and router.name == "r1"
    assert labels["PACS01 (医技楼 1F)"].ip == "10.10.30.10/24"
    pc = labels["MZ-PC01 (门诊楼 1F)"]
    assert (pc.name, pc.ip, pc.gateway) == ("MZ_PC01", "10.10.10.21/24", "10.10.10.1")
    uplink = topo.link("r1", "MZ_SW01")
    assert (uplink.if_a, uplink.if_b, uplink.bw, uplink.vlan, uplink.ip_a) == (
        "GE0-0-1",
        "GE1-0-24",
        1000,
        10,
        "10.10.10.1/24",
    )
    assert topo.link("MZ_PC01", "MZ_SW01").vlan == 10  # the device's VLAN is its access port's
    assert topo.link("r1", "DC_SW01").bw == 10000
    assert any("资产编号" in note for note in imported.notes)  # an unknown column is said, not an error
    assert plan(topo).gateways["MZ_NS01"].exploded == "10.10.20.1"
    assert load(EXAMPLE.with_name("clinic.links.csv")).topology.to_dict() == topo.to_dict()


def test_a_generated_500_row_workbook_imports_and_validates_through_the_cli(tmp_path, capsys):
    devices, links = campus_rows(buildings=5, floors=4, hosts=24)
    assert len(devices) >= 500
    path = write_xlsx(tmp_path / "campus.xlsx", devices, links)
    started = time.perf_counter()
    topo = load(path).topology
    seconds = time.perf_counter() - started
    assert (len(topo.nodes), len(topo.links)) == (len(devices), len(links))
    assert seconds < 20, f"import took {seconds:.1f} s"
    assert cli.main(["topo", "validate", str(path)]) == 0
    assert f"{len(devices)} nodes, {len(links)} links" in capsys.readouterr().out
    p = plan(topo)
    assert len(p.segments) == 20 and all(len(s.members) == 25 for s in p.segments)


def test_convert_writes_mnss_yaml_and_the_canvas_opens_the_sheet(tmp_path):
    path = write_campus(tmp_path / "small.xlsx", 1, 2, 3)
    target = tmp_path / "small.yaml"
    assert cli.main(["topo", "convert", str(path), str(target)]) == 0
    written = yaml.safe_load(target.read_text("utf-8"))
    assert written["name"] == "small" and len(written["nodes"]) == 9
    canvas = TopologyCanvas(language="en")
    canvas.load(path)
    assert {n.label for n in canvas.topology.nodes} >= {"B1F2-PC03 (1号楼 2F)", "核心路由器 (信息中心 B1)"}
    assert cli.main(["topo", "convert", str(target), str(tmp_path / "back.xlsx")]) == 2  # read, not written


def test_english_headers_and_sheet_names_work_too(tmp_path):
    devices = tmp_path / "ward.devices.csv"
    devices.write_text("Name,Type,IP address,Netmask,VLAN\nsw1,switch,,,\npc1,PC,10.0.0.5,24,30\n", "utf-8")
    (tmp_path / "ward.links.csv").write_text("Device A,Device B,Port B,Speed\npc1,sw1,Gi0/1,100Mbps\n", "utf-8")
    topo = load(devices).topology
    assert topo.node("pc1").kind == "workstation" and topo.node("pc1").ip == "10.0.0.5/24"
    assert (topo.link("pc1", "sw1").vlan, topo.link("pc1", "sw1").if_b, topo.link("pc1", "sw1").bw) == (
        30,
        "Gi0-1",
        100,
    )


def test_gbk_csv_as_excel_saves_it_in_china(tmp_path):
    (tmp_path / "w.devices.csv").write_bytes("设备名称,设备类型\n交换机1,交换机\n主机1,主机\n".encode("gb18030"))
    (tmp_path / "w.links.csv").write_bytes("设备A,设备B\n主机1,交换机1\n".encode("gb18030"))
    topo = load(tmp_path / "w.links.csv").topology
    assert sorted(n.label for n in topo.nodes) == ["主机1", "交换机1"]


BAD = {
    "unknown_kind": (("devices", 3, "设备类型"), "unknown device kind 'coffee machine'", "未知的设备类型"),
    "name_taken": (("devices", 4, "设备名称"), "already listed in row 2", "已在第 2 行出现"),
    "no_such_device": (("links", 3, "设备B"), "'nowhere' is not in the devices sheet", "不在设备表中"),
    "bad_address": (("devices", 5, "IP地址"), "'10.1.1.300' (mask '255.255.255.0') is not an IPv4", "不是有效的 IPv4"),
    "bad_vlan": (("devices", 6, "VLAN"), "'5000' is not a VLAN id 1-4094", "不是 1-4094 的 VLAN 号"),
}


def bad_sheet(tmp_path: Path, which: set[str]) -> Path:
    ok = ["", "", "", "", "", "", "", "", ""]
    devices = [
        ["sw1", "交换机", *ok[2:]],
        ["pc1", "coffee machine" if "unknown_kind" in which else "工作站", *ok[2:]],
        ["sw1" if "name_taken" in which else "sw2", "交换机", *ok[2:]],
        ["pc2", "工作站", "", "", "10.1.1.300" if "bad_address" in which else "10.1.1.30", "255.255.255.0", "", "", ""],
        ["pc3", "工作站", "", "", "", "", "", "5000" if "bad_vlan" in which else "10", ""],
    ]
    links = [
        ["pc1", "", "sw1", "", "", "", ""],
        ["pc2", "", "nowhere" if "no_such_device" in which else "sw1", "", "", "", ""],
        ["pc3", "", "sw1", "", "", "", ""],
    ]
    return write_xlsx(tmp_path / "bad.xlsx", devices, links)


@pytest.mark.parametrize("code", list(BAD))
def test_each_bad_sheet_gets_its_message_naming_sheet_row_and_column(tmp_path, code):
    (sheet, row, column), english, chinese = BAD[code]
    found = problems_of(bad_sheet(tmp_path, {code}))
    assert [p.code for p in found] == [code], found
    text = found[0]
    zh_sheet = {"devices": "设备", "links": "链路"}[sheet]
    assert f"sheet {zh_sheet!r} row {row}, column {column!r}" in text
    assert f"工作表“{zh_sheet}”第 {row} 行“{column}”列" in text
    assert english in text and chinese in text


def test_all_errors_at_once_and_nothing_written(tmp_path, capsys):
    path = bad_sheet(tmp_path, set(BAD))
    assert sorted(p.code for p in problems_of(path)) == sorted(BAD)
    target = tmp_path / "out.yaml"
    assert cli.main(["topo", "convert", str(path), str(target)]) == 2
    assert not target.exists() and list(tmp_path.iterdir()) == [path]
    assert capsys.readouterr().err.count("工作表") == len(BAD)


def test_missing_sheet_and_column_are_named(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["a", "host"]], [], sheets=("设备", "Sheet2"))
    assert [p.code for p in problems_of(path)] == ["sheet_missing"]
    path = write_xlsx(tmp_path / "y.xlsx", [["a"]], [], headers=(["设备名称"], ZH_LINKS))
    (found,) = problems_of(path)
    assert found.code == "column_missing" and "设备类型" in found


def test_problems_the_topology_check_finds_name_the_rows(tmp_path):
    devices = [["sw1", "交换机"], ["pc1", "工作站", "", "", "10.0.0.5/24"], ["pc2", "工作站", "", "", "10.0.1.6/24"]]
    path = write_xlsx(tmp_path / "z.xlsx", devices, [["pc1", "", "sw1"], ["pc2", "", "sw1"]])
    (found,) = problems_of(path)
    assert "different subnets" in found and "pc1: row 3" in found and "pc2: row 4" in found


def test_the_reference_documents_every_column():
    text = reference()
    for col in DEVICE_COLUMNS + LINK_COLUMNS:
        assert f"| `{col.en}` | {col.zh} |" in text
