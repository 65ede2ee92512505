"""Event model and store: checks, idempotent insert by id, queries, profiles."""

import math

import pytest
import sqlalchemy as sa

from mnss_recommender import Event, EventError, EventStore, LearnerProfile, pseudonym
from mnss_recommender.events import KINDS


def ev(n, learner="p1", item="net/a", kind="opened", ts=100.0, score=None, duration=None):
    return Event(f"e{n}", learner, item, kind, ts, score, duration)


def test_event_checks_every_field_at_once():
    with pytest.raises(EventError) as info:
        Event("", "", "no-slash", "clicked", math.nan, 1.5, -1.0)
    text = str(info.value)
    for part in ("event_id", "learner", "item", "kind: 'clicked'", "timestamp", "score", "duration"):
        assert part in text


def test_event_from_dict_iso_time_and_round_trip():
    e = Event.from_dict(
        {
            "event_id": "x1",
            "learner": "p",
            "item": "c/a",
            "kind": "graded",
            "timestamp": "2026-03-02T00:00:00+00:00",
            "score": 0.8,
        }
    )
    assert e.timestamp == 1772409600.0 and e.score == 0.8 and e.duration is None
    assert Event.from_dict(e.to_dict()) == e
    with pytest.raises(EventError, match="kind: missing"):
        Event.from_dict({"event_id": "x", "learner": "p", "item": "c/a", "timestamp": 1})
    with pytest.raises(EventError, match="unknown keys: user"):
        Event.from_dict(
            {"event_id": "x", "learner": "p", "item": "c/a", "kind": "opened", "timestamp": 1, "user": "alice"}
        )


def test_all_kinds_are_accepted():
    assert KINDS == ("opened", "executed", "submitted", "graded", "topology_run", "closed", "fetched")
    for n, kind in enumerate(KINDS):
        ev(n, kind=kind)


def test_insert_is_idempotent_by_event_id(tmp_path):
    store = EventStore(f"sqlite:///{tmp_path}/events.sqlite")
    first = [ev(1), ev(2, kind="executed", ts=101), ev(3, kind="graded", ts=102, score=0.9)]
    assert store.add(first) == 3
    assert store.add(first) == 0  # a producer's retry
    assert store.add([ev(2, kind="executed", ts=101), ev(4, ts=103), ev(4, ts=103)]) == 1  # dup inside a batch
    assert store.count() == 4
    # the same store opened again (another process) keeps them once
    assert EventStore(f"sqlite:///{tmp_path}/events.sqlite").add(first) == 0


def test_insert_in_small_batches_is_idempotent_too():
    store = EventStore()
    events = [ev(n, ts=float(n)) for n in range(25)]
    assert store.add(events, batch=7) == 25
    assert store.add(reversed(events), batch=4) == 0
    assert store.count() == 25


def test_queries():
    store = EventStore()
    store.add(
        [
            ev(1, "p1", "net/a", ts=10),
            ev(2, "p2", "net/b", ts=5),
            ev(3, "p1", "net/b", "graded", 20, 0.7),
            ev(4, "p2", "sys/a", ts=30),
        ]
    )
    assert [e.event_id for e in store.interactions()] == ["e2", "e1", "e3", "e4"]  # time order
    assert [e.event_id for e in store.interactions(learner="p1")] == ["e1", "e3"]
    assert [e.event_id for e in store.interactions(since=10, until=30)] == ["e1", "e3"]
    assert [e.event_id for e in store.interactions(items=["net/b"])] == ["e2", "e3"]
    assert store.interactions(learner="p1")[1].score == 0.7
    assert store.learners() == ["p1", "p2"]
    assert store.time_range() == (5, 30)
    log = store.log(until=30)
    assert log.learner.tolist() == ["p2", "p1", "p1"] and log.timestamp.tolist() == [5, 10, 20]
    assert math.isnan(log.score[0]) and log.score[2] == 0.7
    assert EventStore().time_range() is None


def test_profiles():
    store = EventStore()
    store.set_profile("p1", "network")
    store.set_profile("p2", None, ["data", "ai"])
    store.set_profile("p1", "operations")
    assert store.profiles() == {"p1": LearnerProfile("operations"), "p2": LearnerProfile(None, ("data", "ai"))}
    assert LearnerProfile("Network").interests() == ("networks",)
    assert LearnerProfile("network", ("ai",)).interests() == ("ai",)
    assert LearnerProfile("unknown").interests() == ()


def test_pseudonym_is_stable_and_keyed():
    assert pseudonym("alice", b"k1") == pseudonym("alice", b"k1")
    assert pseudonym("alice", b"k1") != pseudonym("alice", b"k2") != pseudonym("bob", b"k1")
    assert "alice" not in pseudonym("alice", b"k1")


def test_two_learners_may_use_the_same_event_id():
    store = EventStore()
    a = Event("same-id", "learner-a", "net/a", "opened", 100.0)
    b = Event("same-id", "learner-b", "net/a", "opened", 101.0)
    assert store.add([a]) == 1
    assert store.add([b]) == 1  # B's event is kept, not taken for A's retry
    assert store.add([a, b]) == 0
    assert sorted(e.learner for e in store.interactions()) == ["learner-a", "learner-b"]


def test_a_store_keyed_by_event_id_alone_is_moved_to_the_learner_key(tmp_path):
    url = f"sqlite:///{tmp_path}/old.sqlite"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE recommender_events (event_id VARCHAR(128) PRIMARY KEY, learner VARCHAR(128) NOT NULL, "
                "item VARCHAR(128) NOT NULL, kind VARCHAR(16) NOT NULL, ts FLOAT NOT NULL, score FLOAT, duration FLOAT)"
            )
        )
        conn.execute(sa.text("CREATE INDEX ix_recommender_events_ts ON recommender_events (ts)"))
        conn.execute(
            sa.text("INSERT INTO recommender_events VALUES ('x', 'learner-a', 'net/a', 'opened', 1, NULL, NULL)")
        )
    engine.dispose()
    store = EventStore(url)
    assert store.add([Event("x", "learner-b", "net/a", "opened", 2.0)]) == 1
    assert [(e.learner, e.event_id) for e in store.interactions()] == [("learner-a", "x"), ("learner-b", "x")]
    assert EventStore(url).count() == 2  # opening it again changes nothing


def test_ids_longer_than_their_column_are_refused():
    with pytest.raises(EventError, match="event_id: 129 characters, at most 128"):
        Event("e" * 129, "p", "net/a", "opened", 1.0)
    with pytest.raises(EventError, match="item: 200 characters"):
        Event("e", "p", "net/" + "a" * 196, "opened", 1.0)


def test_events_of_many_learners_by_kind_in_time_order():
    store = EventStore()
    store.add([ev(1, "a", ts=3.0, kind="graded", score=1.0), ev(2, "b", ts=1.0), ev(3, "a", ts=2.0, kind="graded")])
    store.add([ev(4, "c", ts=1.0, kind="graded", score=0.5)])
    found = store.events_of(["a", "b", "z", "a"], kinds=("graded",))
    assert list(found) == ["a", "b", "z"]
    assert [e.event_id for e in found["a"]] == ["e3", "e1"] and found["b"] == [] and found["z"] == []
    assert [e.event_id for e in store.events_of(["b"])["b"]] == ["e2"]
