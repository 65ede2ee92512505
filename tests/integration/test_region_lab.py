"""A regional health network of a few hundred nodes built for real: devices in different regions
reach each other and the data centre through the WAN routers at 0% loss, the WAN links are shaped
by tier, and nothing is left behind. (The 10,000-node default: benchmarks/region.py.)"""

import pytest

from mnss_kernel import measure, templates
from mnss_kernel.runtime import Lab

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_leftovers")]

# 7 + 3 x (1 + 2 hospitals x 63 + 2 clinics x 17) = 490 nodes: namespaces and links in three batches
SIZE = {"regions": 3, "hospitals": 2, "clinics": 2, "floors": 2, "hosts_per_floor": 30, "clinic_hosts": 7}


def test_a_small_region_pings_across_regions_and_shapes_its_wan():
    topo = templates.region(**SIZE)
    assert len(topo.nodes) == templates.region_size(**SIZE) == 490
    with Lab(topo) as lab:
        probes = templates.region_probes(topo)
        pings = measure.ping_matrix(lab, probes, count=3)
        assert len(pings) == len(probes) * (len(probes) - 1) == 42
        assert (pings.loss_pct == 0).all(), pings[pings.loss_pct > 0]

        path = list(measure.traceroute(lab, "r1h1f1w1", "r3c2f2m7").node)
        assert path == ["r1h1", "r1", "dc", "r3", "r3c2", "r3c2f2m7"], "hospital -> region -> data centre -> clinic"

        wan = {"dc": "1Gbit", "r3": "100Mbit", "r3c2": "20Mbit"}  # dc-r1, r3-r3h1, r3c2's uplink
        uplinks = {"dc": ("dc", "r1"), "r3": ("r3", "r3h1"), "r3c2": ("r3c2", "r3")}
        for node, rate in wan.items():
            dev = next(i.name for i in lab.plan.interfaces[node] if i.peer_node == uplinks[node][1])
            shown = lab.cmd(node, f"tc class show dev {dev}").stdout
            assert f"rate {rate}" in shown, (node, dev, shown)
        floor = lab.cmd("r1h1f1", "tc qdisc show").stdout
        assert "htb" not in floor, "LAN links are not shaped"
    assert not lab.running
