"""Tuning the hybrid on a validation split inside the training period: the batch NDCG it scores
with, and that it finds a signal that is there ("taken lately"), with a reason that holds."""

import numpy as np
import pytest

from mnss_recommender import Catalog, Hybrid, Item, metrics, scoring
from mnss_recommender.evaluate import _batch_ndcg, temporal_split, tune_settings
from mnss_recommender.events import KINDS
from mnss_recommender.interactions import EventLog
from mnss_recommender.models import DAY, HybridSettings


def test_batch_ndcg_is_the_per_learner_ndcg_of_top_k():
    """Same lists as scoring.top_k (ties to the lower index, only allowed items), same metric."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        v, n, k = rng.integers(1, 15), rng.integers(1, 30), rng.integers(1, 12)
        scores = rng.integers(0, 4, (v, n)).astype(float)  # many ties
        allowed = rng.random((v, n)) < 0.7
        relevant = rng.random((v, n)) < 0.3
        relevant[:, 0] = True
        want = np.mean(
            [
                metrics.ndcg_at_k(scoring.top_k(scores[r], allowed[r], k).tolist(), set(np.flatnonzero(relevant[r])), k)
                for r in range(v)
            ]
        )
        assert _batch_ndcg(scores, allowed, relevant, k) == pytest.approx(want, abs=1e-12)


CATALOG = Catalog(tuple(Item(f"c/{i}", f"作业{i}", f"Item {i}", "networks", text=f"item {i}") for i in range(12)))


def fashion_log(seed: int = 0, learners: int = 500, days: float = 100.0) -> EventLog:
    """Each learner takes 4 items, two days apart, from what is in fashion on the day: items 0-5
    before day 60 (0 the favourite), items 6-11 after (6 the favourite). Over the whole log the
    early items are the most taken; lately, the late ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(learners):
        start = rng.uniform(0, days - 8)
        taken = set()
        for step in range(4):
            t = start + 2 * step
            pool = np.arange(6) if t < 60 else np.arange(6, 12)
            p = np.r_[3.0, np.ones(5)]
            choice = [i for i in rng.choice(pool, 6, replace=False, p=p / p.sum()) if i not in taken][0]
            taken.add(choice)
            rows.append((f"u{n}", f"c/{choice}", t * DAY))
    learner, item, t = map(np.array, zip(*rows, strict=True))
    order = np.argsort(t, kind="stable")
    count = len(rows)
    return EventLog(
        learner[order].astype(object),
        item[order].astype(object),
        np.full(count, KINDS.index("executed"), np.int8),
        t[order].astype(float),
        np.full(count, np.nan),
    )


def test_tuning_finds_what_was_taken_lately_and_says_so():
    train = temporal_split(fashion_log(), 0.8).train
    start = HybridSettings(ease_l2=50.0)
    settings = tune_settings(train, CATALOG, settings=start, horizon="all", half_lives=(3.0, 30.0), cold_trends=(1, 4))
    assert settings.weights["trending"] > 0 and settings.cold_trend > 0, settings
    assert settings.ease_l2 == 50.0  # what is not tuned is kept
    model = Hybrid(CATALOG, settings).fit(train.interactions(CATALOG))
    new = model.recommend("newcomer", 3)
    assert {r.item for r in new} <= {f"c/{i}" for i in range(6, 12)}, new
    days = max(1, int(np.ceil(settings.cold_half_life)))
    top = new[0]
    since = train.timestamp.max() - days * DAY
    took = [(who, t) for who, it, t in zip(train.learner, train.item, train.timestamp, strict=True) if it == top.item]
    recent = {who for who, t in took if t >= since}
    assert 0 < len(recent) < len({who for who, _ in took})
    assert top.reason.en == f"started by {len(recent)} learners in the last {days} days"
    assert top.reason.zh == f"最近 {days} 天有 {len(recent)} 位学员开始学它"
