"""The scoring core: pure functions of arrays, no state, no I/O.

Conventions: n = number of catalog items; an item is an index 0..n-1; a score vector has shape (n,);
`prerequisites` is the (n, n) boolean matrix with [i, j] true when j must be completed before i.
"""

from __future__ import annotations

import numpy as np


def startable(prerequisites: np.ndarray, completed, counts: np.ndarray | None = None) -> np.ndarray:
    """(n,) bool: items all of whose prerequisites are in `completed` (a bool mask or index array).
    `counts` (prerequisites.sum(axis=1)) may be given precomputed."""
    n = prerequisites.shape[0]
    done = np.flatnonzero(_mask(completed, n))
    if counts is None:
        counts = prerequisites.sum(axis=1)
    return counts - prerequisites[:, done].sum(axis=1) == 0


def candidates(n: int, seen, allowed: np.ndarray | None = None) -> np.ndarray:
    """(n,) bool: items not seen (touched or finished) and, if given, allowed (e.g. startable)."""
    mask = ~_mask(seen, n)
    return mask if allowed is None else mask & allowed


def unfinished(n: int, seen, completed, allowed: np.ndarray | None = None) -> np.ndarray:
    """(n,) bool: items touched but not completed (and, if given, allowed)."""
    mask = _mask(seen, n) & ~_mask(completed, n)
    return mask if allowed is None else mask & allowed


