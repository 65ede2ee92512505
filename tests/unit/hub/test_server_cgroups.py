"""Per-server cgroups of local mode: which hierarchy is used, where each server's cgroup lies, what
is written there, and what a stop or the start-up sweep removes (a tmp dir stands in for
/sys/fs/cgroup; the real thing is in tests/integration/test_local_limits.py)."""

import asyncio
import os
from pathlib import Path

import pytest

from mnss_hub import apply, leftovers, siteconfig, spawners
from mnss_hub.server_cgroups import Limits, ServerCgroups
from mnss_hub.spawners import LocalLabSpawner

GIB = 2**30


def v1_root(tmp_path: Path) -> Path:
    for controller in ("pids", "memory", "cpu"):
        (tmp_path / controller).mkdir(parents=True)
        (tmp_path / controller / "cgroup.procs").write_text("")
    return tmp_path


def v2_root(tmp_path: Path, controllers: str = "cpuset cpu io memory hugetlb pids") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cgroup.controllers").write_text(controllers + "\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    return tmp_path


def test_v2_one_folder_with_both_limits_and_the_controllers_enabled_above_it(tmp_path):
    cgroups = ServerCgroups(v2_root(tmp_path), "mnss-lab")
    assert cgroups.version == "v2"
    procs = cgroups.create("mnss-u-ann", Limits(pids=300, memory=2 * GIB))
    server = tmp_path / "mnss-lab" / "mnss-u-ann"
    assert procs == [server / "cgroup.procs"]
    assert (server / "pids.max").read_text() == "300"
    assert (server / "memory.max").read_text() == str(2 * GIB)
    for parent in (tmp_path, tmp_path / "mnss-lab"):
        assert (parent / "cgroup.subtree_control").read_text() == "+pids +memory"


def test_v1_a_folder_in_the_pids_and_in_the_memory_hierarchy(tmp_path):
    cgroups = ServerCgroups(v1_root(tmp_path), "mnss-lab")
    assert cgroups.version == "v1"
    procs = cgroups.create("mnss-u-ann", Limits(pids=300, memory=512 * 2**20))
    pids, memory = tmp_path / "pids" / "mnss-lab" / "mnss-u-ann", tmp_path / "memory" / "mnss-lab" / "mnss-u-ann"
    assert procs == [pids / "cgroup.procs", memory / "cgroup.procs"]
    assert (pids / "pids.max").read_text() == "300"
    assert (memory / "memory.limit_in_bytes").read_text() == str(512 * 2**20)
    assert not (tmp_path / "cpu" / "mnss-lab").exists()


@pytest.mark.parametrize(("make", "unlimited"), [(v2_root, ("max", "max")), (v1_root, ("max", "-1"))])
def test_zero_means_no_limit_in_each_hierarchys_own_words(tmp_path, make, unlimited):
    assert tuple(ServerCgroups(make(tmp_path)).values(Limits()).values()) == unlimited


def test_without_a_writable_hierarchy_with_both_controllers_there_are_no_limits(tmp_path):
    assert ServerCgroups(tmp_path / "missing").version is None
    assert ServerCgroups(v2_root(tmp_path / "a", "cpu memory")).version is None  # no pids controller
    (tmp_path / "b" / "pids").mkdir(parents=True)  # v1 without a memory hierarchy
    (tmp_path / "b" / "pids" / "cgroup.procs").write_text("")
    none = ServerCgroups(tmp_path / "b")
    assert none.version is None and not none.usable and none.parents() == []
    if os.geteuid() != 0:  # root may write anywhere
        v1_root(tmp_path / "c")
        (tmp_path / "c" / "memory").chmod(0o555)
        assert ServerCgroups(tmp_path / "c").version is None


def test_a_name_that_would_leave_the_group_is_refused(tmp_path):
    cgroups = ServerCgroups(v2_root(tmp_path))
    for bad in ("../etc", "", "..", "a/b"):
        with pytest.raises(ValueError, match="not a cgroup name"):
            cgroups.folders(bad)


def test_join_writes_the_callers_pid_into_every_procs_file(tmp_path):
    cgroups = ServerCgroups(v1_root(tmp_path))
    procs = cgroups.create("mnss-u-ann", Limits(pids=100))
    cgroups.join(procs)
    assert [p.read_text() for p in procs] == [str(os.getpid())] * 2
    assert cgroups.members("mnss-u-ann") == [os.getpid()]


