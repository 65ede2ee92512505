"""Ranking metrics on one learner's list, and catalog coverage over everybody's lists (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def recall_at_k(recommended: Sequence, relevant: Iterable, k: int = 10) -> float:
    """Share of the relevant items that are in the first k recommended (0 when nothing is relevant)."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    return len(relevant.intersection(list(recommended)[:k])) / len(relevant)


def ndcg_at_k(recommended: Sequence, relevant: Iterable, k: int = 10) -> float:
    """Binary-relevance NDCG: sum of 1/log2(rank + 1) over hits in the first k (ranks from 1),
    divided by the same sum for an ideal list of min(k, |relevant|) hits."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(list(recommended)[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return float(dcg / ideal)


def coverage(recommendation_lists: Iterable[Iterable], catalog_size: int) -> float:
    """Share of the catalog that appears in at least one list."""
    if catalog_size <= 0:
        return 0.0
    shown = set()
    for items in recommendation_lists:
        shown.update(items)
    return len(shown) / catalog_size


def paired_bootstrap(a: Sequence[float], b: Sequence[float], rounds: int = 2000, seed: int = 0) -> tuple:
    """(mean of a - b, lower, upper): the 95% percentile interval of the mean paired difference,
    resampling the same learners for both (a[i] and b[i] are one learner's values)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    if diff.size == 0:
        raise ValueError("no paired values to compare")
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, (rounds, diff.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)
