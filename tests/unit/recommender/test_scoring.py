"""The recommender's pure scoring core, on arrays small enough to check by hand."""

import numpy as np
import pytest

from mnss_recommender import scoring

# items 0..3; 1 needs 0; 2 needs 0 and 1; 3 needs nothing
PRE = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)


@pytest.mark.parametrize(
    "completed, expected",
    [
        ([], [True, False, False, True]),
        ([0], [True, True, False, True]),
        ([0, 1], [True, True, True, True]),
        ([1], [True, False, False, True]),  # 2 still needs 0
    ],
)
def test_startable(completed, expected):
    assert scoring.startable(PRE, np.array(completed, dtype=int)).tolist() == expected


def test_startable_accepts_a_mask_and_precomputed_counts():
    assert scoring.startable(PRE, np.array([True, False, False, False])).tolist() == [True, True, False, True]
    assert scoring.startable(PRE, np.array([0]), PRE.sum(axis=1)).tolist() == [True, True, False, True]


def test_candidates_exclude_seen_and_not_allowed():
    allowed = np.array([True, True, False, True])
    assert scoring.candidates(4, np.array([0]), allowed).tolist() == [False, True, False, True]
    assert scoring.candidates(4, np.array([], dtype=int)).tolist() == [True] * 4


def test_unfinished():
    assert scoring.unfinished(4, np.array([0, 1, 2]), np.array([0])).tolist() == [False, True, True, False]
    allowed = np.array([True, True, False, True])
    assert scoring.unfinished(4, np.array([0, 1, 2]), np.array([0]), allowed).tolist() == [False, True, False, False]


def test_normalized():
    out = scoring.normalized(np.array([2.0, 4.0, -1.0, 8.0]), np.array([True, True, True, False]))
    assert out.tolist() == [0.5, 1.0, 0.0, 0.0]
    assert scoring.normalized(np.zeros(3), np.ones(3, bool)).tolist() == [0, 0, 0]


def test_neighbourhood_and_strongest_source():
    sim = np.array([[0.0, 0.5, 0.1], [0.5, 0.0, 0.8], [0.1, 0.8, 0.0]])
    scores = scoring.neighbourhood(sim, np.array([0, 1]), np.array([1.0, 2.0]))
    assert scores == pytest.approx([0 + 1.0, 0.5 + 0, 0.1 + 1.6])
    assert scoring.strongest_source(sim, 2, np.array([0, 1]), np.array([1.0, 2.0])) == 1
    assert scoring.strongest_source(sim, 2, np.array([], dtype=int), np.array([])) is None
    assert scoring.neighbourhood(sim, np.array([], dtype=int), np.array([])).tolist() == [0, 0, 0]


def test_recency_weights():
    assert scoring.recency_weights(3, 1.0).tolist() == [0.25, 0.5, 1.0]
    assert scoring.recency_weights(2, 0).tolist() == [1.0, 1.0]
    assert len(scoring.recency_weights(0, 2.0)) == 0


def test_transition_counts_within_learners_only():
    learner = np.array([0, 0, 0, 1, 1])
    item = np.array([0, 1, 2, 2, 0])
    counts = scoring.transition_counts(learner, item, 3, window=2)
    expected = np.zeros((3, 3))
    expected[0, 1] += 1  # learner 0: 0 -> 1
    expected[1, 2] += 1  # 1 -> 2
    expected[0, 2] += 0.5  # 0 -> (skip) -> 2
    expected[2, 0] += 1  # learner 1: 2 -> 0; nothing across learners (2 -> 2 of 0|1)
    assert counts.tolist() == expected.tolist()
    assert scoring.row_normalized(expected)[0].tolist() == pytest.approx([0, 1 / 1.5, 0.5 / 1.5])
    assert scoring.row_normalized(np.zeros((2, 2))).tolist() == [[0, 0], [0, 0]]


