"""Ping all grouped by subnet and by VLAN, besides switch and building: the groups come from the
engine's plan (the addresses pinged, the VLANs of the switch ports), and a cell drills down to its
hosts like the other groupings. In Chromium on the running campus: test_canvas_groups_browser.py."""

import pandas as pd
import pytest

from mnss_kernel import measure, templates
from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.results import GROUPINGS, group_loss, subnet_groups, vlan_groups
from mnss_kernel.catalog import role
from mnss_kernel.topology import Topology
from tests.support.running_lab import RunningLab


def campus_with_vlan_20() -> Topology:
    """The campus with department b2d2 (its hosts and its uplink port) moved to VLAN 20."""
    campus = templates.template_named("hospital-campus")
    for link in campus.links:
        if "b2d2" in link.ends():
            link.vlan = 20
    return campus


def pings_of(topo: Topology, lost: str = "b2d2") -> pd.DataFrame:
    """Every addressed node to every other; everything to or from a node starting with `lost` lost."""
    names = [n.name for n in topo.nodes if role(n.kind) != "switch"]
    rows = [
        {"src": s, "dst": d, "dst_ip": "", "sent": 3, "received": 0 if lost in (s[:4], d[:4]) else 3, "rtt_avg_ms": 0.1}
        for s in names
        for d in names
        if s != d
    ]
    return pd.DataFrame(rows).assign(loss_pct=lambda t: 100 * (1 - t.received / t.sent))


def test_subnets_are_those_of_the_planned_addresses():
    groups = subnet_groups(templates.template_named("hospital-campus"))
    assert groups["b1d1w1"] == groups["b1d1x1"] == "10.1.1.0/24", "hosts get the subnet of their router port"
    assert groups["b2d2w1"] == "10.2.2.0/24" and groups["pacs"] == "10.0.10.0/24"
    assert groups["g1"] == "192.168.100.0/24"
    assert groups["b1r"] == "10.0.0.0/24", "a router by the address it is pinged at, its first"
    assert groups["b1d1"] == "b1d1", "a switch has no address: on its own"


def test_vlans_are_those_of_the_switch_ports():
    groups = vlan_groups(campus_with_vlan_20())
    assert groups["b2d2w1"] == groups["b2d2m1"] == "VLAN 20"
    assert groups["b1d1w1"] == groups["b2d1w1"] == groups["pacs"] == "VLAN 1", "untagged ports are VLAN 1"
    assert groups["nat"] == "nat" and groups["inet"] == "inet", "linked to no switch: on its own"


@pytest.mark.parametrize(
    ("by", "src", "dst", "title"),
    [
        ("subnet", "10.1.1.0/24", "10.2.2.0/24", "按子网汇总"),
        ("vlan", "VLAN 1", "VLAN 20", "按 VLAN 汇总"),
    ],
)
def test_a_cell_of_the_subnet_or_vlan_table_opens_its_hosts(monkeypatch, by, src, dst, title):
    campus = campus_with_vlan_20()
    canvas = TopologyCanvas(campus, language="zh-CN", arrange=True)
    pings = pings_of(campus)
    monkeypatch.setattr(measure, "ping_matrix", lambda lab: pings)
    canvas.lab = RunningLab(canvas.topology)
    canvas.ping_all()
    assert [value for _label, value in canvas.group_by.options] == list(GROUPINGS)
    assert dict(canvas.group_by.options)["按子网"] == "subnet" and dict(canvas.group_by.options)["按 VLAN"] == "vlan"
    canvas.group_by.value = by
    assert title in canvas.group_title.value
    table = group_loss(pings, GROUPINGS[by](canvas.topology))
    cells = {c.tooltip: c for c in canvas.group_grid.children[0].children if "mnss-group-cell" in c._dom_classes}
    assert len(cells) == table.size
    cell = cells[f"{src} → {dst}：100 %（点击查看明细）"]
    cell.click()
    assert (canvas.drill_from.value, canvas.drill_to.value) == (src, dst)
    assert f"明细：{src} → {dst}" in canvas.drill_detail.value
    detail = canvas.drill_detail.value
    assert 'data-dst="b2d2w1"' in detail and 'data-dst="b2d1w1"' not in detail, "only the hosts of that group"
    assert 'data-loss="0"' not in detail, "every pair into b2d2 was lost"
    assert canvas.stale_note.value == "", "regrouping is not a new measurement"
