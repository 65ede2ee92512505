"""Docker mode's privilege design, checked on the request the spawner would send to Docker."""

from __future__ import annotations

import asyncio
import base64
import json
from types import SimpleNamespace

import docker
import pytest
import requests
from docker.types import ContainerSpec, Mount, TaskTemplate
from dockerspawner import DockerSpawner

from mnss_hub import lab_seccomp
from mnss_hub.docker_spawner import (
    LAB_USER,
    NO_NEW_PRIVS,
    DockerLabSpawner,
    SwarmLabSpawner,
    profiles_in_services,
    swarm_security,
    unsafe_container,
    unsafe_service,
)

CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP = 0x04000000, 0x08000000, 0x02000000


def request(host: dict | None = None, spawner: DockerLabSpawner | None = None, **create) -> dict:
    """create_container's keyword arguments as DockerSpawner builds them from the spawner's config."""
    spawner = spawner or DockerLabSpawner()
    settings = {**spawner.extra_host_config(spawner), "binds": {"mnss-home-ann": {"bind": "/home/lab", "mode": "rw"}}}
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
        ({"host": {"devices": ["/dev/sda:/dev/sda:rwm"]}}, "device /dev/sda"),
        ({"host": {"devices": ["/dev/net/tun:/dev/net/tun:rw"]}}, "device /dev/net/tun"),  # no tun_device given
    ],
)
def test_each_departure_from_the_design_is_named(change, problem):
    create = {key: value for key, value in change.items() if key != "host"}
    found = unsafe_container(request(change.get("host"), **create))
    assert any(problem in p for p in found), found


def tunnel_spawner(name: str) -> DockerLabSpawner:
    """The spawner of `name` on a site that lets ann use the tunnel."""
    user = SimpleNamespace(name=name, groups=[], url=f"/user/{name}/")
    return DockerLabSpawner(user=user, tunnel_enabled=True, tunnel_users=["ann"], tunnel_allow="10.0.0.0/24:104")


def test_a_user_allowed_the_tunnel_gets_the_tun_device_and_nothing_else():
    sent = request(spawner=tunnel_spawner("ann"))
    assert sent["host_config"]["Devices"] == [
        {"PathOnHost": "/dev/net/tun", "PathInContainer": "/dev/net/tun", "CgroupPermissions": "rw"}
    ]
    assert unsafe_container(sent, tunnel=True) == []
    assert "Devices" not in request(spawner=tunnel_spawner("bob"))["host_config"]


@pytest.mark.parametrize(
    "device", ["/dev/net/tun:/dev/net/tun:rwm", "/dev/net/tun:/dev/tun2:rw", "/tmp/t:/dev/net/tun:rw"]
)
def test_the_tun_device_only_as_itself_and_read_write_only(device):
    assert unsafe_container(request({"devices": [device]}), tunnel=True) != []


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


def service(version: str, **change) -> dict:
    """create_service's TaskTemplate as SwarmSpawner builds it from this spawner's settings."""
    spec = {
        "image": "mnss-lab/singleuser:latest",
        "args": [*NO_NEW_PRIVS, "start-lab"],
        "mounts": [Mount(target="/home/lab", source="mnss-home-ann", type="volume")],
        **swarm_security(version),
        **change,
    }
    return TaskTemplate(container_spec=ContainerSpec(**spec))


@pytest.fixture
def engine(monkeypatch):
    """The spawner's engine client at a given API version (docker-py asks nothing when told the version)."""

    def at(version: str) -> SwarmLabSpawner:
        monkeypatch.setattr(SwarmLabSpawner, "_client", docker.APIClient(version=version))
        return SwarmLabSpawner()

    return at


def test_a_service_on_docker_20_10_runs_as_lab_with_sys_admin_only_in_the_bounding_set(engine):
    """API 1.41 has no seccomp setting for services: SYS_ADMIN is the only addition (the default
    profile's key to unshare/setns/mount), the server starts under setpriv --no-new-privs."""
    spawner = engine("1.41")
    assert spawner.extra_container_spec == {"user": LAB_USER, "cap_drop": ["ALL"], "cap_add": ["SYS_ADMIN"]}
    assert spawner.extra_create_kwargs == {}
    sent = service("1.41")
    assert sent["ContainerSpec"]["User"] == "1000:1000" and sent["ContainerSpec"]["CapabilityAdd"] == ["SYS_ADMIN"]
    assert unsafe_service(sent, "1.41") == []