def test_remove_and_sweep_take_only_empty_cgroups_of_the_names_given(tmp_path):
    cgroups = ServerCgroups(v1_root(tmp_path), "mnss-lab")
    for name in ("mnss-u-ben", "mnss-u-cat", "mnss-u-other"):  # bare folders, as rmdir sees real cgroups
        for parent in cgroups.parents():
            (parent / name).mkdir(parents=True)
    busy = tmp_path / "pids" / "mnss-lab" / "mnss-u-cat" / "cgroup.procs"
    busy.write_text("4242\n")
    assert cgroups.leftovers({"mnss-u-ben", "mnss-u-cat", "mnss-u-dan"}) == ["mnss-u-ben", "mnss-u-cat"]
    assert cgroups.sweep({"mnss-u-ben", "mnss-u-cat", "mnss-u-dan"}) == 1
    assert cgroups.leftovers({"mnss-u-ben", "mnss-u-cat", "mnss-u-other"}) == ["mnss-u-cat", "mnss-u-other"]
    assert not cgroups.remove("mnss-u-cat", wait=0.2), "a cgroup with a process stays"
    busy.unlink()
    assert cgroups.remove("mnss-u-cat") and cgroups.remove("mnss-u-never")


def test_site_config_local_limits_share_the_docker_keys_validation():
    defaults = siteconfig.validate({})["local"]
    assert (defaults["pids_limit"], defaults["mem_limit"]) == (2048, "2G")
    for key, value, said in (
        ("mem_limit", "100M", "local.mem_limit: '100M' has the wrong form"),
        ("mem_limit", "2g", "local.mem_limit: '2g' has the wrong form"),
        ("pids_limit", 10, "local.pids_limit: 10 is out of range; must be >= 64"),
    ):
        with pytest.raises(siteconfig.ConfigError) as err:
            siteconfig.validate({"local": {key: value}})
        assert said in str(err.value)
        with pytest.raises(siteconfig.ConfigError, match=f"docker.{key}"):
            siteconfig.validate({"docker": {key: value}})


def test_the_local_limits_reach_the_spawner_in_bytes():
    site = siteconfig.validate({"courses": {"enabled": False}, "local": {"pids_limit": 500, "mem_limit": "1536M"}})
    c = apply.Config()
    apply.apply_local_mode(c, site)
    spawner = LocalLabSpawner(config=c, user=leftovers.NOBODY)
    assert spawner.limits() == Limits(pids=500, memory=1536 * 2**20)
    assert apply.byte_size("2G") == 2 * GIB


def test_the_child_joins_the_servers_cgroup_and_the_log_names_the_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(LocalLabSpawner, "isolated", lambda self: True)
    monkeypatch.setattr(LocalLabSpawner, "_said_no_cgroups", False)
    spawner = LocalLabSpawner(user=leftovers.NOBODY, cgroup_root=str(v2_root(tmp_path)), pids_limit=300)
    spawner.mem_limit = "1G"
    spawner.enter_cgroup()
    preexec = spawner.make_preexec_fn("leftover-sweep")
    assert preexec is not None
    preexec()  # in the real child, after fork: here the test's own pid lands in the tmp file
    assert spawner.cgroups().members("mnss-u-leftover-sweep") == [os.getpid()]
    text = spawners.isolation_text(spawner.limits(), spawner.cgroups())
    assert "300 processes and 1024 MiB of memory" in text and "cgroup v2" in text


def test_without_cgroups_the_server_starts_unlimited_and_the_log_says_so_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(LocalLabSpawner, "isolated", lambda self: True)
    monkeypatch.setattr(LocalLabSpawner, "_said_no_cgroups", False)
    warned = []
    for _ in range(2):
        spawner = LocalLabSpawner(user=leftovers.NOBODY, cgroup_root=str(tmp_path / "none"))
        monkeypatch.setattr(spawner.log, "warning", lambda msg, *a: warned.append(msg))
        spawner.enter_cgroup()
        assert spawner.make_preexec_fn("x") is None
    assert len(warned) == 1 and "WITHOUT the configured process and memory limits" in warned[0]
    assert "without limits" in spawners.isolation_text(spawner.limits(), spawner.cgroups())


