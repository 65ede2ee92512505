"""The start-up sweep of what servers left: only objects and users of this hub that no running
server uses are ended, and the log gives counts, never names (a real JupyterHub ORM on SQLite;
the Docker engine, accounts and lab records are stand-ins)."""

from __future__ import annotations

import asyncio
import logging
import pwd
from types import SimpleNamespace

import pytest
from jupyterhub import orm
from traitlets.config import Config

from mnss_hub import docker_spawner, leftovers, spawners
from mnss_hub.docker_spawner import DockerLabSpawner, SwarmLabSpawner
from mnss_hub.spawners import LocalLabSpawner

IMAGE = "mnss-lab/singleuser:latest"


def test_a_running_servers_object_is_known_by_id_or_name():
    used = leftovers.in_use([{"object_id": "c1", "object_name": "mnss-ann"}, {}, {"pid": 7}])
    assert used == {"c1", "mnss-ann"}
    found = {"c1": "mnss-ann", "c2": "mnss-ben", "c3": "mnss-cat"}
    assert leftovers.unused(found, used | {"mnss-cat"}) == ["c2"]


class Engine:
    """What the spawner asks Docker at the sweep; removals are recorded."""

    def __init__(self, containers=(), services=()):
        self.containers, self.services, self.removed = list(containers), list(services), []

    def __call__(self, method, *args, **kwargs):
        future = asyncio.get_running_loop().create_future()
        if method == "containers":
            assert kwargs == {"all": True, "filters": {"network": "labnet"}}
            future.set_result(self.containers)
        elif method == "services":
            future.set_result(self.services)
        elif method == "inspect_network":
            assert args == ("labnet",)
            future.set_result({"Id": "n1", "Name": "labnet"})
        else:
            self.removed.append((method, *args, *sorted(kwargs.items())))
            future.set_result(None)
        return future


def container(ident: str, name: str, image: str = IMAGE) -> dict:
    return {"Id": ident, "Names": [f"/{name}"], "Image": image}


def spawner_with(cls, engine: Engine, monkeypatch):
    config = Config()
    config[cls.__name__].update(network_name="labnet", image=IMAGE, allowed_images=[])
    spawner = cls(config=config, user=leftovers.NOBODY)  # as the sweep makes it
    monkeypatch.setattr(spawner, "docker", engine)
    return spawner


def test_docker_mode_removes_only_its_unused_containers_on_the_user_network(monkeypatch):
    engine = Engine(
        [
            container("c1", "mnss-ann"),  # a running server's
            container("c2", "mnss-ghost"),  # a spawn the hub crashed in: removed
            container("c3", "mnss-lab-old", image="sha256:abc"),  # another image: not ours to judge
            container("c4", "other-tool"),  # not named as the spawner names containers
            container("c5", "labnet-anchor"),  # swarm mode's network anchor
        ]
    )
    spawner = spawner_with(DockerLabSpawner, engine, monkeypatch)
    # tunnel grants in the host's firewall: the running server's stays, the others' are taken back
    monkeypatch.setattr(docker_spawner.egress, "granted_ids", lambda bridge: {"c1", "c2", "c9"})
    revoked = []
    monkeypatch.setattr(docker_spawner.egress, "revoke", lambda bridge, ident: revoked.append((bridge, ident)))
    assert asyncio.run(spawner.end_leftovers({"c1", "mnss-ann"}, {"ann"}, {"ghost"})) == 1
    assert engine.removed == [("remove_container", "c2", ("force", True))]
    assert sorted(revoked) == [("br-n1", "c2"), ("br-n1", "c9")]


def test_swarm_mode_removes_only_its_unused_services_on_the_user_network(monkeypatch):
    def service(ident, name, network="n1", image=f"{IMAGE}@sha256:0123"):
        task = {"ContainerSpec": {"Image": image}, "Networks": [{"Target": network}]}
        return {"ID": ident, "Spec": {"Name": name, "TaskTemplate": task}}

    services = [service("s1", "mnss-ann"), service("s2", "mnss-ghost"), service("s3", "web")]
    services.append(service("s4", "mnss-other-hubs", network="n2"))  # another hub in the same swarm
    engine = Engine(services=services)
    spawner = spawner_with(SwarmLabSpawner, engine, monkeypatch)
    assert asyncio.run(spawner.end_leftovers({"s1"}, {"ann"}, {"ghost"})) == 1
    assert engine.removed == [("remove_service", "s2")]


def hub_with(spawner_class, running: dict[str, dict], idle: list[str]):
    """A hub's database with these users' servers running (name -> state) and these without one."""
    db = orm.new_session_factory("sqlite://")()
    for name, state in running.items():
        user = orm.User(name=name)
        db.add(user)
        db.commit()
        server = orm.Server()
        db.add(server)
        db.add(orm.Spawner(user=user, name="", server=server, state=state))
    for name in idle:
        user = orm.User(name=name)
        db.add(user)
        db.add(orm.Spawner(user=user, name=""))
    db.commit()
    return SimpleNamespace(spawner_class=spawner_class, db=db, config=Config(), log=Said())


