"""Docker-mode prerequisites: `check-config` reports each one read-only, with a line naming it."""

from types import SimpleNamespace

import docker
import pytest
from docker.errors import DockerException, ImageNotFound

from mnss_hub import cli, dockerhost, siteconfig


class FakeEngine:
    """Just enough of docker.DockerClient; records anything that would change the engine."""

    def __init__(self, userns=True, images=("mnss-lab/singleuser:latest",), networks=(), swarm=None):
        self._info = {
            "SecurityOptions": ["name=seccomp", *(["name=userns"] if userns else [])],
            "Swarm": swarm or {"LocalNodeState": "inactive"},
        }
        self._images, self._networks, self.changes = set(images), list(networks), []
        self.images = SimpleNamespace(get=self._image)
        self.networks = SimpleNamespace(list=self._list, get=lambda name: self._by_name(name))
        self.api = SimpleNamespace(_post_json=lambda *a, **k: self.changes.append(("post", a, k)))

    def info(self):
        return self._info

    def _image(self, name):
        if name not in self._images:
            raise ImageNotFound(f"No such image: {name}")

    def _list(self, names=None):
        return [n for n in self._networks if names is None or n.name in names]

    def _by_name(self, name):
        return next(n for n in self._networks if n.name == name)


def network(name, subnet, icc="false", scope="local"):
    return SimpleNamespace(
        name=name,
        attrs={
            "Scope": scope,
            "IPAM": {"Config": [{"Subnet": subnet}]},
            "Options": {"com.docker.network.bridge.enable_icc": icc},
        },
    )


def site(**docker_settings):
    return siteconfig.validate({"mode": "docker", "docker": docker_settings})


def test_a_ready_engine_has_no_problems_and_check_changes_nothing():
    engine = FakeEngine()
    assert dockerhost.check(site(), engine) == []
    assert "network 'mnss-lab' is missing; `mnss-hub run` creates it" in dockerhost.describe(site(), engine)
    assert engine.changes == []


@pytest.mark.parametrize(
    "engine, settings, expected",
    [
        (FakeEngine(userns=False), {}, "docker.require_userns_remap: dockerd does not run with userns-remap"),
        (FakeEngine(images=()), {}, "docker image 'mnss-lab/singleuser:latest' is not on this machine; build it"),
        (FakeEngine(), {"allowed_images": ["other/lab:1"]}, "docker image 'other/lab:1' is not on this machine"),
        (
            FakeEngine(networks=[network("mnss-lab", "10.9.0.0/16")]),
            {},
            "docker.network: 'mnss-lab' exists with subnet ['10.9.0.0/16'], not 172.29.0.0/16",
        ),
        (
            FakeEngine(networks=[network("mnss-lab", "172.29.0.0/16", icc="true")]),
            {},
            "docker.network: 'mnss-lab' lets containers reach each other",
        ),
        (
            FakeEngine(networks=[network("mnss-lab", "172.29.0.0/16", scope="swarm")]),
            {},
            "docker.network: 'mnss-lab' exists with scope 'swarm', this mode needs 'local'",
        ),
        (
            FakeEngine(networks=[network("hospital", "172.29.8.0/24")]),
            {},
            "docker.subnet: 172.29.0.0/16 overlaps Docker network 'hospital' (172.29.8.0/24)",
        ),
    ],
)
def test_each_missing_prerequisite_is_named(engine, settings, expected):
    problems = dockerhost.check(site(**settings), engine)
    assert any(expected in p for p in problems), problems
    assert engine.changes == []


def test_swarm_mode_needs_a_manager():
    problems = dockerhost.check(siteconfig.validate({"mode": "swarm"}), FakeEngine())
    assert any("this Docker engine is not a Swarm manager; run `docker swarm init`" in p for p in problems)


def test_check_config_reports_docker_problems_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dockerhost, "connect", lambda: FakeEngine(userns=False, images=()))
    path = tmp_path / "mnss.yaml"
    path.write_text(f"mode: docker\nhub: {{state_dir: {tmp_path / 'state'}}}\n")
    assert cli.main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    assert "docker.require_userns_remap" in err and "'mnss-lab/singleuser:latest' is not on this machine" in err
    assert not (tmp_path / "state").exists()


def test_check_config_says_what_it_found_on_a_ready_engine(tmp_path, monkeypatch, capsys):
    engine = FakeEngine(networks=[network("mnss-lab", "172.29.0.0/16")])
    monkeypatch.setattr(dockerhost, "connect", lambda: engine)
    path = tmp_path / "mnss.yaml"
    path.write_text("mode: docker\n")
    assert cli.main(["--config", str(path), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "mode=docker" in out and "network 'mnss-lab' exists as configured" in out
    assert engine.changes == []


def test_unreachable_engine_is_named(monkeypatch):
    def refuse(**_):
        raise DockerException("Error while fetching server API version: connection refused")

    monkeypatch.setattr(docker, "from_env", refuse)
    with pytest.raises(siteconfig.ConfigError, match="the Docker engine is not reachable .*; start dockerd"):
        dockerhost.connect()


def test_with_the_tunnel_a_tun_device_closed_to_users_is_named(monkeypatch):
    tunnel = {"enabled": True, "users": ["ann"], "allow": [{"to": "10.0.0.0/24", "ports": [104]}]}
    with_tunnel = siteconfig.validate({"mode": "docker", "tunnel": tunnel})
    monkeypatch.setattr(dockerhost, "open_to_users", lambda path: path != "/dev/net/tun")
    problems = dockerhost.check(with_tunnel, FakeEngine())
    assert any("tunnel.enabled: /dev/net/tun is not readable and writable by every user" in p for p in problems)
    assert dockerhost.check(site(), FakeEngine()) == []  # no tunnel: not asked for
    monkeypatch.setattr(dockerhost, "open_to_users", lambda path: True)
    assert dockerhost.check(with_tunnel, FakeEngine()) == []
