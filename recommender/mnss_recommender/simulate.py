"""Synthetic but plausible activity logs on a real (or synthetic) catalog, the same for the same seed.

Each simulated learner comes from a hospital IT department, which shapes their interest in the five
categories; has favourite topics (tags), a skill level that grows as they finish notebooks, a pace,
and a day they join. They pick the next notebook among those they can start (prerequisites
completed), preferring their categories and topics, notebooks that suit their skill, the next
assignment of the course they are in and what their last success unlocked. Sometimes they peek
at a notebook they cannot start yet. They open, run cells (and topologies for live-network
notebooks), may give up when it is too hard, submit, get a grade that depends on their skill,
sometimes retry a failed one, and may leave the platform for good, more often after a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from .catalog import Catalog
from .events import KINDS, Event
from .interactions import EventLog
from .profiles import CATEGORIES, DEPARTMENT_CATEGORIES, LearnerProfile

DAY = 86400.0
EPOCH = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
DEPARTMENTS = tuple(DEPARTMENT_CATEGORIES)
DEPARTMENT_SHARE = (0.25, 0.2, 0.2, 0.12, 0.08, 0.1, 0.05)
K = {k: n for n, k in enumerate(KINDS)}


@dataclass(frozen=True)
class SimulationConfig:
    learners: int = 1000
    days: float = 180.0
    seed: int = 0
    notebooks_per_week: float = 1.2  # median pace
    dropout: float = 0.06  # chance to leave after a notebook (doubled after a failure)
    curiosity: float = 0.04  # chance to peek at a notebook that cannot be started yet
    profile_known: float = 0.8  # share of learners who told their department
    start: float = EPOCH


@dataclass(frozen=True)
class SimulatedLearner:
    pseudonym: str
    department: str
    skill: float
    interests: tuple[float, ...]  # per CATEGORIES
    favourite_tags: tuple[str, ...]
    joined: float


@dataclass
class SimulatedLog:
    """Events as columns (fast to train on); events() gives Event objects (for a store)."""

    catalog: Catalog
    seed: int
    learner: list[str] = field(default_factory=list)
    item: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # catalog index
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # index into KINDS
    timestamp: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN when none
    duration: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN when none
    learners: list[SimulatedLearner] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.timestamp)

    @property
    def profiles(self) -> dict[str, LearnerProfile]:
        return {x.pseudonym: LearnerProfile(x.department or None) for x in self.learners}

    def event_id(self, row: int) -> str:
        return f"sim{self.seed}-{row:08d}"

    def events(self, rows: np.ndarray | slice | None = None) -> list[Event]:
        picked = np.arange(len(self))[rows if rows is not None else slice(None)]
        ids = self.catalog.ids
        out = []
        for r in picked:
            score, duration = self.score[r], self.duration[r]
            out.append(
                Event(
                    self.event_id(int(r)),
                    self.learner[r],
                    ids[self.item[r]],
                    KINDS[self.kind[r]],
                    float(self.timestamp[r]),
                    None if np.isnan(score) else float(score),
                    None if np.isnan(duration) else float(duration),
                )
            )
        return out

    def log(self) -> EventLog:
        return EventLog(
            np.asarray(self.learner, dtype=object),
            np.asarray(self.catalog.ids, dtype=object)[self.item],
            self.kind,
            self.timestamp,
            self.score,
        )


def simulate(catalog: Catalog, config: SimulationConfig = SimulationConfig()) -> SimulatedLog:
    rng = np.random.default_rng(config.seed)
    n = len(catalog)
    cat_of = np.array([CATEGORIES.index(it.category) if it.category in CATEGORIES else 0 for it in catalog.items])
    difficulty = np.array([0.25, 0.5, 0.75])[catalog.level_codes] + 0.03 * np.array(
        [it.position for it in catalog.items]
    )
    quality = rng.lognormal(0.0, 0.5, n)
    prereq = catalog.prerequisite_matrix
    prereq_count = prereq.sum(axis=1).astype(np.int64)
    next_in_course = np.full(n, -1)
    by_pos = {(it.course, it.position): i for i, it in enumerate(catalog.items)}
    for i, it in enumerate(catalog.items):
        next_in_course[i] = by_pos.get((it.course, it.position + 1), -1)
    live = np.array([it.live_network for it in catalog.items])
    all_tags = sorted({t for it in catalog.items for t in it.tags})
    tag_matrix = (
        np.array([[t in it.tags for t in all_tags] for it in catalog.items], dtype=float)
        if all_tags
        else np.zeros((n, 0))
    )

    cols: dict[str, list] = {"learner": [], "item": [], "kind": [], "ts": [], "score": [], "duration": []}

    def emit(who, i, kind, ts, score=np.nan, duration=np.nan):
        cols["learner"].append(who)
        cols["item"].append(i)
        cols["kind"].append(K[kind])
        cols["ts"].append(ts)
        cols["score"].append(score)
        cols["duration"].append(duration)

    learners = []
    horizon = config.start + config.days * DAY
    for number in range(config.learners):
        who = f"learner-{config.seed}-{number:05d}"
        dept = DEPARTMENTS[rng.choice(len(DEPARTMENTS), p=DEPARTMENT_SHARE)]
        alpha = np.array([3.0 if c in DEPARTMENT_CATEGORIES[dept] else 0.3 for c in CATEGORIES])
        interest = rng.dirichlet(alpha)
        skill = float(np.clip(rng.beta(2.5, 2.5) + (0.1 if dept in ("network", "applications") else 0.0), 0.05, 0.95))
        fav = np.zeros(len(all_tags))
        if all_tags:
            tag_weight = interest[cat_of] @ tag_matrix + 1e-6
            picks = rng.choice(len(all_tags), min(3, len(all_tags)), replace=False, p=tag_weight / tag_weight.sum())
            fav[picks] = 1.0
        pace = config.notebooks_per_week * rng.lognormal(0.0, 0.4)
        joined = config.start + rng.uniform(0.0, 0.9) * config.days * DAY
        told = rng.random() < config.profile_known
        learners.append(
            SimulatedLearner(
                who,
                dept if told else "",
                skill,
                tuple(interest),
                tuple(all_tags[j] for j in np.flatnonzero(fav)),
                joined,
            )
        )

        static = interest[cat_of] ** 1.5 * quality * (1.0 + 1.5 * (tag_matrix @ fav if all_tags else 0.0))
        missing = prereq_count.copy()
        seen = np.zeros(n, bool)
        goal = np.zeros(n, bool)
        t, last_item, last_done = joined, -1, -1
        while t < horizon:
            startable = missing == 0
            if rng.random() < config.curiosity and (~startable & ~seen & ~goal).any():
                pool = np.flatnonzero(~startable & ~seen & ~goal)
                w = static[pool]
                i = int(pool[rng.choice(len(pool), p=w / w.sum())])
                emit(who, i, "opened", t)
                emit(who, i, "closed", t + 120.0, duration=120.0)
                goal[i] = True  # comes back to it once it can be started
                t += rng.exponential(1.0) * DAY
                continue
            pool = np.flatnonzero(startable & ~seen)
            if len(pool) == 0:
                break
            fit = np.exp(-((difficulty[pool] - skill - 0.1) ** 2) / (2 * 0.2**2)) + 0.15
            w = static[pool] * fit
            if last_item >= 0 and next_in_course[last_item] >= 0:
                w[pool == next_in_course[last_item]] *= 8.0
            if last_done >= 0:
                w[prereq[pool, last_done]] *= 3.0
            if goal.any():  # what they peeked at and could not start: work towards it
                w[prereq[goal][:, pool].any(axis=0)] *= 4.0
            i = int(pool[rng.choice(len(pool), p=w / w.sum())])
            seen[i] = True
            clock = t
            emit(who, i, "fetched", clock - 5.0)
            emit(who, i, "opened", clock)
            for _ in range(1 + rng.poisson(3)):
                spent = rng.exponential(180.0)
                clock += spent
                emit(who, i, "executed", clock, duration=spent)
            if live[i]:
                for _ in range(1 + rng.poisson(1)):
                    clock += rng.exponential(240.0)
                    emit(who, i, "topology_run", clock)
            gap = difficulty[i] - skill
            done = False
            if rng.random() < 0.08 + 0.5 * max(0.0, gap):
                clock += 60.0
            else:
                tries = 2 if rng.random() < 0.6 else 1
                for attempt in range(tries):
                    clock += rng.exponential(300.0)
                    emit(who, i, "submitted", clock)
                    score = float(np.clip(0.7 - 0.8 * gap + 0.15 * attempt + rng.normal(0, 0.12), 0.0, 1.0))
                    clock += 30.0
                    emit(who, i, "graded", clock, score=round(score, 3))
                    if score >= 0.5:
                        done = True
                        break
                    for _ in range(2):
                        clock += rng.exponential(180.0)
                        emit(who, i, "executed", clock)
            emit(who, i, "closed", clock + 10.0, duration=clock + 10.0 - t)
            last_item = i
            if done:
                goal[i] = False
                missing -= prereq[:, i]
                last_done = i
                skill = min(0.98, skill + 0.015)
            if rng.random() < config.dropout * (1.0 if done else 2.0):
                break
            t = clock + rng.exponential(7.0 / pace) * DAY

    ts = np.array(cols["ts"], dtype=np.float64)
    order = np.argsort(ts, kind="stable")
    learner_col = [cols["learner"][r] for r in order]
    return SimulatedLog(
        catalog,
        config.seed,
        learner_col,
        np.array(cols["item"], dtype=np.int64)[order],
        np.array(cols["kind"], dtype=np.int8)[order],
        ts[order],
        np.array(cols["score"])[order],
        np.array(cols["duration"])[order],
        learners,
    )