def test_a_service_on_docker_25_gets_the_lab_profile_and_no_capability(engine):
    """From API 1.44 the service spec carries the lab profile (base64 of its JSON) and no-new-privileges."""
    spawner = engine("1.44")
    settings = spawner.extra_container_spec
    assert "cap_add" not in settings and settings["user"] == LAB_USER and settings["cap_drop"] == ["ALL"]
    privileges = settings["privileges"]
    assert privileges["NoNewPrivileges"] is True and privileges["Seccomp"]["Mode"] == "custom"
    assert json.loads(base64.b64decode(privileges["Seccomp"]["Profile"])) == lab_seccomp.profile()
    assert unsafe_service(service("1.47"), "1.47") == []
    # An engine that takes the profile must get it: the older engine's settings are refused there.
    assert unsafe_service(service("1.41"), "1.44") == [
        "cap_add SYS_ADMIN",
        "privileges must be exactly the lab profile with no-new-privileges",
    ]


@pytest.mark.parametrize(
    ("version", "change", "problem"),
    [
        ("1.41", {"user": "0"}, "user '0' is root"),
        ("1.41", {"user": None}, "user '' is root"),
        ("1.41", {"cap_add": ["SYS_ADMIN", "NET_ADMIN"]}, "cap_add NET_ADMIN"),
        ("1.44", {"cap_add": ["NET_RAW"]}, "cap_add NET_RAW"),
        ("1.41", {"cap_drop": ["NET_RAW"]}, "cap_drop must be ALL"),
        ("1.41", {"args": ["start-lab"]}, "the server must start under setpriv --no-new-privs"),
        ("1.41", {"command": ["sh"]}, "the server must start under setpriv --no-new-privs"),
        ("1.44", {"privileges": {"NoNewPrivileges": True}}, "privileges must be exactly the lab profile"),
        ("1.44", {"privileges": {"Seccomp": {"Mode": "unconfined"}}}, "privileges must be exactly the lab profile"),
        ("1.41", {"mounts": [Mount(target="/h", source="/var/run/docker.sock", type="bind")]}, "mount /var/run"),
    ],
)
def test_each_departure_from_the_service_design_is_named(version, change, problem):
    found = unsafe_service(service(version, **change), version)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(("version", "takes"), [("1.41", False), ("1.43", False), ("1.44", True), ("1.50", True)])
def test_engines_from_api_1_44_take_a_profile_in_a_service(version, takes):
    assert profiles_in_services(version) is takes


def test_a_service_request_gets_the_pids_limit_and_an_unsafe_one_is_never_sent(engine, monkeypatch):
    sent = []
    monkeypatch.setattr(DockerSpawner, "docker", lambda self, method, *args, **kwargs: sent.append(kwargs))
    spawner = engine("1.41")
    spawner.user, spawner.pids_limit = SimpleNamespace(name="ann"), 300
    spawner.docker("create_service", task_template=service("1.41"), name="mnss-ann")
    assert sent[0]["task_template"]["Resources"]["Limits"] == {"Pids": 300}
    with pytest.raises(RuntimeError, match="refusing to start ann's server: unsafe settings .*user '0' is root"):
        spawner.docker("create_service", task_template=service("1.41", user="0"), name="mnss-ann")
    assert len(sent) == 1


def test_an_engine_that_does_not_answer_leaves_the_server_running_with_one_warning(monkeypatch):
    """dockerd restarting (the chaos drill): the hub's poll said nothing but a traceback; now the
    state is unknown (None: still running) with a one-line warning, and the next poll decides."""
    said = []
    answers = iter([requests.ConnectionError("No such file or directory"), 0])

    async def poll(self):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(DockerSpawner, "poll", poll)
    spawner = DockerLabSpawner(user=SimpleNamespace(name="ann"))
    monkeypatch.setattr(spawner.log, "warning", lambda *args: said.append(args[0] % args[1:]))
    assert asyncio.run(spawner.poll()) is None
    assert said == ["ann's server: the Docker engine does not answer (No such file or directory); asked again later"]
    assert asyncio.run(spawner.poll()) == 0  # the engine answers again: its word counts


def test_a_refused_image_is_not_kept_as_the_next_starts_default():
    """The hub saves a start's options in the spawner's row; a refused image is cleared from it, through
    the row's own database session, so the next plain start is not refused too."""
    from jupyterhub import orm
    from sqlalchemy.orm import object_session
    from tornado import web

    db = orm.new_session_factory("sqlite://")()
    user = orm.User(name="ann")
    db.add(user)
    row = orm.Spawner(user=user, name="", user_options={"image": "debian:bookworm"})
    db.add(row)
    db.commit()
    spawner = DockerLabSpawner(orm_spawner=row, user_options={"image": "debian:bookworm"})
    spawner.allowed_images = {"lab": "mnss-lab/singleuser:latest"}
    with pytest.raises(web.HTTPError):
        asyncio.run(spawner.check_allowed("debian:bookworm"))
    assert spawner.user_options == {}
    assert object_session(row) is db
    db.expire_all()
    assert db.query(orm.Spawner).one().user_options == {}
