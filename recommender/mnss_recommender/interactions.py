"""From raw events to what the models learn from: for each learner, the notebooks they touched
(in the order they first opened them), how deeply, and which they completed.

Completed means: graded with a best score >= `pass_mark`; or, when no grade with a score exists,
submitted. Events on notebooks that are not in the catalog (removed since) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .catalog import Catalog
from .events import KINDS, Event

# How strongly an event kind says "this learner engaged with this notebook".
KIND_WEIGHTS = {
    "opened": 1.0,
    "closed": 1.0,
    "fetched": 1.0,
    "executed": 2.0,
    "topology_run": 2.0,
    "submitted": 3.0,
    "graded": 3.0,
}
_KIND_WEIGHT_ARRAY = np.array([KIND_WEIGHTS[k] for k in KINDS])
PASS_MARK = 0.5


@dataclass(frozen=True)
class EventLog:
    """Events as columns, for bulk work (training, evaluation): learner and item names,
    kind as index into KINDS, epoch seconds, score or NaN."""

    learner: np.ndarray  # object (str)
    item: np.ndarray  # object (str)
    kind: np.ndarray  # int8
    timestamp: np.ndarray  # float64
    score: np.ndarray  # float64

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> EventLog:
        events = list(events)
        kind_code = {k: n for n, k in enumerate(KINDS)}
        return cls(
            np.array([e.learner for e in events], dtype=object),
            np.array([e.item for e in events], dtype=object),
            np.fromiter((kind_code[e.kind] for e in events), np.int8, len(events)),
            np.fromiter((e.timestamp for e in events), np.float64, len(events)),
            np.fromiter((np.nan if e.score is None else e.score for e in events), np.float64, len(events)),
        )

    def __len__(self) -> int:
        return len(self.timestamp)

    def select(self, rows) -> EventLog:
        return EventLog(self.learner[rows], self.item[rows], self.kind[rows], self.timestamp[rows], self.score[rows])

    def interactions(self, catalog: Catalog, pass_mark: float = PASS_MARK) -> Interactions:
        return Interactions.from_columns(
            catalog, self.learner, self.item, self.kind, self.timestamp, self.score, pass_mark
        )


@dataclass(frozen=True)
class LearnerHistory:
    """One learner's notebooks, as catalog indexes in the order first touched."""

    items: np.ndarray  # int, catalog index
    first_seen: np.ndarray  # float, epoch seconds
    strength: np.ndarray  # float, KIND_WEIGHTS of the deepest event
    completed: np.ndarray  # bool

    @classmethod
    def empty(cls) -> LearnerHistory:
        return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.items)

    def completed_items(self) -> np.ndarray:
        return self.items[self.completed]


class Interactions:
    """Per (learner, notebook) summaries, grouped by learner, ordered by first touch."""

    def __init__(
        self,
        catalog: Catalog,
        learners: list[str],
        indptr: np.ndarray,
        items: np.ndarray,
        first_seen: np.ndarray,
        strength: np.ndarray,
        completed: np.ndarray,
        n_events: int,
    ):
        self.catalog = catalog
        self.learners = learners
        self.learner_index = {who: n for n, who in enumerate(learners)}
        self.indptr, self.items, self.first_seen = indptr, items, first_seen
        self.strength, self.completed = strength, completed
        self.n_events = n_events

    def __len__(self) -> int:
        return len(self.items)

    def history(self, learner: str) -> LearnerHistory:
        row = self.learner_index.get(learner)
        if row is None:
            return LearnerHistory.empty()
        lo, hi = self.indptr[row], self.indptr[row + 1]
        return LearnerHistory(self.items[lo:hi], self.first_seen[lo:hi], self.strength[lo:hi], self.completed[lo:hi])

    def learner_rows(self) -> np.ndarray:
        """The learner row of each (learner, item) entry."""
        return np.repeat(np.arange(len(self.learners)), np.diff(self.indptr))

    def matrix(self, values: str = "strength") -> sparse.csr_matrix:
        """Learners x catalog items; values 'strength', 'binary' or 'completed'."""
        data = {
            "strength": self.strength,
            "binary": np.ones(len(self.items)),
            "completed": self.completed.astype(float),
        }[values]
        return sparse.csr_matrix(
            (data.astype(np.float32), self.items, self.indptr), shape=(len(self.learners), len(self.catalog))
        )

    # --- building -----------------------------------------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[Event], catalog: Catalog, pass_mark: float = PASS_MARK) -> Interactions:
        return EventLog.from_events(events).interactions(catalog, pass_mark)

    @classmethod
    def from_columns(
        cls, catalog: Catalog, learner, item, kind, timestamp, score, pass_mark: float = PASS_MARK
    ) -> Interactions:
        """Columns of equal length: learner and item names, kind as index into KINDS, epoch seconds, score or NaN."""
        item_code = pd.Series(pd.Index(catalog.ids).get_indexer(pd.Index(item)))
        keep = (item_code >= 0).to_numpy()
        learner_code, learner_names = pd.factorize(pd.Series(learner)[keep], sort=True)
        item_code = item_code.to_numpy()[keep].astype(np.int64)
        kind = np.asarray(kind)[keep]
        timestamp = np.asarray(timestamp, dtype=np.float64)[keep]
        score = np.asarray(score, dtype=np.float64)[keep]
        n_items = len(catalog)
        if len(item_code) == 0:
            return cls(
                catalog,
                [],
                np.zeros(1, np.int64),
                np.zeros(0, np.int64),
                np.zeros(0),
                np.zeros(0),
                np.zeros(0, bool),
                0,
            )

        key = learner_code.astype(np.int64) * n_items + item_code
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        first_seen = np.minimum.reduceat(timestamp[order], starts)
        strength = np.maximum.reduceat(_KIND_WEIGHT_ARRAY[kind[order]], starts)
        graded = (kind[order] == KINDS.index("graded")) & ~np.isnan(score[order])
        best = np.maximum.reduceat(np.where(graded, score[order], -1.0), starts)
        submitted = np.maximum.reduceat((kind[order] == KINDS.index("submitted")).astype(np.int8), starts) > 0
        completed = np.where(best >= 0, best >= pass_mark, submitted)

        pair_learner = key[starts] // n_items
        pair_item = key[starts] % n_items
        by_time = np.lexsort((pair_item, first_seen, pair_learner))
        pair_learner = pair_learner[by_time]
        indptr = np.zeros(len(learner_names) + 1, np.int64)
        np.cumsum(np.bincount(pair_learner, minlength=len(learner_names)), out=indptr[1:])
        return cls(
            catalog,
            [str(x) for x in learner_names],
            indptr,
            pair_item[by_time],
            first_seen[by_time],
            strength[by_time],
            completed[by_time],
            int(keep.sum()),
        )
