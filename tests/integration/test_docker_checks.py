"""Docker-mode prerequisites on the real engine (dockerd with userns-remap), and what the built
single-user image offers a learner's shell and JupyterLab."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from mnss_hub import dockerhost, egress, siteconfig
from tests.integration.test_docker_mode import IMAGE, docker, docker_engine  # noqa: F401 (fixture)
from tests.support import dockerhub
from tests.support.hubproc import VENV_BIN

pytestmark = [pytest.mark.integration, pytest.mark.docker]

NETWORK = f"mnss-chk-t{os.getpid()}"


@pytest.fixture
def network_name(docker_engine):  # noqa: F811
    yield NETWORK
    dockerhub.remove_network(NETWORK)


def check_config(tmp_path, settings: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "mnss.yaml"
    path.write_text(
        yaml.safe_dump({"mode": "docker", "docker": settings, "hub": {"state_dir": str(tmp_path / "state")}}), "utf-8"
    )
    return subprocess.run(
        [str(VENV_BIN / "mnss-hub"), "--config", str(path), "check-config"], capture_output=True, text=True, timeout=60
    )


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
    # docker.egress (closed by default): run's preparation held the network's containers to the host
    bridge = dockerhost.bridge_of(dockerhost.connect().networks.get(network_name))
    assert (
        egress.network_chain(bridge) in subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True).stdout
    )


# The image these tests look into; MNSS_TEST_IMAGE picks another build (e.g. a tag of your own).
TEST_IMAGE = os.environ.get("MNSS_TEST_IMAGE", IMAGE)


def in_image(name: str, user: str, script: str) -> subprocess.CompletedProcess:
    """Run `script` in a throw-away container of the image (removed also when the run times out)."""
    container = f"mnss-chk-t{os.getpid()}-{name}"
    try:
        return subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--name",
                container,
                "--user",
                user,
                "--network",
                "none",
                "--entrypoint",
                "bash",
                TEST_IMAGE,
                *script,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        docker("rm", "-f", container, check=False)


@pytest.mark.parametrize("user", ["0", "1000:1000"])
def test_tools_are_on_path_in_login_shells_too(docker_engine, user):  # noqa: F811
    """`bash -l` takes PATH from /etc/profile; the venv's tools must still be found, as root and as anyone."""
    tools = ["mnss", "nbgrader", "python", "jupyter"]
    for shell in (["-lc"], ["-c"]):
        done = in_image(f"path-{user.replace(':', '-')}", user, [*shell, f"command -v {' '.join(tools)}"])
        assert done.returncode == 0, f"bash {shell[0]}: {done.stdout}{done.stderr}"
        assert done.stdout.split() == [f"/opt/mnss/bin/{tool}" for tool in tools]


def test_the_images_jupyterlab_has_the_news_prompt_off(docker_engine):  # noqa: F811
    """The overrides sit where the image's own JupyterLab reads its app settings."""
    script = (
        "import json, pathlib; from jupyterlab.commands import get_app_dir; "
        "print(json.loads((pathlib.Path(get_app_dir()) / 'settings/overrides.json').read_text())"
        "['@jupyterlab/apputils-extension:notification']['fetchNews'])"
    )
    done = in_image("news", "0", ["-c", f'python -c "{script}"'])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "false"


def test_the_images_jupyter_starts_without_the_slow_iri_checker(docker_engine):  # noqa: F811
    """The image leaves rfc3987-syntax out (tests/unit/test_startup_imports.py says why): a learner's
    server, kernel and nbgrader steps start 1.3-1.6 s of CPU sooner each."""
    script = "import sys, jupyter_server.serverapp, nbgrader.apps; print('rfc3987_syntax' in sys.modules)"
    done = in_image("imports", "1000:1000", ["-c", f'python -c "{script}"'])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
