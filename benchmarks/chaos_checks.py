"""The pure parts of benchmarks/classroom_chaos.py: what a learner did against what the stores kept.

A learner's client knows how often it tried a step and how often the platform said it worked. A
retried step may have gone through the first time without the learner hearing so (the answer was
lost in the outage), so a store may hold up to one record per try; fewer than the confirmed ones
means something was lost, more than the tries means something was stored twice. Kept apart so it
is unit-tested without a hub (tests/unit/test_chaos_checks.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# step of the learner's client -> the learning event it makes in the recommender's store
EVENT_OF_STEP = {
    "fetch (panel open)": "fetched",
    "10-node lab in a kernel": "topology_run",
    "submit (panel)": "submitted",
}
SUBMIT = "submit (panel)"


@dataclass(frozen=True)
class Verdict:
    """One learner's count of one kind of record: confirmed <= kept <= tried is sound."""

    learner: str
    what: str
    confirmed: int
    tried: int
    kept: int

    @property
    def lost(self) -> int:
        return max(self.confirmed - self.kept, 0)

    @property
    def twice(self) -> int:
        return max(self.kept - self.tried, 0)

    @property
    def unconfirmed_kept(self) -> int:
        """Kept although the learner never heard it worked (a try whose answer was lost)."""
        return max(min(self.kept, self.tried) - self.confirmed, 0)


def fetched_expected(confirmed: int, tried: int) -> tuple[int, int]:
    """The exchange records a learner's first fetch only; opening it again fetches nothing, so the
    'fetched' event is made once however often the learner pressed Open."""
    return min(confirmed, 1), min(tried, 1)


def verdicts(learner: str, confirmed: Counter, tried: Counter, events: Counter, submissions: int) -> list[Verdict]:
    """Submissions in the exchange's store and each step's event in the recommender's store,
    for one learner, against what the learner's client tried and was told."""
    found = [Verdict(learner, "submission (exchange)", confirmed[SUBMIT], tried[SUBMIT], submissions)]
    for step, kind in EVENT_OF_STEP.items():
        ok, tries = confirmed[step], tried[step]
        if kind == "fetched":
            ok, tries = fetched_expected(ok, tries)
        found.append(Verdict(learner, f"{kind} event (recommender)", ok, tries, events[kind]))
    return found


def summary(found: list[Verdict]) -> dict:
    """Totals over all learners, and the learners with something lost or stored twice."""
    return {
        "confirmed": sum(v.confirmed for v in found),
        "kept": sum(v.kept for v in found),
        "lost": sum(v.lost for v in found),
        "stored_twice": sum(v.twice for v in found),
        "kept_unconfirmed": sum(v.unconfirmed_kept for v in found),
        "problems": [
            f"{v.learner}: {v.what}: confirmed {v.confirmed}, tried {v.tried}, kept {v.kept}"
            for v in found
            if v.lost or v.twice
        ],
    }


def growth(before: int | None, after: int | None) -> float | None:
    """Relative growth of a memory figure (0.05 = 5%); None when either is unknown."""
    if not before or after is None:
        return None
    return (after - before) / before