def test_category_affinity_mixes_history_and_prior():
    cats = np.array([0, 0, 1])
    aff = scoring.category_affinity(
        cats, np.array([0, 1]), np.array([1.0, 1.0]), 2, prior=np.array([0.0, 1.0]), prior_strength=2.0
    )
    assert aff.tolist() == pytest.approx([0.5, 0.5])
    assert scoring.category_affinity(cats, np.array([], dtype=int), np.array([]), 2).tolist() == [0.5, 0.5]


def test_popularity_weighted_by_affinity():
    assert scoring.popularity(np.array([10, 10, 4])).tolist() == [10, 10, 4]
    out = scoring.popularity(np.array([10, 10, 4]), np.array([0.2, 0.8]), np.array([0, 1, 1]))
    assert out.tolist() == pytest.approx([2.0, 8.0, 3.2])


def test_prerequisite_pull_passes_interest_to_startable_prerequisites():
    interest = np.array([0.0, 0.3, 0.9, 0.0])
    blocked = np.array([False, True, True, False])
    allowed = np.array([True, False, False, True])
    scores, source = scoring.prerequisite_pull(PRE.T.copy(), interest, blocked, allowed)
    assert scores.tolist() == [0.9, 0.0, 0.0, 0.0]  # 0 is needed by 1 (0.3) and 2 (0.9): the max counts
    assert source.tolist() == [2, -1, -1, -1]


def test_unlocked_by_latest_completion_first():
    scores, source = scoring.unlocked_by(PRE, np.array([1, 0]))  # 1 completed last, 0 before
    assert scores.tolist() == [0.0, 0.5, 1.0, 0.0]
    assert source.tolist() == [-1, 0, 1, -1]


def test_blend():
    comps = np.array([[1.0, 0.0], [0.5, 1.0]])
    assert scoring.blend(comps, np.array([2.0, 1.0])).tolist() == [2.5, 1.0]


def test_top_k_order_ties_and_mask():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9])
    mask = np.array([True, True, True, True, False])
    assert scoring.top_k(scores, mask, 3).tolist() == [1, 0, 2]  # tie 0.5: lower index first
    assert scoring.top_k(scores, mask, 10).tolist() == [1, 0, 2, 3]
    assert scoring.top_k(scores, np.zeros(5, bool), 3).tolist() == []
    assert scoring.top_k(np.zeros(6), np.ones(6, bool), 2).tolist() == [0, 1]


def test_trending_halves_a_start_every_half_life_and_counts_recent_starts():
    items = np.array([0, 0, 1, 2, 2, 2])
    first_seen = np.array([100.0, 90.0, 100.0, 80.0, 80.0, 60.0])  # now = 100, half-life 10
    assert scoring.trending(items, first_seen, 4, 100.0, 10.0) == pytest.approx([1.5, 1.0, 0.25 + 0.25 + 0.0625, 0.0])
    assert scoring.trending(items, first_seen, 4, 100.0, 0.0).tolist() == [2, 1, 3, 0]  # no decay: counts
    assert scoring.started_since(items, first_seen, 4, 80.0).tolist() == [2, 1, 2, 0]


def test_ease_weights_are_the_ridge_regression_of_each_item_on_the_others():
    """Steck's closed form B = I - P diag(1/diag P), P = (X'X + l2 I)^-1, against each column's own
    ridge regression with a zero diagonal: B[-j, j] = (X_-j' X_-j + l2 I)^-1 X_-j' x_j."""
    from scipy import sparse

    x = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 1, 0], [0, 0, 1, 1]], float)
    l2 = 0.5
    b = scoring.ease_weights(sparse.csr_matrix(x), l2)
    for j in range(4):
        others = [c for c in range(4) if c != j]
        xo = x[:, others]
        expected = np.linalg.solve(xo.T @ xo + l2 * np.eye(3), xo.T @ x[:, j])
        assert b[others, j] == pytest.approx(expected, abs=1e-5)
        assert b[j, j] == 0
