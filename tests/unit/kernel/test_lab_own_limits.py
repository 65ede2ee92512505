"""A lab's own process and memory limits: their validation and defaults, the lab's cgroup in a
stand-in hierarchy (v1 and v2), and the command text that puts the holder and every command
entering the lab under them. The kernel's side is tested in tests/integration/test_lab_limits.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnss_foundation.server_settings import ServerSettings, SettingsError
from mnss_kernel.runtime import commands, holder as holders, lab_cgroup
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.runtime.limits import MIN_MEMORY, LabLimits, LabLimitsError
from mnss_kernel.topology import Topology

PAIR = {
    "name": "pair",
    "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}],
    "links": [{"a": "h1", "b": "h2"}],
}


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        (LabLimits(processes=3), "processes=3"),
        (LabLimits(processes=-1), "processes=-1"),
        (LabLimits(processes=True), "processes=True"),
        (LabLimits(memory=1 << 20), f"memory={1 << 20}"),
        (LabLimits(memory="1G"), "memory='1G'"),
    ],
)
def test_a_bad_limit_is_refused_naming_it_in_both_languages(limits, named):
    with pytest.raises(LabLimitsError) as refused:
        limits.validated()
    assert named in refused.value.en and named in refused.value.zh
    assert "无效" in refused.value.zh and "not valid" in refused.value.en


def test_a_lab_with_a_bad_limit_is_refused_before_anything_is_built(monkeypatch):
    monkeypatch.setattr(Lab, "start", lambda self: pytest.fail("nothing may be built"))
    with pytest.raises(LabLimitsError, match="memory=1024"):
        Lab(Topology.from_dict(PAIR), limits=LabLimits(memory=1024))


def test_the_defaults_come_from_the_servers_settings(monkeypatch):
    monkeypatch.delenv("MNSS_LAB_PIDS_LIMIT", raising=False)
    monkeypatch.delenv("MNSS_LAB_MEM_LIMIT", raising=False)
    assert Lab(Topology.from_dict(PAIR)).limits == LabLimits()  # outside a hub: none
    env = ServerSettings(lab_pids_limit=300, lab_mem_limit=MIN_MEMORY * 4).to_env()
    assert env == {"MNSS_LAB_PIDS_LIMIT": "300", "MNSS_LAB_MEM_LIMIT": str(MIN_MEMORY * 4)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Lab(Topology.from_dict(PAIR)).limits == LabLimits(processes=300, memory=MIN_MEMORY * 4)
    assert Lab(Topology.from_dict(PAIR), limits=LabLimits()).limits == LabLimits()  # given: the lab's own
    monkeypatch.setenv("MNSS_LAB_MEM_LIMIT", "1G")
    with pytest.raises(SettingsError, match=r"\$MNSS_LAB_MEM_LIMIT='1G' is not a whole number"):
        Lab(Topology.from_dict(PAIR))
    monkeypatch.setenv("MNSS_LAB_MEM_LIMIT", "1000")
    with pytest.raises(LabLimitsError, match="memory=1000"):
        Lab(Topology.from_dict(PAIR))


def _v1(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for controller in ("pids", "memory"):
        (root / controller / "srv").mkdir(parents=True)
        (root / controller / "cgroup.procs").write_text("")
    own = tmp_path / "self-cgroup"
    own.write_text("8:pids:/srv\n4:memory:/srv\n0::/\n")
    return root, own


def test_v1_the_labs_cgroup_is_a_child_of_the_callers_own_with_its_limits(tmp_path):
    root, own = _v1(tmp_path)
    made = lab_cgroup.make("mnss-lab-a-1", LabLimits(processes=40, memory=MIN_MEMORY), root, own)
    assert made.folders == {"pids": root / "pids/srv/mnss-lab-a-1", "memory": root / "memory/srv/mnss-lab-a-1"}
    assert (root / "pids/srv/mnss-lab-a-1/pids.max").read_text() == "40"
    assert (root / "memory/srv/mnss-lab-a-1/memory.limit_in_bytes").read_text() == str(MIN_MEMORY)
    assert made.procs_files() == [str(f / "cgroup.procs") for f in made.folders.values()]
    assert not made.why_not


def test_only_the_limits_asked_for_get_a_folder(tmp_path):
    root, own = _v1(tmp_path)
    made = lab_cgroup.make("mnss-lab-a-2", LabLimits(processes=40), root, own)
    assert list(made.folders) == ["pids"] and not (root / "memory/srv/mnss-lab-a-2").exists()
    assert lab_cgroup.make("mnss-lab-a-3", LabLimits(), root, own).folders == {}


def test_a_cgroup_not_delegated_to_the_user_is_named_as_the_reason(tmp_path, monkeypatch):
    root, own = _v1(tmp_path)
    monkeypatch.setattr(lab_cgroup, "_writable", lambda folder: folder.parent.name != "memory")
    made = lab_cgroup.make("mnss-lab-a-4", LabLimits(processes=40, memory=MIN_MEMORY), root, own)
    assert list(made.folders) == ["pids"]
    assert made.why_not == {
        "memory": f"this user may not make cgroups under {root / 'memory/srv'} (no cgroup delegated to it there)"
    }
    missing = lab_cgroup.make("mnss-lab-a-5", LabLimits(memory=MIN_MEMORY), tmp_path / "nowhere", own)
    assert "no cgroup hierarchy with the memory controller" in missing.why_not["memory"]


def test_v2_needs_the_controller_enabled_for_children(tmp_path):
    root = tmp_path / "cgroup"
    (root / "srv").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu pids memory")
    (root / "srv/cgroup.subtree_control").write_text("pids")
    own = tmp_path / "self-cgroup"
    own.write_text("0::/srv\n")
    made = lab_cgroup.make("mnss-lab-b-1", LabLimits(processes=40, memory=MIN_MEMORY), root, own)
    assert made.folders == {"pids": root / "srv/mnss-lab-b-1"}
    assert (root / "srv/mnss-lab-b-1/pids.max").read_text() == "40"
    assert "memory controller is not enabled for children" in made.why_not["memory"]
    (root / "srv/cgroup.subtree_control").write_text("pids memory")
    both = lab_cgroup.make("mnss-lab-b-2", LabLimits(processes=40, memory=MIN_MEMORY), root, own)
    assert both.procs_files() == [str(root / "srv/mnss-lab-b-2/cgroup.procs")]  # one folder, both limits
    assert (root / "srv/mnss-lab-b-2/memory.max").read_text() == str(MIN_MEMORY)


def test_commands_entering_the_lab_join_its_cgroup_and_take_its_process_limit():
    argv = commands.holder_in_netns(42, True, "ns1", ["ping", "h2"], 40, ["/cg/a/cgroup.procs"])
    assert argv[:6] == ["sh", "-c", commands._JOIN, "mnss-join", "/cg/a/cgroup.procs", "--"]
    assert argv[6:10] == ["prlimit", "--nproc=40:40", "--", "nsenter"]  # nsenter's own fork is held too
    assert argv[-3:] == ["--net=/proc/42/root/run/netns/ns1", "ping", "h2"]
    # without limits, exactly what it was before
    assert commands.holder_in_netns(42, True, "ns1", ["ping"]) == commands._enter_holder(42, True) + [
        "--net=/proc/42/root/run/netns/ns1",
        "ping",
    ]


def test_the_holder_joins_before_unsharing_and_its_pid_1_is_still_found():
    argv = commands.holder("mnss-holder:o-1", "/rec", "/work", True, 40, ["/cg/a/cgroup.procs"])
    join = argv.index("mnss-join")
    assert argv[join + 1 : join + 3] == ["/cg/a/cgroup.procs", "--"] and argv[join + 3] == "unshare"
    assert argv[-4:] == ["--map-root-user", "prlimit", "--nproc=40:40", "--"]  # PID 1's sh follows
    assert argv[7] == "/cg/a"  # the folder the outer shell removes once the lab has ended
    pid1 = [b"sh", b"-c", commands.HOLDER_PID1.encode(), b"mnss-holder:o-1"]  # what prlimit execs
    assert holders.named(pid1) == "o-1"
    root = commands.holder("mnss-holder:o-1", "/rec", "", False, 40, [])
    assert "prlimit" not in root  # root is exempt from RLIMIT_NPROC: only its cgroup counts
