"""An imported inventory sheet runs: a part of the generated campus workbook (core router, two floor
switches in their VLANs, hosts with the sheet's addresses and gateways) is built on real namespaces
and pings at 0% loss; `with Lab(...)` tears it down, also when an assertion fails."""

import pytest

from mnss_kernel import measure
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import load
from tests.support.inventory_sheet import write_campus

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]


def test_a_part_of_the_generated_campus_sheet_builds_and_pings(tmp_path):
    topo = load(write_campus(tmp_path / "part.xlsx", buildings=1, floors=2, hosts=3)).topology
    with Lab(topo) as lab:
        assert "10.1.2.13/24" in lab.cmd("B1F2_PC03", "ip -o -4 addr show").stdout
        assert "GE0-0-2" in lab.cmd("r1", "ip -o link show").stdout
        pings = measure.ping_matrix(lab)
        assert len(pings) == 7 * 6
        assert (pings.loss_pct == 0).all(), pings[pings.loss_pct > 0]
