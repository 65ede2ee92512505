"""Labs without root: the engine refuses only when user namespaces are off, naming why, and keeps
a user's lab records in a folder of their own."""

import subprocess

import pytest

from mnss_kernel.runtime import capabilities, registry
from mnss_kernel.topology import Topology


@pytest.fixture
def as_user(monkeypatch):
    monkeypatch.setattr(capabilities.os, "geteuid", lambda: 1000)
    capabilities.holder_problem.cache_clear()
    yield
    capabilities.holder_problem.cache_clear()


def _switch(monkeypatch, tmp_path, name: str, value: str):
    knob = tmp_path / "knob"
    knob.write_text(value + "\n")
    switches = [(str(knob), off, why) for path, off, why in capabilities._USERNS_SWITCHES if name in path]
    monkeypatch.setattr(capabilities, "_USERNS_SWITCHES", tuple(switches))


@pytest.mark.parametrize(
    "name, value, named",
    [
        ("max_user_namespaces", "0", "user.max_user_namespaces is 0"),
        ("unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone is 0"),
        ("apparmor_restrict", "1", "kernel.apparmor_restrict_unprivileged_userns is 1"),
    ],
)
def test_a_switched_off_user_namespace_is_named(monkeypatch, tmp_path, as_user, name, value, named):
    _switch(monkeypatch, tmp_path, name, value)
    problem = capabilities.holder_problem()
    assert named in problem and "unprivileged user namespaces" in problem and "非特权用户命名空间" in problem
    topo = Topology.from_dict({"nodes": [{"name": "h1", "kind": "host"}], "links": []})
    assert capabilities.missing_for(topo) == [problem]


def test_a_refusing_seccomp_profile_is_named(monkeypatch, tmp_path, as_user):
    _switch(monkeypatch, tmp_path, "max_user_namespaces", "96365")
    refused = subprocess.CompletedProcess([], 1, "", "unshare: unshare failed: Operation not permitted")
    monkeypatch.setattr(capabilities, "run", lambda *a, **k: refused)
    problem = capabilities.holder_problem()
    assert "Operation not permitted" in problem and "seccomp" in problem


def test_a_user_without_root_is_not_refused_where_user_namespaces_work(monkeypatch, tmp_path, as_user):
    _switch(monkeypatch, tmp_path, "max_user_namespaces", "96365")
    monkeypatch.setattr(capabilities, "run", lambda *a, **k: subprocess.CompletedProcess([], 0, "", ""))
    topo = Topology.from_dict({"nodes": [{"name": "h1", "kind": "host"}], "links": []})
    assert capabilities.holder_problem() is None
    assert capabilities.missing_for(topo) == []


def test_records_of_a_user_without_root_are_theirs_alone(monkeypatch, tmp_path):
    monkeypatch.setattr(registry.os, "geteuid", lambda: 4242)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert registry.default_records_dir() == registry.Path("/tmp/mnss-4242/labs")

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setattr(registry.os, "geteuid", lambda: shared.stat().st_uid)
    with pytest.raises(PermissionError, match=f"the lab records folder {shared} is not this user's alone"):
        registry._own_folder(shared / "labs")
    shared.chmod(0o700)
    registry._own_folder(shared / "labs")
    assert (shared / "labs").stat().st_mode & 0o777 == 0o700
