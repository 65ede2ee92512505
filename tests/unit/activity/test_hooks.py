"""mnss_activity.hooks: the engine's and the course exchange's announcements become learning events."""

from importlib.metadata import EntryPoint
from unittest import mock

import pytest

from mnss_activity import hooks
from mnss_activity.buffer import EventBuffer
from mnss_courses.exchange import events
from mnss_foundation import plugins

FEEDBACK = '<h4 id="ps1">ps1 (Score: 3.0 / 4.0)</h4>'


@pytest.fixture
def recording(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("MNSS_RECOMMENDER_URL", "http://127.0.0.1:9/unused")
    return lambda: [(e["item"], e["kind"], e.get("score")) for e in EventBuffer().pending()]


@pytest.fixture
def registered(monkeypatch):
    """Only the activity extension's hooks, as pyproject.toml registers them."""
    points = [
        EntryPoint("activity", "mnss_activity.hooks:lab_started", "mnss_kernel.lab_started"),
        EntryPoint("activity", "mnss_activity.hooks:exchange_event", events.GROUP),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: [p for p in points if p.group == group])
    return points


def test_a_lab_started_in_a_course_notebook_is_a_topology_run(recording, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "hospital-lan/lan-build/lan-build.ipynb")
    hooks.lab_started(object())
    monkeypatch.setenv("JPY_SESSION_NAME", "scratch.ipynb")  # not a course notebook: nothing
    hooks.lab_started(object())
    assert recording() == [("hospital-lan/lan-build", "topology_run", None)]


def test_nothing_is_recorded_when_activity_is_not_reported(recording, monkeypatch):
    monkeypatch.delenv("MNSS_RECOMMENDER_URL")
    monkeypatch.setenv("JPY_SESSION_NAME", "hospital-lan/lan-build/lan-build.ipynb")
    hooks.lab_started(object())
    hooks.exchange_event(events.ExchangeEvent("submitted", "hospital-lan", "lan-build"))
    assert recording() == []


def test_exchange_steps_reach_the_buffer_through_the_registered_hook(recording, registered, tmp_path):
    page = tmp_path / "ps1.html"
    page.write_text(FEEDBACK, "utf-8")
    events.announce("fetched", "hospital-lan", "lan-build")
    events.announce("submitted", "hospital-lan", "lan-build")
    events.announce("feedback", "hospital-lan", "lan-build", [page])
    assert recording() == [
        ("hospital-lan/lan-build", "fetched", None),
        ("hospital-lan/lan-build", "submitted", None),
        ("hospital-lan/lan-build", "graded", 0.75),
    ]


def test_a_submission_is_one_event_however_often_submit_was_pressed(recording, registered):
    """The exchange answers a resubmission of unchanged work with the same key: the event is
    named by it, so the buffer (and the recommender) keep it once; a new submission is new."""
    events.announce("submitted", "hospital-lan", "lan-build", key="20261130T201500.000001Z")
    events.announce("submitted", "hospital-lan", "lan-build", key="20261130T201500.000001Z")
    assert [e["event_id"] for e in EventBuffer().pending()] == ["submitted-20261130T201500.000001Z"]
    events.announce("submitted", "hospital-lan", "lan-build", key="20261130T201700.000001Z")
    assert len(recording()) == 2


def test_an_unknown_exchange_step_is_refused_by_name():
    with pytest.raises(ValueError, match="'opened' is not one of fetched, submitted, feedback"):
        events.announce("opened", "hospital-lan", "lan-build")


def test_missing_registrations_are_found(monkeypatch, registered):
    assert hooks.missing() == []
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    assert hooks.missing() == ["mnss_kernel.lab_started", "mnss_courses.exchange_events"]


def load_extension(tmp_path, monkeypatch) -> mock.MagicMock:
    """Load the server extension into a mock server, with its handlers, timers and busy probe off."""
    import mnss_activity
    from mnss_activity import busy, panel, save_open, topology_open

    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(busy, "start", lambda *args: None)
    for module in (panel, topology_open, save_open):
        monkeypatch.setattr(module, "setup_handlers", lambda app: None)
    monkeypatch.setattr(mnss_activity, "PeriodicCallback", mock.MagicMock())
    serverapp = mock.MagicMock()
    mnss_activity._load_jupyter_server_extension(serverapp)
    return serverapp


def test_the_server_extension_logs_an_error_when_its_hooks_are_not_installed(recording, tmp_path, monkeypatch):
    """A stale install would lose topology runs and exchange steps without a word; say so."""
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    serverapp = load_extension(tmp_path, monkeypatch)
    (message, *args), _ = serverapp.log.error.call_args
    assert "no hook registered for %s" in message
    assert args == ["mnss_kernel.lab_started, mnss_courses.exchange_events", plugins.REINSTALL]


def test_the_server_extension_is_quiet_when_its_hooks_are_installed(recording, registered, tmp_path, monkeypatch):
    load_extension(tmp_path, monkeypatch).log.error.assert_not_called()
