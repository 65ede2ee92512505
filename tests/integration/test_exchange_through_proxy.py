"""The services' refusals of uploads reach the client through configurable-http-proxy as they
were sent (JSON 401, 403 or 413), not as the proxy's 503: a service reads a body it refuses
before it closes the connection, so the proxy never sees a reset while it is still sending.

Real processes: the proxy the hub uses, the exchange and the recommender, routed as the hub
routes them.
Refusals that need no hub (no token; a declared size over the limit) are what is sent, so no
hub is started; the hub's API address points at a closed port.
"""

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from tests.support.hubproc import ROOT, free_ports

pytestmark = [pytest.mark.integration]

PREFIX = "/services/mnss-exchange/"
RECOMMENDER = "/services/mnss-recommender/"
MAX_UPLOAD = 1024 * 1024
DISCARD = 10 * MAX_UPLOAD  # the service's default discard_limit


def wait_for(url: str, procs, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[0]} exited with {proc.returncode}"
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    work = tmp_path_factory.mktemp("exchange-proxy")
    proxy_port, api_port, service_port, closed_port, recommender_port = free_ports(5)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "MNSS_"))},
        "JUPYTERHUB_API_TOKEN": "service-token-not-known-to-any-hub",
        "JUPYTERHUB_API_URL": f"http://127.0.0.1:{closed_port}/hub/api",
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{service_port}",
        "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
        "CONFIGPROXY_AUTH_TOKEN": "proxy-test-token",
    }
    exchange = [
        sys.executable,
        "-m",
        "mnss_courses.exchange",
        f"--storage-root={work / 'exchange'}",
        "--course=hospital-lan",
        f"--max-upload-bytes={MAX_UPLOAD}",
    ]
    proxy = [
        "configurable-http-proxy",
        "--ip=127.0.0.1",
        f"--port={proxy_port}",
        "--api-ip=127.0.0.1",
        f"--api-port={api_port}",
        f"--default-target=http://127.0.0.1:{service_port}",
    ]
    recommender = [
        sys.executable,
        "-m",
        "mnss_recommender.service",
        f"--db-url=sqlite:///{work / 'events.sqlite'}",
        f"--courses={ROOT / 'courses'}",
        f"--key-file={work / 'recommender.key'}",
        "--retrain-seconds=0",
        f"--port={recommender_port}",
    ]
    recommender_env = {
        **env,
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{recommender_port}",
        "JUPYTERHUB_SERVICE_PREFIX": RECOMMENDER,
        "JUPYTERHUB_SERVICE_NAME": "mnss-recommender",
        "JUPYTERHUB_CLIENT_ID": "service-mnss-recommender",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{RECOMMENDER}oauth_callback",
        "JUPYTERHUB_BASE_URL": "/",
    }
    procs = []
    try:
        for command, name, environment in (
            (exchange, "exchange", env),
            (recommender, "recommender", recommender_env),
            (proxy, "proxy", env),
        ):
            with open(work / f"{name}.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        command, cwd=work, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        base = f"http://127.0.0.1:{proxy_port}"
        wait_for(base + PREFIX, procs)
        route = requests.post(
            f"http://127.0.0.1:{api_port}/api/routes{RECOMMENDER}",
            json={"target": f"http://127.0.0.1:{recommender_port}"},
            headers={"Authorization": "token proxy-test-token"},
            timeout=10,
        )
        assert route.status_code == 201, route.text
        wait_for(base + RECOMMENDER, procs)
        yield SimpleNamespace(exchange=base + PREFIX, recommender=base + RECOMMENDER)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def submit(url: str, size: int, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    endpoint = url + "api/courses/hospital-lan/assignments/lan-build/submission"
    return requests.post(endpoint, data=os.urandom(size), headers=headers, timeout=120)


def assert_json_refusal(response: requests.Response, status: int, text: str) -> None:
    kind = response.headers.get("Content-Type", "")
    assert response.status_code == status and kind.startswith("application/json"), (
        f"got {response.status_code} {kind}: {response.text[:200]}"
    )
    assert text in response.json()["error"]


@pytest.mark.parametrize("size", [64 * 1024, MAX_UPLOAD])
def test_a_missing_token_is_a_json_401_with_a_body_too(proxied, size):
    assert_json_refusal(submit(proxied.exchange, size), 401, "missing or invalid token")


@pytest.mark.parametrize("size", [MAX_UPLOAD + 1, 4 * MAX_UPLOAD, DISCARD])
def test_an_oversized_upload_is_a_json_413(proxied, size):
    response = submit(proxied.exchange, size, token="any-token")
    assert_json_refusal(response, 413, f"larger than the limit of {MAX_UPLOAD} bytes")


def test_an_anonymous_recommender_event_post_is_a_json_403(proxied):
    event = {"event_id": "e1", "item": "hospital-lan/lan-build", "kind": "opened", "timestamp": 1.8e9}
    body = json.dumps({"events": [event] * 9000})[: 1024 * 1024 - 1]  # just within the service's 1 MiB
    response = requests.post(proxied.recommender + "api/events", data=body, timeout=60)
    assert_json_refusal(response, 403, "log in through the hub")
