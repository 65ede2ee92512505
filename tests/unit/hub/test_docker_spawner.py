"""Docker mode's privilege design, checked on the request the spawner would send to Docker."""

from __future__ import annotations

import json

import docker
import pytest

from mnss_hub import lab_seccomp
from mnss_hub.docker_spawner import LAB_USER, DockerLabSpawner, SwarmLabSpawner, unsafe_container

CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP = 0x04000000, 0x08000000, 0x02000000


def request(host: dict | None = None, **create) -> dict:
    """create_container's keyword arguments as DockerSpawner builds them from the spawner's config."""
    spawner = DockerLabSpawner()
    settings = {**spawner.extra_host_config, "binds": {"mnss-home-ann": {"bind": "/home/lab", "mode": "rw"}}}
    host_config = docker.APIClient(version="1.41").create_host_config(**{**settings, **(host or {})})
    return {**spawner.extra_create_kwargs, **create, "host_config": host_config}


def test_the_default_request_runs_as_lab_with_no_capability_and_the_lab_profile():
    sent = request()
    assert sent["user"] == LAB_USER and not sent["host_config"].get("CapAdd")
    assert "no-new-privileges" in sent["host_config"]["SecurityOpt"]
    assert unsafe_container(sent) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"user": "0"}, "user '0' is root"),
        ({"user": "root:root"}, "user 'root:root' is root"),
        ({"user": ""}, "user '' is root"),
        ({"host": {"privileged": True}}, "privileged"),
        ({"host": {"cap_add": ["NET_ADMIN"]}}, "cap_add NET_ADMIN"),
        ({"host": {"cap_drop": []}}, "cap_drop must be ALL"),
        ({"host": {"security_opt": [lab_seccomp.security_opt()]}}, "no-new-privileges missing"),
        ({"host": {"security_opt": ["no-new-privileges", "seccomp=unconfined"]}}, "seccomp must be exactly"),
        ({"host": {"security_opt": ["no-new-privileges"]}}, "seccomp must be exactly"),
        (
            {"host": {"security_opt": ["no-new-privileges", lab_seccomp.security_opt(), "apparmor=unconfined"]}},
            "security_opt apparmor=unconfined",
        ),
        ({"host": {"pid_mode": "host"}}, "PidMode host"),
        ({"host": {"network_mode": "host"}}, "NetworkMode host"),
        ({"host": {"binds": {"/var/run/docker.sock": {"bind": "/s", "mode": "rw"}}}}, "host path /var/run/docker.sock"),
        ({"host": {"devices": ["/dev/sda:/dev/sda:rwm"]}}, "devices"),
    ],
)
def test_each_departure_from_the_design_is_named(change, problem):
    create = {key: value for key, value in change.items() if key != "host"}
    found = unsafe_container(request(change.get("host"), **create))
    assert any(problem in p for p in found), found


def test_the_profile_is_dockers_default_plus_three_commented_rules():
    base = json.loads(lab_seccomp.DOCKER_DEFAULT.read_text())
    profile = lab_seccomp.profile()
    assert profile["defaultAction"] == base["defaultAction"] == "SCMP_ACT_ERRNO"
    assert profile["syscalls"][: len(base["syscalls"])] == base["syscalls"]
    added = profile["syscalls"][len(base["syscalls"]) :]
    assert [rule["names"] for rule in added] == [["unshare"], ["setns"], ["mount"]]
    assert all(rule["action"] == "SCMP_ACT_ALLOW" and rule["comment"].startswith("mnss-lab: ") for rule in added)
    assert json.loads(lab_seccomp.security_opt().removeprefix("seccomp=")) == profile
    # Docker's default itself lets none of the three through without CAP_SYS_ADMIN.
    for rule in base["syscalls"]:
        if {"unshare", "setns", "mount"} & set(rule["names"]):
            assert rule["includes"] == {"caps": ["CAP_SYS_ADMIN"]}, rule


def _allows(rule: dict, *args: int) -> bool:
    """What the kernel's filter decides for this rule (every condition must hold)."""
    for cond in rule.get("args") or []:
        assert cond["op"] == "SCMP_CMP_MASKED_EQ"
        if args[cond["index"]] & cond["value"] != cond["valueTwo"]:
            return False
    return True


def test_unshare_and_setns_take_only_the_lab_namespaces():
    unshare, setns = lab_seccomp.ADDITIONS[0], lab_seccomp.ADDITIONS[1]
    holder = lab_seccomp.CLONE_NEWUSER | lab_seccomp.CLONE_NEWNET | lab_seccomp.CLONE_NEWNS | lab_seccomp.CLONE_NEWPID
    assert _allows(unshare, holder) and _allows(unshare, lab_seccomp.CLONE_NEWNET)
    assert _allows(setns, -1, lab_seccomp.CLONE_NEWUSER) and _allows(setns, -1, 0)
    for other in (CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP):
        assert not _allows(unshare, holder | other) and not _allows(setns, -1, other)


def test_swarm_services_keep_their_own_design():
    """create_service takes no `user`; a service runs as the image's root with the three capabilities."""
    spawner = SwarmLabSpawner()
    assert spawner.extra_create_kwargs == {}
    assert spawner.extra_container_spec == {"cap_drop": ["ALL"], "cap_add": ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]}