def test_the_start_up_sweep_removes_the_empty_cgroups_of_idle_users_only(tmp_path, monkeypatch):
    monkeypatch.setattr(LocalLabSpawner, "isolated", lambda self: True)
    monkeypatch.setattr(spawners.system_accounts, "uids_with_processes", lambda: set())
    spawner = LocalLabSpawner(user=leftovers.NOBODY, cgroup_root=str(v2_root(tmp_path)))
    for name in ("mnss-u-ann", "mnss-u-ben"):
        (tmp_path / "mnss-lab" / name).mkdir(parents=True)
    assert asyncio.run(spawner.end_leftovers(set(), {"ann"}, {"ben"})) == 0
    assert sorted(p.name for p in (tmp_path / "mnss-lab").iterdir()) == ["mnss-u-ann"]


def test_a_cgroup_that_cannot_be_made_fails_the_start_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(LocalLabSpawner, "isolated", lambda self: True)
    root = v2_root(tmp_path)
    (root / "mnss-lab").write_text("")  # where the group folder should be: mkdir fails
    spawner = LocalLabSpawner(user=leftovers.NOBODY, cgroup_root=str(root), pids_limit=300)
    said = "无法为服务器设置资源限制 / Cannot set the server's resource limits: .*mnss-lab"
    with pytest.raises(RuntimeError, match=said):
        spawner.enter_cgroup()


@pytest.mark.parametrize(
    ("make", "delegated"),
    [(v1_root, {"cgroup.procs", "tasks"}), (v2_root, {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"})],
)
def test_the_servers_folder_is_delegated_to_its_account_but_not_its_limits(tmp_path, make, delegated, monkeypatch):
    cgroups = ServerCgroups(make(tmp_path), "mnss-lab")
    for folder in cgroups.folders("mnss-u-ann"):  # the files the kernel makes with each cgroup folder
        folder.mkdir(parents=True)
        for name in ("cgroup.procs", "tasks", "cgroup.threads", "cgroup.subtree_control", "notify_on_release"):
            (folder / name).write_text("")
    owned = []
    monkeypatch.setattr(os, "chown", lambda path, uid, gid: owned.append((Path(path), uid, gid)))
    cgroups.create("mnss-u-ann", Limits(pids=300, memory=GIB), owner=(1234, 1235))
    assert {(uid, gid) for _, uid, gid in owned} == {(1234, 1235)}
    for folder in cgroups.folders("mnss-u-ann"):
        given = {path.name for path, *_ in owned if path.parent == folder}
        assert given == delegated and folder in {path for path, *_ in owned}
    assert not any(path.name.startswith(("pids.", "memory.")) for path, *_ in owned)


def test_removing_a_servers_cgroup_takes_the_lab_cgroups_its_account_left_in_it(tmp_path):
    cgroups = ServerCgroups(v1_root(tmp_path), "mnss-lab")
    for parent in cgroups.parents():  # bare folders, as rmdir sees real cgroups
        (parent / "mnss-u-ann" / "mnss-lab-ann-1" / "deeper").mkdir(parents=True)
    busy = tmp_path / "memory" / "mnss-lab" / "mnss-u-ann" / "mnss-lab-ann-1" / "cgroup.procs"
    busy.write_text("4242\n")
    assert not cgroups.remove("mnss-u-ann", wait=0.1), "a lab cgroup with a process keeps its server's"
    busy.unlink()
    assert cgroups.remove("mnss-u-ann") and cgroups.leftovers({"mnss-u-ann"}) == []


def test_site_config_per_lab_limits_reach_every_servers_environment():
    defaults = siteconfig.validate({})["spawn"]
    assert (defaults["lab_pids_limit"], defaults["lab_mem_limit"]) == (512, "1G")
    for key, value, said in (
        ("lab_mem_limit", "100M", "spawn.lab_mem_limit: '100M' has the wrong form"),
        ("lab_mem_limit", 512, "spawn.lab_mem_limit: 512 is a"),
        ("lab_pids_limit", 8, "spawn.lab_pids_limit: 8 is out of range; must be >= 16"),
    ):
        with pytest.raises(siteconfig.ConfigError) as err:
            siteconfig.validate({"spawn": {key: value}})
        assert said in str(err.value)
    site = siteconfig.validate(
        {"courses": {"enabled": False}, "spawn": {"lab_pids_limit": 200, "lab_mem_limit": "768M"}}
    )
    c = apply.Config()
    apply.apply_spawn_limits(c, site)
    apply.apply_local_mode(c, site)
    env = LocalLabSpawner(config=c, user=leftovers.NOBODY).lab_env({})
    assert (env["MNSS_LAB_PIDS_LIMIT"], env["MNSS_LAB_MEM_LIMIT"]) == ("200", str(768 * 2**20))
