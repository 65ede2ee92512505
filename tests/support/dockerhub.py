"""A docker-mode hub for tests: the engine checked, a site config with its own network and
volumes (named after the test run), and everything of that run removed afterwards."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from mnss_hub import egress
from tests.support.hubproc import site_config

IMAGE = os.environ.get("MNSS_TEST_IMAGE", "mnss-lab/singleuser:latest")  # make images builds it


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=120)


def require_engine() -> None:
    """A reachable dockerd with the image; absent outside CI is a skip that says why, in CI a failure."""
    problem = None
    try:
        if docker("info", "--format", "{{json .SecurityOptions}}", check=False).returncode != 0:
            problem = "dockerd is not running (start it: see README, 'Docker mode')"
        elif docker("image", "inspect", IMAGE, check=False).returncode != 0:
            problem = f"image {IMAGE} is not built (make images)"
    except FileNotFoundError:
        problem = "the docker client is not installed"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


def docker_site(state: Path, run: str, subnet_offset: int = 0) -> dict:
    """Site config of a docker-mode hub whose network and volumes carry `run` in their names."""
    network, subnet = f"mnss-{run}", f"172.31.{200 + (os.getpid() + subnet_offset) % 50}.0/24"
    config = site_config(
        state,
        culler={"enabled": False},
        docker={
            "image": IMAGE,  # MNSS_TEST_IMAGE: the servers run the image under test
            "network": network,
            "subnet": subnet,
            "volume_name": f"mnss-{run}-{{username}}",
            "mem_limit": "1G",
            "pids_limit": 512,
        },
    )
    config["mode"] = "docker"
    return config


def remove_leftovers(config: dict, run: str, patience: float = 60) -> None:
    """The run's containers, home volumes and networks. A container the stopping hub is still
    removing refuses a second removal ("already in progress") and keeps the network busy, so the
    containers are asked again until none is left (for up to `patience` seconds)."""
    network = config["docker"]["network"]
    deadline = time.monotonic() + patience
    while True:
        names = docker("ps", "-aq", "--filter", f"network={network}", check=False).stdout.split()
        names += docker("ps", "-aq", "--filter", f"name=^{network}-anchor$", check=False).stdout.split()
        if not names or time.monotonic() > deadline:
            break
        docker("rm", "-f", *names, check=False)
        time.sleep(1)
    volumes = docker("volume", "ls", "-q", "--filter", f"name=mnss-{run}-", check=False).stdout.split()
    if volumes:
        docker("volume", "rm", "-f", *volumes, check=False)
    gone = remove_network(network)
    if "active endpoints" in gone.stderr:  # Docker 20.10 keeps a stale endpoint now and then
        print(f"note: Docker keeps network {network}, no container on it (moby#43286); restart dockerd to remove it")
    docker("network", "rm", f"{network}-config", check=False)  # swarm mode's addresses


def remove_network(name: str) -> subprocess.CompletedProcess:
    """`docker network rm`, and the firewall chain `mnss-hub run` gave the network (docker.egress),
    which nothing else removes."""
    network_id = docker("network", "inspect", "-f", "{{.Id}}", name, check=False).stdout.strip()
    gone = docker("network", "rm", name, check=False)
    if network_id:
        egress.release_network(f"br-{network_id[:12]}")
    return gone
