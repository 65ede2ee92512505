"""Spawn-until-ready in docker mode vs a bare `docker run` of the same image, in one run.

- ours: POST /hub/api/users/<u>/server on a docker-mode hub, until the hub reports the server
  ready (the hub has then seen it answer through its own check).
- bare: `docker run -d` of the same image with the same user, seccomp profile and limits, until its
  Jupyter server answers HTTP on the container's address.
The two alternate, one user each, so machine noise hits both alike. Then N users are spawned at
once through the hub and every failure is counted. Needs root, a running dockerd
(scripts/docker-engine.sh) and the image (`make images`). Usage:
    .venv/bin/python benchmarks/docker_spawn.py [--rounds 5] [--concurrent 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnss_hub import lab_seccomp  # noqa: E402
from mnss_hub.docker_spawner import LAB_USER  # noqa: E402
from mnss_hub.hubclient import HubClient  # noqa: E402
from tests.support.hubproc import running_hub, site_config  # noqa: E402

IMAGE = "mnss-lab/singleuser:latest"
RUN = f"b{os.getpid()}"
NETWORK, SUBNET = f"mnss-{RUN}", "172.31.199.0/24"


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=300).stdout


def bare_run(index: int, seccomp: Path) -> float:
    """Seconds from `docker run` until the server in the container answers HTTP; `seccomp` is the
    lab profile as a file (the docker CLI reads it from one; the hub sends it in its request)."""
    name = f"mnss-{RUN}-bare{index}"
    begin = time.perf_counter()
    docker(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        NETWORK,
        "--user",
        LAB_USER,
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--security-opt",
        f"seccomp={seccomp}",
        "--memory",
        "2G",
        "--pids-limit",
        "2048",
        "--entrypoint",
        "jupyter",
        IMAGE,
        "server",
        "--allow-root",
        "--ip=0.0.0.0",
        "--port=8888",
        "--IdentityProvider.token=",
    )
    ip = json.loads(docker("inspect", name))[0]["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://{ip}:8888/api", timeout=1).status_code == 200:
                elapsed = time.perf_counter() - begin
                docker("rm", "-f", name)
                return elapsed
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"bare container {name} did not answer")


def hub_spawn(hub: HubClient, name: str) -> float:
    hub.create_user(name)
    begin = time.perf_counter()
    hub.start_server(name, wait=300)
    return time.perf_counter() - begin


def report(label: str, values: list[float]) -> str:
    return f"{label}: p50 {statistics.median(values):.2f} s, max {max(values):.2f} s (n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        seccomp = Path(tmp) / "seccomp.json"
        seccomp.write_text(json.dumps(lab_seccomp.profile()))
        config = site_config(
            Path(tmp) / "state",
            culler={"enabled": False},
            spawn={"concurrent_spawn_limit": args.concurrent, "start_timeout": 300, "http_timeout": 120},
            docker={"network": NETWORK, "subnet": SUBNET, "volume_name": f"mnss-{RUN}-{{username}}"},
        )
        config["mode"] = "docker"
        try:
            with running_hub(Path(tmp) / "hub", config) as (url, _, _):
                hub = HubClient(url, timeout=120)
                hub.login("admin", config["auth"]["initial_admin_password"])
                ours, bare = [], []
                for i in range(args.rounds):
                    ours.append(hub_spawn(hub, f"seq{i}{RUN}"))
                    bare.append(bare_run(i, seccomp))
                    hub.stop_server(f"seq{i}{RUN}", wait=120)
                print(report("hub spawn-until-ready (docker mode)", ours))
                print(report("bare docker run until the server answers", bare))
                p50_ours, p50_bare = statistics.median(ours), statistics.median(bare)
                print(
                    f"ratio ours/bare (p50): {p50_ours / p50_bare:.2f}; difference {p50_ours - p50_bare:+.2f} s "
                    "(target: ours <= bare + 2 s)"
                )

                names = [f"con{i}{RUN}" for i in range(args.concurrent)]
                begin = time.perf_counter()
                with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
                    outcomes = list(pool.map(lambda n: _attempt(hub, n), names))
                failures = [o for o in outcomes if isinstance(o, str)]
                times = [o for o in outcomes if isinstance(o, float)]
                print(
                    f"{args.concurrent} users spawned at once: {len(failures)} failures, all ready after "
                    f"{time.perf_counter() - begin:.1f} s" + (f"; {report('per user', times)}" if times else "")
                )
                for failure in failures[:5]:
                    print("  failure:", failure)
        finally:
            ids = docker("ps", "-aq", "--filter", f"network={NETWORK}", check=False).split()
            if ids:
                docker("rm", "-f", *ids, check=False)
            volumes = docker("volume", "ls", "-q", "--filter", f"name=mnss-{RUN}-", check=False).split()
            if volumes:
                docker("volume", "rm", "-f", *volumes, check=False)
            docker("network", "rm", NETWORK, check=False)
    return 0


def _attempt(hub: HubClient, name: str) -> float | str:
    try:
        return hub_spawn(hub, name)
    except Exception as err:  # a failure is a result here, counted and shown
        return f"{name}: {err}"


if __name__ == "__main__":
    sys.exit(main())
