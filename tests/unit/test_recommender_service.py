"""The service's request parsing and aggregate statistics (pure parts, no hub)."""

import json

import pytest

from mnss_recommender.events import EventError
from mnss_recommender.service import MIN_GROUP, course_statistics, events_from_request


def body(*events):
    return json.dumps({"events": list(events)}).encode()


EV = {"event_id": "a", "item": "hospital-lan/lan-build", "kind": "opened", "timestamp": 1700000000}


def test_the_learner_comes_from_the_token_only():
    (event,) = events_from_request(body(EV), "pseudo1")
    assert event.learner == "pseudo1"
    with pytest.raises(EventError, match=r"events\[0\]: learner is set by the hub"):
        events_from_request(body(EV | {"learner": "someone-else"}), "pseudo1")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"not json", "body is not JSON"),
        (b"{}", "at least one event"),
        (body(EV | {"kind": "danced"}), "events[0]: kind: 'danced' is not one of"),
        (body(EV, EV | {"item": "no-slash"}), "events[1]: item: 'no-slash' must be course-id/assignment-id"),
        (json.dumps({"events": [EV] * 1001}).encode(), "at most 1000 events"),
    ],
)
def test_bad_requests_are_named(raw, message):
    with pytest.raises(EventError, match=message.replace("[", r"\[").replace("]", r"\]")):
        events_from_request(raw, "p")


def test_statistics_hide_small_groups_and_other_courses():
    rows = [(f"l{i}", "c1/a", "graded", 0.5 + i / 100) for i in range(MIN_GROUP)]
    rows += [("l9", "c1/b", "opened", None), ("l1", "c2/x", "graded", 1.0)]
    stats = course_statistics(rows, "c1")
    assert [s["item"] for s in stats] == ["c1/a", "c1/b"]
    assert stats[0]["learners"] == MIN_GROUP and stats[0]["submitted"] == MIN_GROUP
    assert stats[0]["mean_score"] == pytest.approx(0.52)
    assert stats[1] == {"item": "c1/b", "learners": f"<{MIN_GROUP}"}
