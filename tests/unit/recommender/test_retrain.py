"""The service's periodic retrain uses settings tuned on its own newest events (as the benchmark
tunes them), within a time budget, and answers requests while it tunes."""

import asyncio
import threading
import time
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

import mnss_recommender.service as service_module
from mnss_recommender import Catalog, HybridSettings, evaluate as ev
from mnss_recommender.retrain import HOLD_OUT, retrain
from mnss_recommender.service import RecommenderService
from mnss_recommender.simulate import SimulationConfig, simulate

COURSES = Path(__file__).resolve().parents[3] / "courses"
CATALOG = Catalog.load(str(COURSES), strict=False)
SIM = simulate(CATALOG, SimulationConfig(learners=300, seed=3))


def service_on(tmp_path, *options) -> RecommenderService:
    """The real service application on a SQLite store in tmp_path holding the simulated events."""
    app = RecommenderService()
    app.initialize(
        [
            f"--db-url=sqlite:///{tmp_path / 'events.sqlite'}",
            f"--courses={COURSES}",
            f"--key-file={tmp_path / 'key'}",
            *options,
        ]
    )
    app.store.add(SIM.events())
    for who, profile in SIM.profiles.items():
        app.store.set_profile(who, profile.department, profile.categories)
    return app


def test_the_service_retrains_with_the_settings_tuning_finds(tmp_path):
    app = service_on(tmp_path, "--tune-seconds=3600")  # a busy machine must not cut this search short
    app.retrain()
    log = app.store.log()
    expected = ev.tune_settings(log, CATALOG, SIM.profiles, inner_fraction=HOLD_OUT, max_learners=1000)
    assert expected != HybridSettings(), "on this log tuning moves away from the defaults"
    assert app.model.settings == expected
    app.retrain()
    assert app.model.settings == expected, "a complete search is not resumed: same events, same settings"
    # and the tuned settings do better than the defaults on the held-out newest events
    validation = ev.Validation(log, CATALOG, SIM.profiles, HOLD_OUT, max_learners=1000)
    assert validation.weights(expected, rounds=0)[1] > validation.weights(HybridSettings(), rounds=0)[1]


def test_without_a_budget_or_with_too_few_learners_the_settings_in_use_are_kept():
    log = SIM.log()
    current = HybridSettings(trend_half_life=7.0, weights={"popular": 1.0, "next": 2.0})
    untuned = retrain(log, CATALOG, SIM.profiles, current, budget_seconds=0)
    assert untuned.model.settings == current and not untuned.tuned
    few = retrain(log, CATALOG, SIM.profiles, current, budget_seconds=30, min_learners=10_000)
    assert few.model.settings == current and not few.tuned and 0 < few.validation_learners < 10_000
    assert "settings kept" in few.summary()


def test_a_search_cut_short_is_resumed_from_where_it_stopped():
    log = SIM.log()
    cut = HybridSettings(trend_half_life=7.0, weights={"popular": 1.0, "next": 2.0})
    resumed = retrain(log, CATALOG, SIM.profiles, cut, budget_seconds=30, resume=True)
    validation = ev.Validation(log, CATALOG, SIM.profiles, HOLD_OUT, max_learners=1000)
    assert resumed.complete and resumed.model.settings == ev.tune_on(validation, cut)[0]


def test_tuning_stops_at_its_deadline_with_the_best_so_far():
    validation = ev.Validation(SIM.log(), CATALOG, SIM.profiles, HOLD_OUT)
    start = HybridSettings()
    assert ev.tune_on(validation, start, deadline=time.monotonic() - 1) == (start, False)
    cut = retrain(SIM.log(), CATALOG, SIM.profiles, budget_seconds=0.05)
    assert cut.tuned and not cut.complete and "time budget reached" in cut.summary()
    # what it found is measured, not guessed: the half-life in use is tried first
    assert cut.model.settings.trend_half_life == start.trend_half_life


def test_requests_are_answered_while_the_service_tunes(tmp_path, monkeypatch):
    app = service_on(tmp_path, "--tune-seconds=3600")
    release, finished, calls = threading.Event(), threading.Event(), []
    real = service_module.retrain

    def slow_retrain(*args, **options):
        calls.append(args)
        release.wait(timeout=10)
        finished.set()
        return real(*args, **options)

    monkeypatch.setattr(service_module, "retrain", slow_retrain)

    async def scenario():
        sock, *_ = bind_sockets(0, "127.0.0.1")
        server = HTTPServer(app.make_app())
        server.add_sockets([sock])
        try:
            tuning = asyncio.create_task(app.retrain_in_thread())
            await asyncio.sleep(0)  # the retrain has started
            skipped = asyncio.create_task(app.retrain_in_thread())  # comes due meanwhile: skipped
            url = f"http://127.0.0.1:{sock.getsockname()[1]}{app.service_prefix}"
            answer = await AsyncHTTPClient().fetch(url, request_timeout=5)
            answered_during = not finished.is_set()
            await skipped
            release.set()
            await tuning
            return answer.code, answered_during
        finally:
            release.set()
            server.stop()

    code, answered_during = asyncio.run(scenario())
    assert code == 200 and answered_during, "the health check was answered while the retrain ran"
    assert len(calls) == 1, "a retrain that came due while one ran was skipped"
    assert finished.is_set() and app.model is not None and app.model.settings != HybridSettings()


@pytest.mark.parametrize("value", ["-1", "5000"])
def test_a_tuning_budget_out_of_range_is_refused(tmp_path, capfd, value):
    with pytest.raises(SystemExit):
        RecommenderService().initialize(
            [f"--tune-seconds={value}", f"--key-file={tmp_path / 'key'}", f"--db-url=sqlite:///{tmp_path / 'db'}"]
        )
    assert f"tune_seconds: {value}.0 is not between 0 and 3600 seconds" in capfd.readouterr().err


def test_the_store_url_comes_from_the_environment_the_hub_sets(tmp_path, monkeypatch):
    """The hub hands the store's URL (with its password) over in the environment, not on the command
    line, which every local account reads in /proc; --db-url still wins for a person's own run."""
    from mnss_recommender.service import DB_URL_ENV

    store = tmp_path / "from-env.sqlite"
    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{store}")
    app = RecommenderService()
    app.initialize([f"--courses={COURSES}", f"--key-file={tmp_path / 'key'}", "--retrain-seconds=0"])
    assert app.db_url == f"sqlite:///{store}" and store.exists()
    monkeypatch.delenv(DB_URL_ENV)
    assert RecommenderService().db_url == "sqlite:///mnss-recommender.sqlite"
    given = RecommenderService()
    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{store}")
    given.initialize([f"--db-url=sqlite:///{tmp_path / 'given.sqlite'}", f"--key-file={tmp_path / 'key'}"])
    assert given.db_url == f"sqlite:///{tmp_path / 'given.sqlite'}"
