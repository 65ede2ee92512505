"""Docker-mode prerequisites on the real engine (dockerd with userns-remap, the built image)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from mnss_hub import dockerhost, siteconfig
from tests.integration.test_docker_mode import docker, docker_engine  # noqa: F401 (fixture)
from tests.support.hubproc import VENV_BIN

pytestmark = [pytest.mark.integration, pytest.mark.docker]

NETWORK = f"mnss-chk-t{os.getpid()}"


@pytest.fixture
def network_name(docker_engine):  # noqa: F811
    yield NETWORK
    docker("network", "rm", NETWORK, check=False)


def check_config(tmp_path, settings: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "mnss.yaml"
    path.write_text(yaml.safe_dump({"mode": "docker", "docker": settings,
                                    "hub": {"state_dir": str(tmp_path / "state")}}), "utf-8")
    return subprocess.run([str(VENV_BIN / "mnss-hub"), "--config", str(path), "check-config"],
                          capture_output=True, text=True, timeout=60)


def test_check_config_reads_the_engine_and_creates_nothing(tmp_path, network_name):
    """check-config: ready engine -> OK and 'missing, run creates it' (nothing created); a missing
    image -> exit 2 naming it; after `run`'s preparation the same network is reported as in place."""
    settings = {"network": network_name, "subnet": f"172.28.{os.getpid() % 250}.0/24"}
    done = check_config(tmp_path, settings)
    assert done.returncode == 0, done.stderr
    assert f"network {network_name!r} is missing; `mnss-hub run` creates it" in done.stdout
    assert docker("network", "inspect", network_name, check=False).returncode != 0, "check-config created it"
    assert not (tmp_path / "state").exists()

    missing = check_config(tmp_path, {**settings, "allowed_images": ["mnss-lab/not-built:0"]})
    assert missing.returncode == 2
    assert "docker image 'mnss-lab/not-built:0' is not on this machine" in missing.stderr

    dockerhost.prepare(siteconfig.validate({"mode": "docker", "docker": settings}))
    again = check_config(tmp_path, settings)
    assert again.returncode == 0 and f"network {network_name!r} exists as configured" in again.stdout