class Said(logging.Logger):
    """A logger that keeps what it was told (messages as they would be written)."""

    def __init__(self):
        super().__init__("sweep", logging.INFO)
        self.messages = []

    def handle(self, record):
        self.messages.append(record.getMessage())


class Recording:
    """A spawner class that records what the sweep hands it."""

    leftover_kind = "container(s)"
    seen: tuple = ()
    ended = 0

    def __init__(self, config, user):
        assert user is leftovers.NOBODY

    async def end_leftovers(self, used, running_users, idle_users):
        type(self).seen = (used, running_users, idle_users)
        if isinstance(self.ended, Exception):
            raise self.ended
        return self.ended


def test_the_sweep_hands_over_what_runs_and_logs_a_count_without_names():
    app = hub_with(Recording, {"ann": {"object_id": "c1", "object_name": "mnss-ann"}}, ["ben.li", "cat"])
    Recording.ended = 2
    asyncio.run(leftovers.sweep(app))
    assert Recording.seen == ({"c1", "mnss-ann"}, {"ann"}, {"ben.li", "cat"})
    assert app.log.messages == ["Ended 2 leftover container(s) of servers that no longer run (after a hub crash?)"]
    Recording.ended = 0
    asyncio.run(leftovers.sweep(app))
    assert app.log.messages[1:] == ["No leftovers of servers that no longer run"]


def test_a_failing_sweep_is_logged_and_the_hub_starts_anyway():
    Recording.ended = RuntimeError("engine gone")
    app = hub_with(Recording, {}, ["ann"])
    asyncio.run(leftovers.sweep(app))
    assert app.log.messages == ["Looking for servers' leftovers failed; the hub starts anyway"]


def test_a_spawner_without_a_sweep_is_left_alone():
    asyncio.run(leftovers.sweep(hub_with(object, {}, ["ann"])))  # no end_leftovers: nothing asked


@pytest.fixture
def local_spawner(monkeypatch, tmp_path):
    def make(isolated: bool) -> LocalLabSpawner:
        monkeypatch.setattr(LocalLabSpawner, "isolated", lambda self: isolated)
        return LocalLabSpawner(user=leftovers.NOBODY, cgroup_root=str(tmp_path))  # no cgroups there

    return make


def account(name: str, uid: int) -> pwd.struct_passwd:
    return pwd.struct_passwd((name, "x", uid, uid, "", f"/run/mnss-home/{name}", "/usr/sbin/nologin"))


def test_with_own_accounts_only_this_hubs_idle_users_with_processes_are_ended(local_spawner, monkeypatch):
    accounts = {"mnss-u-ann": account("mnss-u-ann", 2001), "mnss-u-ben": account("mnss-u-ben", 2002)}
    accounts["mnss-u-cat"] = account("mnss-u-cat", 2003)

    def getpwnam(name):
        return accounts[name]

    ended = []
    monkeypatch.setattr(spawners.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(spawners.system_accounts, "uids_with_processes", lambda: {0, 2001, 2002, 4242})
    monkeypatch.setattr(spawners.system_accounts, "end_processes_of", lambda a, grace: ended.append(a.pw_name) or True)
    # firewall chains of ann (running), ben and cat (servers gone with a killed hub) and someone else's
    monkeypatch.setattr(spawners.egress, "limited_uids", lambda: {2001, 2002, 2003, 4242})
    released = []
    monkeypatch.setattr(spawners.egress, "release", released.append)
    spawner = local_spawner(True)
    # ann runs; ben is idle with processes left; cat idle without any; dan never started here
    assert asyncio.run(spawner.end_leftovers(set(), {"ann"}, {"ben", "cat", "dan"})) == 1
    assert ended == ["mnss-u-ben"] and spawner.leftover_kind == "learner account(s)' processes"
    assert released == [2002, 2003]


def test_as_the_hubs_own_user_the_labs_of_idle_users_are_ended(local_spawner, monkeypatch):
    records = [SimpleNamespace(owner=o) for o in ("ann", "benb", "root", "someoneelse")]
    ended = []
    monkeypatch.setattr(spawners.registry, "records", lambda: records)
    monkeypatch.setattr(spawners.registry, "end_all", ended.append)
    spawner = local_spawner(False)
    # ann runs; ben.b is recorded as benb; cat has no lab; root and someoneelse are not this hub's
    assert asyncio.run(spawner.end_leftovers(set(), {"ann"}, {"ben.b", "cat"})) == 1
    assert ended == ["benb"] and spawner.leftover_kind == "learner(s)' labs"
