"""Well-known collaborative-filtering baselines, fitted on the same Interactions and ranked through
the same Recommender interface as the hybrid, so the benchmark compares them under one split and
one metric code: EASE^R (Steck 2019, closed form) and PureSVD (Cremonesi et al. 2010, with
scikit-learn's TruncatedSVD). Both see only which items each learner touched (binary), never
order, completion, scores or courses: that is what the hybrid has and they have not.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import TruncatedSVD

from . import reasons, scoring
from .catalog import Catalog
from .models import Recommender


class _Baseline(Recommender):
    """Shared by the baselines: no reasons beyond popularity (they are for the benchmark)."""

    def reason(self, index, history, context):
        return reasons.popular(int(self.counts[index]))


class EASE(_Baseline):
    name = "ease"

    def __init__(self, catalog: Catalog, l2: float = 500.0):
        super().__init__(catalog)
        self.l2 = l2

    def _fit(self, interactions):
        self.weights_matrix = scoring.ease_weights(interactions.matrix("binary"), self.l2)

    def scores(self, history, profile):
        allowed = scoring.candidates(len(self.catalog), history.items)
        if len(history) == 0:
            return self._popular_fallback(), allowed, {}
        return self.weights_matrix[history.items].sum(axis=0) + 1e-6 * self._popular_fallback(), allowed, {}


class PureSVD(_Baseline):
    name = "puresvd"

    def __init__(self, catalog: Catalog, factors: int = 50, seed: int = 0):
        super().__init__(catalog)
        self.factors, self.seed = factors, seed

    def _fit(self, interactions):
        matrix = interactions.matrix("binary")
        k = max(1, min(self.factors, min(matrix.shape) - 1))
        if matrix.nnz == 0 or min(matrix.shape) < 2:
            self.item_factors = np.zeros((matrix.shape[1], 1), np.float32)
            return
        svd = TruncatedSVD(k, algorithm="randomized", random_state=self.seed).fit(matrix)
        self.item_factors = svd.components_.T.astype(np.float32)  # (n, k): V

    def scores(self, history, profile):
        allowed = scoring.candidates(len(self.catalog), history.items)
        if len(history) == 0:
            return self._popular_fallback(), allowed, {}
        user = self.item_factors[history.items].sum(axis=0)  # x_u V
        return self.item_factors @ user + 1e-6 * self._popular_fallback(), allowed, {}
