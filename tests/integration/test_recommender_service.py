"""The recommender service behind the real hub: events from a learner's token, recommendations
with reasons, refusals, and no login names in what it stores."""

import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from mnss_hub import apply, siteconfig
from mnss_hub.accounts import AccountStore
from mnss_hub.hubclient import HubClient
from mnss_recommender.catalog import Catalog
from mnss_recommender.events import EventStore
from mnss_recommender.simulate import SimulationConfig, simulate
from tests.support.hubproc import ROOT, free_ports, running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def recommender_site(state, port, flush_seconds=1):
    """The site config a sysadmin writes: the recommender section, retraining every few seconds."""
    return site_config(
        state,
        recommender={
            "enabled": True,
            "catalog": str(ROOT / "courses"),
            "port": port,
            "retrain_seconds": 10,
            "flush_seconds": flush_seconds,
        },
    )


def test_events_in_recommendations_out(tmp_path):
    (port,) = free_ports(1)
    state = tmp_path / "state"
    config = recommender_site(state, port)
    site = siteconfig.validate(config)
    # a store with the history of 300 (simulated) learners: enough for the service to tune on
    state.mkdir(parents=True)
    catalog = Catalog.load(str(ROOT / "courses"), strict=False)
    EventStore(f"sqlite:///{state / 'recommender.sqlite'}").add(
        simulate(catalog, SimulationConfig(learners=300, seed=3)).events()
    )
    with running_hub(tmp_path, config) as (url, proc, log):
        admin = HubClient(url)
        admin.login("admin", "admin-test-password")
        AccountStore(apply.accounts_url(site)).create("learner1", "learner1-password", must_change=False)
        admin.create_user("learner1")
        learner = HubClient(url)
        learner.login("learner1", "learner1-password")
        api = url + "services/mnss-recommender/api/"

        refused = requests.post(
            api + "events",
            json={
                "events": [
                    {
                        "event_id": "x1",
                        "learner": "admin",
                        "item": "hospital-lan/lan-build",
                        "kind": "opened",
                        "timestamp": time.time(),
                    }
                ]
            },
            headers=learner.headers,
            timeout=10,
        )
        assert refused.status_code == 400 and "learner is set by the hub" in refused.json()["error"]

        now = time.time()
        events = [
            {"event_id": "e1", "item": "hospital-lan/lan-build", "kind": "opened", "timestamp": now - 60},
            {"event_id": "e2", "item": "hospital-lan/lan-build", "kind": "graded", "timestamp": now - 30, "score": 1.0},
        ]
        stored = requests.post(api + "events", json={"events": events}, headers=learner.headers, timeout=10)
        assert stored.status_code == 200 and stored.json() == {"stored": 2}
        again = requests.post(api + "events", json={"events": events}, headers=learner.headers, timeout=10)
        assert again.json() == {"stored": 0}, "a resent event is stored once"

        deadline = time.monotonic() + 30  # the service retrains every 10 s in this test
        while time.monotonic() < deadline:
            recs = requests.get(api + "recommendations?k=3", headers=learner.headers, timeout=10).json()
            if recs["trained_at"] and recs["trained_at"] > now:
                break
            time.sleep(1)
        items = [r["item"] for r in recs["recommendations"]]
        assert items and "hospital-lan/lan-build" not in items, recs
        # the service's retrain tuned its settings on the stored events (in its worker thread)
        retrained = r"Retrained on \d+ events in [\d.]+ s; settings tuned on (\d+) validation learners"
        tuned = re.search(retrained, log.read_text())
        assert tuned and int(tuned[1]) >= 30, log.read_text()[-3000:]
        assert all(r["reason_zh"] and r["reason_en"] for r in recs["recommendations"])

        anonymous = requests.get(api + "recommendations", timeout=10, allow_redirects=False)
        assert anonymous.status_code in (302, 403)
        stats = requests.get(api + "stats?course=hospital-lan", headers=learner.headers, timeout=10)
        assert stats.status_code == 403

    stored_text = "\n".join(
        str(row) for row in sqlite3.connect(state / "recommender.sqlite").execute("SELECT * FROM recommender_events")
    )
    assert "e1" in stored_text and "learner1" not in stored_text, "learners are stored only as pseudonyms"


