"""The service's retrain: the hybrid fitted on every stored event, with its settings tuned the way
the benchmark tunes them (evaluate.tune_on: blend weights, "taken lately" half-life, new learners'
mix) on the newest events, held out in time. Untuned defaults were tuned once on simulated logs;
a hospital's own learners are not that simulator.

Tuning is bounded: it stops at `budget_seconds` with the best settings found so far, and the next
retrain resumes from them, so a large store is tuned over several retrains instead of holding one
up; a search that ran to its end is not resumed (the next one starts from the defaults, so the
same events give the same settings). With too few learners in the held-out period to measure
anything, the settings in use are kept (at first the defaults)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import evaluate
from .catalog import Catalog
from .interactions import EventLog
from .models import Hybrid, HybridSettings
from .profiles import LearnerProfile

HOLD_OUT = 0.8  # the newest 20 % of the events (in time) measure the settings, as in the benchmark


@dataclass(frozen=True)
class Retrained:
    model: Hybrid
    events: int
    validation_learners: int  # learners who started a new notebook in the held-out period
    tuned: bool  # the settings were tuned now (False: too few validation learners, or no budget)
    complete: bool  # the search ran to its end within the budget
    seconds: float

    def summary(self) -> str:
        s = self.model.settings
        if not self.tuned:
            how = f"settings kept ({self.validation_learners} validation learners)"
        else:
            how = (
                f"settings tuned on {self.validation_learners} validation learners"
                f"{'' if self.complete else ' (time budget reached: best so far)'}: lately half-life "
                f"{s.trend_half_life:g} d, weights " + ", ".join(f"{k} {v:g}" for k, v in s.weights.items() if v)
            )
        return f"Retrained on {self.events} events in {self.seconds:.1f} s; {how}"


def retrain(
    log: EventLog,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile] | None = None,
    current: HybridSettings | None = None,
    budget_seconds: float = 30.0,
    min_learners: int = 30,
    max_learners: int = 1000,
    resume: bool = False,
) -> Retrained:
    """A hybrid on all of `log`, with settings tuned on its newest events for at most about
    `budget_seconds` (0: no tuning, `current` is used), starting from the defaults, or from
    `current` when `resume` (the last search was cut short)."""
    started = time.monotonic()
    settings, validation_learners, tuned, complete = current or HybridSettings(), 0, False, True
    if budget_seconds > 0 and len(log):
        validation = evaluate.Validation(log, catalog, profiles, HOLD_OUT, max_learners=max_learners)
        validation_learners = len(validation.learners)
        if validation_learners >= min_learners:
            start = settings if resume else HybridSettings()
            settings, complete = evaluate.tune_on(validation, start, deadline=started + budget_seconds)
            tuned = True
    model = Hybrid(catalog, settings).fit(log.interactions(catalog))
    return Retrained(model, len(log), validation_learners, tuned, complete, time.monotonic() - started)
