"""A learner's progress in a course, read from the course exchange's own store.

The hub and the exchange service run on the same machine as the same user, so the portal reads the
store's records directly (read only: released, fetched, submitted, feedback) instead of asking
the service for someone else's data, which its API rightly refuses. The score of graded work is
the one nbgrader writes into the feedback it hands back ("(Score: X / Y)"), as the learner sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mnss_activity.graded import graded_event_id, pages_score
from mnss_courses.exchange.names import TIMESTAMP_FORMAT
from mnss_courses.exchange.store import Store, StoreError

from .catalog import Progress

SCORE = re.compile(rb"\(Score: ([0-9]+(?:\.[0-9]+)?) / ([0-9]+(?:\.[0-9]+)?)\)</h4>")


def feedback_score(pages: list[bytes]) -> float | None:
    """Score 0..1 over all notebooks of one feedback, or None when it names none."""
    got = total = 0.0
    for page in pages:
        match = SCORE.search(page)
        if match:
            got, total = got + float(match[1]), total + float(match[2])
    return min(1.0, got / total) if total > 0 else None


def learner_progress(store: Store, course: str, learner: str) -> Progress:
    """What the exchange has of `learner` in `course`; the newest feedback of each assignment counts."""
    try:
        released = {m["assignment_id"] for m in store.released(course)}
        fetched = store.fetched(course, learner)
        submitted = {m["assignment_id"] for m in store.submissions(course, student=learner)}
        newest: dict[str, dict] = {}
        for m in store.feedback(course, None, learner):
            newest[m["assignment_id"]] = m  # sorted by (assignment, key): the last one is the newest
    except StoreError:
        return Progress()
    graded = {}
    for aid, meta in newest.items():
        try:
            graded[aid] = feedback_score([content for _, content in store.entries(meta)])
        except StoreError:
            graded[aid] = None
    return Progress(frozenset(released), frozenset(fetched), frozenset(submitted), graded)


def graded_events(store: Store, course: str, learner: str) -> list[dict]:
    """The 'graded' learning events of `learner` in `course`, one per feedback the exchange holds,
    scored 0..1 from the feedback pages and dated when the feedback was released. They carry the
    id the learner's server gives the same feedback when it fetches it (mnss_activity.graded), so
    the recommender keeps one event whichever sends it first: the record needs no fetch in the lab."""
    try:
        returned = store.feedback(course, None, learner)
    except StoreError:
        return []
    events = []
    for meta in returned:
        try:
            entries = sorted(store.entries(meta))
            released = datetime.strptime(meta["released_at"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        except (StoreError, KeyError, ValueError):
            continue
        found = pages_score(content.decode("utf-8", "replace") for _, content in entries)
        if found is not None:
            score, digest = found
            events.append(
                {
                    "event_id": graded_event_id(digest, learner),
                    "item": f"{course}/{meta['assignment_id']}",
                    "kind": "graded",
                    "score": round(score, 4),
                    "timestamp": released.timestamp(),
                }
            )
    return events