def stored_events(state):
    return (
        sqlite3.connect(state / "recommender.sqlite")
        .execute("SELECT learner, item, kind FROM recommender_events ORDER BY ts")
        .fetchall()
    )


def test_a_learners_server_reports_opened_and_executed(tmp_path):
    """The activity extension in the learner's own server: opening a course notebook and running its
    cells reach the service with the server's token; the learner is stored as a pseudonym."""
    (port,) = free_ports(1)
    state = tmp_path / "state"
    config = recommender_site(state, port)
    with running_hub(tmp_path, config) as (url, proc, log):
        admin = HubClient(url)
        admin.login("admin", "admin-test-password")
        store = AccountStore(apply.accounts_url(siteconfig.validate(config)))
        store.create("learner2", "learner2-password", must_change=False)
        admin.create_user("learner2")
        learner = HubClient(url)
        learner.login("learner2", "learner2-password")
        learner.start_server("learner2")
        notebook = (ROOT / "courses/hospital-lan/source/lan-build/lan-build.ipynb").read_text("utf-8")
        for folder in ("hospital-lan", "hospital-lan/lan-build"):
            learner._call("PUT", f"user/learner2/api/contents/{folder}", expect=(200, 201), json={"type": "directory"})
        path = "hospital-lan/lan-build/lan-build.ipynb"
        learner._call(
            "PUT",
            f"user/learner2/api/contents/{path}",
            expect=(200, 201),
            json={"type": "notebook", "format": "json", "content": __import__("json").loads(notebook)},
        )
        learner._call("GET", f"user/learner2/api/contents/{path}?content=1")
        result = learner.execute("learner2", "x = 1 + 1", path=path)
        assert result.error is None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and {"opened", "executed", "closed"} - {
            k for _, _, k in stored_events(state)
        }:
            time.sleep(0.5)

        # The service goes down (frozen, then killed; the hub restarts it): what the learner does
        # meanwhile waits in the server's buffer and arrives once when the service is back.
        executed_before = sum(1 for _, _, k in stored_events(state) if k == "executed")
        service = service_pid(state)
        os.kill(service, signal.SIGSTOP)
        for _ in range(2):
            assert learner.execute("learner2", "y = 2", path=path).error is None
        time.sleep(3)  # a few flush attempts time out against the frozen service
        assert sum(1 for _, _, k in stored_events(state) if k == "executed") == executed_before
        os.kill(service, signal.SIGKILL)
        deadline = time.monotonic() + 90  # the hub notices within its poll interval and restarts it
        while (
            time.monotonic() < deadline
            and sum(1 for _, _, k in stored_events(state) if k == "executed") < executed_before + 2
        ):
            time.sleep(1)
        time.sleep(3)  # and nothing more than once
        assert service_pid(state) != service
        learner.stop_server("learner2")
    rows = stored_events(state)
    assert {(item, kind) for _, item, kind in rows} >= {
        ("hospital-lan/lan-build", "opened"),
        ("hospital-lan/lan-build", "executed"),
        ("hospital-lan/lan-build", "closed"),
    }, rows
    assert sum(1 for _, _, k in rows if k == "executed") == executed_before + 2, rows
    assert all(who != "learner2" for who, _, _ in rows)
    durations = (
        sqlite3.connect(state / "recommender.sqlite")
        .execute("SELECT duration FROM recommender_events WHERE kind = 'executed'")
        .fetchall()
    )
    assert durations and all(d is not None and d >= 0 for (d,) in durations)  # time on task, cell by cell


def service_pid(state) -> int:
    """The recommender service process of this test's hub (its command names the state folder)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"mnss_recommender.service" in cmd and any(str(state).encode() in part for part in cmd):
            return int(proc.name)
    raise AssertionError("recommender service not running")
