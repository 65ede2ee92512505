"""`make run` without a site config is the whole platform: every installed course with its
formgrader, the exchange, the recommender and the culler, the admin teaching every course. The
hub here gets free ports and its own state folder; everything else is the embedded default."""

import os
import signal
import time

import pytest
import requests

from mnss_hub.hubclient import HubClient
from tests.support.hubproc import ROOT, free_ports, processes_under, running_hub

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="formgraders run as their own accounts: the hub must be root"),
]


def test_the_embedded_default_serves_every_course_and_stops_within_10_s(tmp_path):
    port, hub_port, api_port, exchange_port, recommender_port = free_ports(5)
    state = tmp_path / "state"
    config = {
        "hub": {"port": port, "hub_port": hub_port, "proxy_api_port": api_port, "state_dir": str(state)},
        "auth": {"initial_admin_password": "admin-test-password"},
        "courses": {"exchange_port": exchange_port},
        "recommender": {"port": recommender_port},
    }
    courses = sorted(p.parent.name for p in (ROOT / "courses").glob("*/course.yaml"))
    with running_hub(tmp_path, config) as (url, proc, log):
        admin = HubClient(url, timeout=60)
        admin.login("admin", "admin-test-password")
        services = admin._call("GET", "hub/api/services").json()
        assert {"mnss-exchange", "mnss-recommender", "idle-culler", *(f"formgrader-{c}" for c in courses)} <= set(
            services
        )
        deadline = time.monotonic() + 180  # the hub answers before each formgrader beside it has started
        for course in courses:  # the admin is instructor of each, so each formgrader lets them in
            while True:
                listed = requests.get(
                    f"{url}services/formgrader-{course}/formgrader/api/assignments", headers=admin.headers, timeout=60
                )
                if listed.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert listed.status_code == 200 and listed.json(), (course, listed.status_code, listed.text[:200])
        assert admin.user("admin")["admin"] is True
        assert {f"{c}-instructors" for c in courses} <= set(admin.user("admin")["groups"])

        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        took = time.monotonic() - started
        assert took < 10, f"the hub took {took:.1f} s to stop"
        assert "Traceback" not in log.read_text()
        left = {**processes_under(tmp_path)}
        assert not left, left
