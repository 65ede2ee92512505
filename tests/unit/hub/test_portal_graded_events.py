"""Graded feedback in the exchange's store becomes 'graded' events the hub hands to the record: the
score read from nbgrader's feedback pages, dated at release, with the same id the learner's server
gives that feedback when it fetches it (so the recommender keeps it once)."""

import time

import pytest

from mnss_activity.graded import feedback_score, graded_event_id
from mnss_courses.exchange.store import Store
from mnss_hub.portal.progress import graded_events
from tests.unit.activity.test_graded import feedback_html

COURSE, AID = "hospital-lan", "lan-build"
NB = [(f"{AID}.ipynb", b'{"cells": []}')]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "exchange")
    store.release(COURSE, AID, NB, by="teach")
    return store


def test_feedback_becomes_one_graded_event_with_the_servers_id(store, tmp_path, monkeypatch):
    sub = store.submit(COURSE, AID, "nurse", NB)
    pages = {"a.html": feedback_html("a", 8, 10), "b.html": feedback_html("b", 1, 2)}
    store.put_feedback(COURSE, AID, "nurse", sub["timestamp"], [(n, t.encode()) for n, t in pages.items()], by="t")

    (event,) = graded_events(store, COURSE, "nurse")
    assert event["item"] == f"{COURSE}/{AID}" and event["kind"] == "graded" and event["score"] == 0.75
    assert abs(event["timestamp"] - time.time()) < 60

    for name, text in pages.items():  # the same feedback, as the learner's server fetches it
        (tmp_path / name).write_text(text)
    monkeypatch.setenv("JUPYTERHUB_USER", "nurse")
    _, digest = feedback_score([tmp_path / n for n in pages])
    assert event["event_id"] == graded_event_id(digest)
    assert graded_events(store, COURSE, "clerk") == [], "nobody else's feedback"


def test_no_feedback_or_no_score_no_event(store):
    sub = store.submit(COURSE, AID, "nurse", NB)
    assert graded_events(store, COURSE, "nurse") == []
    store.put_feedback(COURSE, AID, "nurse", sub["timestamp"], [("a.html", b"<html>no score</html>")], by="t")
    assert graded_events(store, COURSE, "nurse") == []
    assert graded_events(store, "python-basics", "nurse") == [], "a course without records"
