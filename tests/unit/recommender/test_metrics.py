"""Recall@k, NDCG@k and coverage against values computed by hand."""

import math

import pytest

from mnss_recommender import metrics


def test_recall():
    assert metrics.recall_at_k(["a", "b", "c"], {"b", "z"}, k=10) == 0.5
    assert metrics.recall_at_k(["a", "b", "c"], {"c"}, k=2) == 0.0
    assert metrics.recall_at_k(["a"], set(), k=10) == 0.0


def test_ndcg_hand_computed():
    # hits at ranks 1 and 3 of 3 relevant: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/2
    expected = 1.5 / (1 + 1 / math.log2(3) + 0.5)
    assert metrics.ndcg_at_k(["a", "x", "b", "y"], {"a", "b", "c"}, k=10) == pytest.approx(expected)
    # one relevant item at rank 2: 1/log2(3)
    assert metrics.ndcg_at_k(["x", "a"], {"a"}, k=10) == pytest.approx(1 / math.log2(3))
    assert metrics.ndcg_at_k(["a", "b"], {"a", "b"}, k=10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["x", "a"], {"a"}, k=1) == 0.0


def test_ndcg_ideal_is_capped_at_k():
    # 3 relevant, k = 2, both shown relevant -> perfect
    assert metrics.ndcg_at_k(["a", "b"], {"a", "b", "c"}, k=2) == pytest.approx(1.0)


def test_coverage():
    assert metrics.coverage([["a", "b"], ["b", "c"]], 6) == 0.5
    assert metrics.coverage([], 6) == 0.0
    assert metrics.coverage([["a"]], 0) == 0.0