def normalized(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scores divided by their maximum over `mask`, zero outside it and zero when nothing is positive."""
    out = np.where(mask, np.maximum(scores, 0.0), 0.0)
    top = out.max() if out.size else 0.0
    return out / top if top > 0 else out


def neighbourhood(similarity: np.ndarray, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Item-based CF: score(i) = sum over history items h of similarity[i, h] * weight(h)."""
    if len(items) == 0:
        return np.zeros(similarity.shape[0])
    return similarity[:, items] @ np.asarray(weights, dtype=similarity.dtype)


def strongest_source(similarity: np.ndarray, item: int, items: np.ndarray, weights: np.ndarray) -> int | None:
    """The history item that contributes most to `item`'s neighbourhood score (for the reason)."""
    if len(items) == 0:
        return None
    contributions = similarity[item, items] * weights
    best = int(np.argmax(contributions))
    return int(items[best]) if contributions[best] > 0 else None


def recency_weights(count: int, half_life: float) -> np.ndarray:
    """Weights of a history in time order: the latest is 1, `half_life` items earlier 0.5."""
    if count == 0:
        return np.zeros(0)
    age = np.arange(count - 1, -1, -1, dtype=float)
    return 0.5 ** (age / half_life) if half_life > 0 else np.ones(count)


def transition_counts(sequences_learner: np.ndarray, sequences_item: np.ndarray, n: int, window: int = 2) -> np.ndarray:
    """(n, n) counts of "took b after a": pairs (a, b) at most `window` steps apart in one learner's
    ordered history, the next step counting 1, the one after 1/2, and so on.
    Inputs are flat arrays, grouped by learner and ordered in time."""
    counts = np.zeros((n, n))
    for step in range(1, window + 1):
        if len(sequences_item) <= step:
            break
        same = sequences_learner[:-step] == sequences_learner[step:]
        a, b = sequences_item[:-step][same], sequences_item[step:][same]
        np.add.at(counts, (a, b), 1.0 / step)
    np.fill_diagonal(counts, 0.0)
    return counts


def row_normalized(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1 (rows of zeros stay zero): counts -> "what comes next" probabilities."""
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix, dtype=float), where=sums > 0)


def category_affinity(
    categories: np.ndarray,
    items: np.ndarray,
    weights: np.ndarray,
    n_categories: int,
    prior: np.ndarray | None = None,
    prior_strength: float = 1.0,
) -> np.ndarray:
    """(n_categories,) distribution of a learner's interest: weighted history categories plus a prior
    (e.g. the categories of their department) worth `prior_strength` history items."""
    hist = (
        np.bincount(categories[items], weights=weights, minlength=n_categories).astype(float)
        if len(items)
        else np.zeros(n_categories)
    )
    base = np.full(n_categories, 1.0 / n_categories) if prior is None or prior.sum() == 0 else prior / prior.sum()
    total = hist + prior_strength * base
    return total / total.sum()


def popularity(
    counts: np.ndarray, affinity: np.ndarray | None = None, categories: np.ndarray | None = None
) -> np.ndarray:
    """Popularity, optionally weighted by the learner's affinity to each item's category."""
    counts = np.asarray(counts, dtype=float)
    if affinity is None:
        return counts
    return counts * affinity[categories]


def trending(items: np.ndarray, first_seen: np.ndarray, n: int, now: float, half_life: float) -> np.ndarray:
    """(n,) learners who started each item, each weighted 0.5 ** (age / half_life), age = now -
    first_seen (same unit): what was taken lately. half_life <= 0: every start counts 1."""
    if half_life <= 0:
        return np.bincount(items, minlength=n).astype(float)
    age = np.maximum(now - np.asarray(first_seen, float), 0.0)
    return np.bincount(items, weights=0.5 ** (age / half_life), minlength=n)


def started_since(items: np.ndarray, first_seen: np.ndarray, n: int, since: float) -> np.ndarray:
    """(n,) how many learners started each item at or after `since`."""
    return np.bincount(items[np.asarray(first_seen) >= since], minlength=n)


def prerequisite_pull(
    required_by: np.ndarray, interest: np.ndarray, blocked: np.ndarray, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Interest in items the learner cannot start yet, passed on to their startable prerequisites.

    `required_by` is the transposed prerequisite matrix: [j, b] true when b needs j.
    Returns (scores, source): scores[j] = max interest[b] over blocked b needing j (j allowed), and
    source[j] = that b, or -1."""
    n = required_by.shape[0]
    scores, source = np.zeros(n), np.full(n, -1)
    pull = np.where(blocked, interest, 0.0)
    allowed_idx = np.flatnonzero(allowed)
    if not (pull > 0).any() or len(allowed_idx) == 0:
        return scores, source
    pulled = required_by[allowed_idx] * pull  # (a, n)
    best = pulled.argmax(axis=1)
    scores[allowed_idx] = pulled[np.arange(len(allowed_idx)), best]
    source[allowed_idx] = np.where(scores[allowed_idx] > 0, best, -1)
    return scores, source


def unlocked_by(prerequisites: np.ndarray, recent_completed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Items that list one of the recently completed items (latest first) as a prerequisite.
    Returns (score, source): 1 for the latest, halving for each older one; source = that item or -1."""
    n = prerequisites.shape[0]
    scores, source = np.zeros(n), np.full(n, -1)
    for age, done in enumerate(recent_completed):
        value = 0.5**age
        hit = prerequisites[:, done] & (scores < value)
        scores[hit], source[hit] = value, done
    return scores, source


def ease_weights(matrix, l2: float = 500.0) -> np.ndarray:
    """(n, n) EASE^R item-item weights of a learners x items matrix: B = I - P / diag(P) with
    P = (X'X + l2 I)^-1, zero diagonal. A learner's scores are x_u @ B."""
    n = matrix.shape[1]
    gram = (matrix.T @ matrix).toarray().astype(np.float64)
    gram[np.diag_indices(n)] += l2
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


def blend(components: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted sum of (c, n) component scores."""
    return np.asarray(weights, dtype=float) @ components


def top_k(scores: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k best allowed items, best first; ties go to the lower index (deterministic)."""
    allowed = np.flatnonzero(mask)
    if len(allowed) == 0 or k <= 0:
        return allowed[:0]
    values = scores[allowed]
    if len(allowed) > k:
        part = np.argpartition(-values, k - 1)[:k]
        threshold = values[part].min()
        keep = np.flatnonzero(values >= threshold)  # every tie at the threshold, so the order below decides
        allowed, values = allowed[keep], values[keep]
    order = np.lexsort((allowed, -values))[:k]
    return allowed[order]


def _mask(selection, n: int) -> np.ndarray:
    selection = np.asarray(selection)
    if selection.dtype == bool and selection.shape == (n,):
        return selection
    mask = np.zeros(n, dtype=bool)
    if selection.size:
        mask[selection.astype(np.int64)] = True
    return mask
