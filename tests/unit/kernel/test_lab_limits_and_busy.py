"""Per-user emulation size caps and the 'busy while a lab runs' activity source."""

from datetime import UTC, datetime

import pytest

from mnss_activity import busy
from mnss_foundation.server_settings import SettingsError
from mnss_kernel.runtime import registry
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.topology import Topology, TopologyError


def linear(n: int) -> dict:
    nodes = [{"name": f"s{i}", "kind": "switch"} for i in range(n)]
    return {"name": "chain", "nodes": nodes, "links": [{"a": f"s{i}", "b": f"s{i + 1}"} for i in range(n - 1)]}


@pytest.fixture
def limits(monkeypatch):
    def set_limits(nodes="0", links="0"):
        monkeypatch.setenv("MNSS_MAX_NODES", nodes)
        monkeypatch.setenv("MNSS_MAX_LINKS", links)

    return set_limits


def topology(n):
    return Topology.from_dict(linear(n))


def test_site_limits_refuse_a_bigger_lab_before_anything_is_built(limits):
    limits(nodes="3", links="10")
    with pytest.raises(TopologyError, match=r"the topology has 4 nodes; your limit is 3 \(拓扑有 4 个节点"):
        Lab(topology(4))
    limits(nodes="0", links="2")
    with pytest.raises(TopologyError, match="the topology has 3 links; your limit is 2"):
        Lab(topology(4))


def test_no_limit_means_no_cap_and_a_garbled_limit_is_named(limits):
    limits(nodes="0", links="0")
    assert Lab(topology(4)).running is False
    limits(nodes="0", links="not-a-number")
    with pytest.raises(SettingsError, match=r"\$MNSS_MAX_LINKS='not-a-number' is not a whole number"):
        Lab(topology(4))


def test_an_explicit_cap_wins_over_the_site_limit(limits):
    limits(nodes="100")
    with pytest.raises(TopologyError, match="your limit is 2"):
        Lab(topology(3), max_nodes=2)


def test_a_running_lab_marks_the_server_busy():
    settings = {"last_activity_times": {}}
    before = datetime.now(UTC)
    assert busy.mark_busy(settings, count=lambda: 1)
    assert settings["last_activity_times"][busy.KEY] >= before


def test_no_lab_leaves_activity_alone():
    settings = {"last_activity_times": {}}
    assert not busy.mark_busy(settings, count=lambda: 0)
    assert settings["last_activity_times"] == {}


def test_only_live_labs_of_this_owner_count(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", tmp_path)
    registry.LabRecord(owner="ann", lab="a1").save()  # this process: alive
    registry.LabRecord(owner="ann", lab="a2", pid=2**22 + 7, pid_start="1").save()  # no such process
    registry.LabRecord(owner="bob", lab="b1").save()
    assert busy.labs_running("ann") == 1
    assert busy.labs_running("carl") == 0
