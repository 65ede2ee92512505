"""A learner's "next up" list: items of the courses they are enrolled in, then, only to fill the
list, at most one item of another course (OUTSIDE_SLOTS), marked "先选课 / Enrol first" in its
reason: the list is about the learner's courses, not a catalogue of everything else.

Pure (no I/O): the service passes the learner's fresh history (from the event store, so reasons
that say "you finished X" are true now, not as of the last training) and their courses (from the
hub groups `<course>-learners` its whoami answer carries).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import reasons
from .catalog import Catalog
from .interactions import LearnerHistory
from .models import Recommender

OUTSIDE_SLOTS = 1


def next_up(
    model: Recommender, catalog: Catalog, learner: str, history: LearnerHistory, enrolled: Iterable[str], k: int
) -> list[dict]:
    """Up to k recommendations as the API sends them: enrolled courses first, in the model's order,
    then at most OUTSIDE_SLOTS from other courses; `enrolled` and `enrol_first` say which is which."""
    mine = catalog.in_courses(enrolled)
    out = [
        _row(catalog, rec.item, rec.score, rec.reason, True)
        for rec in model.recommend(learner, k=k, history=history, only=mine)
    ]
    if len(out) < k:
        for rec in model.recommend(learner, k=min(k - len(out), OUTSIDE_SLOTS), history=history, only=~mine):
            index = catalog.index[rec.item]
            out.append(_row(catalog, rec.item, rec.score, reasons.enrol_first(catalog, index, rec.reason), False))
    return out


def _row(catalog: Catalog, item: str, score: float, reason: reasons.Reason, enrolled: bool) -> dict:
    it = catalog[item]
    return {
        "item": item,
        "score": round(float(score), 4),
        "reason_zh": reason.zh,
        "reason_en": reason.en,
        "title_zh": it.title_zh,
        "title_en": it.title_en,
        "enrolled": enrolled,
        "enrol_first": not enrolled,
    }
