"""'graded' learning events from the feedback nbgrader hands back to the learner.

Autograding runs on the instructor's side, so an event sent from there would carry the
instructor's identity (the recommender takes the learner from the token). The learner's own
server gets the result when `nbgrader fetch_feedback` unpacks the feedback HTML: this reads the
score from it (nbgrader's feedback template heads each notebook with "<name> (Score: X / Y)") and
records one 'graded' event, scored 0..1. The event id derives from the feedback and the learner
($JUPYTERHUB_USER, hashed), so the same feedback fetched again is stored once, and two learners
with word-for-word the same feedback still get two events.

Called by the exchange client right after it unpacks feedback (ExchangeFetchFeedback.copy_files,
which knows the course and assignment), as ExchangeSubmit records 'submitted'.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from mnss_foundation.server_settings import ENV

from .buffer import EventBuffer

SCORE = re.compile(r"\(Score: ([0-9]+(?:\.[0-9]+)?) / ([0-9]+(?:\.[0-9]+)?)\)</h4>")


def feedback_score(html_files: Iterable[str | os.PathLike]) -> tuple[float, str] | None:
    """(score 0..1 over all notebooks, digest of the feedback) or None when no score is found."""
    files = sorted(Path(f) for f in html_files if str(f).endswith(".html"))
    return pages_score(f.read_text("utf-8", "replace") for f in files)


def pages_score(pages: Iterable[str]) -> tuple[float, str] | None:
    """The same for the feedback pages' texts, in the order of their file names (the hub reads
    them from the exchange's store, the server from the files it fetched)."""
    got = total = 0.0
    digest = hashlib.sha256()
    for text in pages:
        digest.update(text.encode())
        match = SCORE.search(text)
        if match:
            got, total = got + float(match[1]), total + float(match[2])
    return (min(1.0, got / total), digest.hexdigest()[:32]) if total > 0 else None


def record_feedback(
    course: str, assignment: str, html_files: Iterable[str | os.PathLike], buffer: EventBuffer | None = None
) -> str | None:
    """Record 'graded' for course/assignment from its feedback files, when this server reports
    activity ($MNSS_RECOMMENDER_URL); returns the event id, or None if nothing was recorded."""
    if buffer is None and not os.environ.get(ENV["recommender_url"]):
        return None
    found = feedback_score(html_files)
    if found is None:
        return None
    score, digest = found
    return (buffer or EventBuffer()).record(
        f"{course}/{assignment}", "graded", score=round(score, 4), event_id=graded_event_id(digest)
    )


def graded_event_id(feedback_digest: str, learner: str | None = None) -> str:
    """`graded-<hash of the learner (this server's user) and the feedback>`: stable per learner
    and feedback, so the hub and the learner's server name the same feedback's event alike."""
    learner = os.environ.get("JUPYTERHUB_USER", "") if learner is None else learner
    return "graded-" + hashlib.sha256(f"{learner}\0{feedback_digest}".encode()).hexdigest()[:32]
