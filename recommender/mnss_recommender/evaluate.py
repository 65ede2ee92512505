"""Offline evaluation: temporal split, Recall@k, NDCG@k and catalog coverage for every model.

Protocol: events before the `train_fraction` quantile of time train the models; for each learner
active after it, the relevant items are the notebooks they first touched after it (never before).
Every model ranks k items for them from the training history only. Learners with no training
history are "cold" and get their profile's cold-start list; they are also reported apart.
Hybrid weights, when tuned, are tuned on a split *inside* the training period (never on the test).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import metrics, scoring
from .baselines import EASE, PureSVD
from .catalog import Catalog
from .interactions import EventLog, Interactions
from .models import COMPONENTS, MODELS, Hybrid, HybridSettings, Recommender
from .profiles import LearnerProfile

MODEL_NAMES = ("popularity", "item-knn", "content", "hybrid")
BASELINES = {"ease": EASE, "puresvd": PureSVD}


def build(name: str, catalog: Catalog, **options) -> Recommender:
    """A model of the project (models.MODELS) or a baseline (BASELINES) by name."""
    return {**MODELS, **BASELINES}[name](catalog, **options)


@dataclass(frozen=True)
class Split:
    cutoff: float
    train: EventLog
    test: EventLog


@dataclass(frozen=True)
class ModelResult:
    model: str
    recall: float
    ndcg: float
    coverage: float
    learners: int
    cold_learners: int
    recall_cold: float
    ndcg_cold: float
    fit_seconds: float
    ndcg_each: np.ndarray = field(default=None, repr=False, compare=False)  # per learner, sorted by learner


def temporal_split(log: EventLog, train_fraction: float = 0.8) -> Split:
    """Events before the train_fraction quantile of timestamps train; the rest test."""
    if len(log) == 0:
        raise ValueError("no events to split")
    cutoff = float(np.quantile(log.timestamp, train_fraction))
    before = log.timestamp < cutoff
    return Split(cutoff, log.select(before), log.select(~before))


def per_learner_split(log: EventLog, train_fraction: float = 0.8) -> Split:
    """Each learner's first train_fraction of events (by time) train, the rest test. Every test learner
    has a history, but training also holds other learners' later events: a sanity check, not a
    replay of time (the global temporal_split is)."""
    if len(log) == 0:
        raise ValueError("no events to split")
    codes, _ = pd.factorize(pd.Series(log.learner))
    order = np.lexsort((log.timestamp, codes))
    sizes = np.bincount(codes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    position = np.empty(len(log))
    position[order] = np.arange(len(log)) - np.repeat(starts, sizes)
    in_train = position < np.floor(sizes[codes] * train_fraction)
    return Split(float("nan"), log.select(in_train), log.select(~in_train))


SPLITS = {"global": temporal_split, "per-learner": per_learner_split}


def relevant_items(
    train: Interactions, test_log: EventLog, horizon: str = "all", min_strength: float = 2.0
) -> dict[str, np.ndarray]:
    """learner -> catalog indexes of notebooks they started working on in the test period and had
    not touched before. Working on means at least `min_strength` (2 = ran a cell; a mere open, such
    as a peek at a notebook one cannot start yet, does not count).
    horizon "all": every such notebook; "next": only the first of them (the next notebook)."""
    test = test_log.interactions(train.catalog)
    out = {}
    for learner in test.learners:
        h = test.history(learner)
        new = ~np.isin(h.items, train.history(learner).items) & (h.strength >= min_strength)
        if new.any():
            out[learner] = np.sort(h.items[new]) if horizon == "all" else h.items[new][:1]
    return out


HORIZONS = ("next", "all")


def evaluate_model(
    model: Recommender,
    relevant: dict[str, np.ndarray],
    profiles: dict[str, LearnerProfile] | None = None,
    k: int = 10,
    fit_seconds: float = 0.0,
) -> ModelResult:
    profiles = profiles or {}
    recall, ndcg, cold, lists = [], [], [], []
    for learner in sorted(relevant):
        history = model.history(learner)
        ranked = model.rank(history, k, profiles.get(learner))
        rel = set(relevant[learner].tolist())
        recall.append(metrics.recall_at_k(ranked.tolist(), rel, k))
        ndcg.append(metrics.ndcg_at_k(ranked.tolist(), rel, k))
        cold.append(len(history) == 0)
        lists.append(ranked.tolist())
    recall_a, ndcg_a, cold_a = np.array(recall), np.array(ndcg), np.array(cold, bool)

    def mean(values, mask):
        return float(values[mask].mean()) if mask.any() else 0.0

    everyone = np.ones(len(recall_a), bool)
    return ModelResult(
        model.name,
        mean(recall_a, everyone),
        mean(ndcg_a, everyone),
        metrics.coverage(lists, len(model.catalog)),
        len(recall_a),
        int(cold_a.sum()),
        mean(recall_a, cold_a),
        mean(ndcg_a, cold_a),
        fit_seconds,
        ndcg_a,
    )


def evaluate(
    log: EventLog,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile] | None = None,
    models=MODEL_NAMES,
    train_fraction: float = 0.8,
    k: int = 10,
    hybrid_settings: HybridSettings | None = None,
    split: str = "global",
    horizons=HORIZONS,
) -> dict[str, list[ModelResult]]:
    """horizon -> one ModelResult per model (each model fitted once on the training part)."""
    parts = SPLITS[split](log, train_fraction)
    train = parts.train.interactions(catalog)
    relevant = {h: relevant_items(train, parts.test, h) for h in horizons}
    results: dict[str, list[ModelResult]] = {h: [] for h in horizons}
    for name in models:
        model = build(name, catalog, **({"settings": hybrid_settings} if name == "hybrid" and hybrid_settings else {}))
        started = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - started
        for h in horizons:
            results[h].append(evaluate_model(model, relevant[h], profiles, k, seconds))
    return results


# --- tuning the hybrid ---------------------------------------------------------------------------


def _batch_ndcg(scores: np.ndarray, allowed: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Mean NDCG@k of (v, n) scores restricted to allowed, against (v, n) boolean relevance."""
    v, n = scores.shape
    k = min(k, n)
    masked = np.where(allowed, scores, -np.inf)
    # the k best of each row without sorting it all; ties broken by the lower index, as scoring.top_k does
    kth = np.partition(masked, n - k, axis=1)[:, n - k : n - k + 1]
    above, equal = masked > kth, masked == kth
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (equal & (np.cumsum(equal, axis=1) <= room))
    picked = np.nonzero(chosen)[1].reshape(v, k)  # k per row, by index
    order = np.lexsort((picked, -np.take_along_axis(masked, picked, axis=1)), axis=1)
    picked = np.take_along_axis(picked, order, axis=1)
    picked_ok = np.take_along_axis(allowed, picked, axis=1)
    hits = np.take_along_axis(relevant, picked, axis=1) & picked_ok
    discounts = 1.0 / np.log2(np.arange(k) + 2)
    dcg = hits @ discounts
    ideal = np.cumsum(discounts)[np.minimum(relevant.sum(axis=1), k) - 1]
    return float(np.mean(dcg / ideal))


def tune_hybrid(
    train_log: EventLog,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile] | None = None,
    inner_fraction: float = 0.8,
    k: int = 10,
    values=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    rounds: int = 4,
    max_learners: int = 3000,
    seed: int = 0,
    split: str = "global",
    horizon: str = "next",
    settings: HybridSettings | None = None,
) -> dict[str, float]:
    """Weights that maximise NDCG@k on the last (1 - inner_fraction) of the *training* events,
    by coordinate ascent from DEFAULT_WEIGHTS (or `settings`' weights; its other settings are kept).
    Never sees the test period."""
    validation = Validation(train_log, catalog, profiles, inner_fraction, k, max_learners, seed, split, horizon)
    return validation.weights(settings, values, rounds)[0]


def tune_settings(
    train_log: EventLog,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile] | None = None,
    settings: HybridSettings | None = None,
    half_lives=(3.0, 7.0, 14.0, 30.0),
    cold_trends=(0.5, 1.0, 2.0),
    inner_fraction: float = 0.8,
    k: int = 10,
    max_learners: int = 3000,
    seed: int = 0,
    split: str = "global",
    horizon: str = "next",
) -> HybridSettings:
    """`settings` with the blend weights and the "lately" half-life, and the new learners' share and
    half-life of "lately", that maximise NDCG@k on the last (1 - inner_fraction) of the *training*
    events (never the test period): weights by coordinate ascent for each half-life, then the new
    learners' list (which no blend weight changes) on the learners without a history."""
    validation = Validation(train_log, catalog, profiles, inner_fraction, k, max_learners, seed, split, horizon)
    return tune_on(validation, settings, half_lives, cold_trends)[0]


def tune_on(
    validation: Validation,
    settings: HybridSettings | None = None,
    half_lives=(3.0, 7.0, 14.0, 30.0),
    cold_trends=(0.5, 1.0, 2.0),
    deadline: float | None = None,
) -> tuple[HybridSettings, bool]:
    """(tuned settings, whether the search ran to its end) on a prepared validation split (see
    tune_settings). `deadline` (time.monotonic()) bounds a search that must not hold up its caller,
    such as the service's retrain: when it passes, the best settings found so far are returned
    (`settings` itself if not even one half-life was tried)."""
    base = settings or HybridSettings()
    tried = []
    # the half-life in use first: a search cut short changes only what it measured
    for half_life in sorted(half_lives, key=lambda h: h != base.trend_half_life):
        if _past(deadline):
            break
        trial = replace(base, trend_half_life=half_life, weights=dict(base.weights))
        weights, score = validation.weights(trial, deadline=deadline)
        tried.append((score, -half_life, replace(trial, weights=weights)))
    if not tried:
        return base, False
    best = max(tried, key=lambda t: t[:2])[2]
    if _past(deadline):
        return best, False
    options = [(0.0, base.cold_half_life)] + list(itertools.product([c for c in cold_trends if c > 0], half_lives))
    scores = validation.cold_scores(best, options)
    trend, half_life = options[int(np.argmax(scores))]  # ties: the first (no "lately" at all)
    return replace(best, cold_trend=trend, cold_half_life=half_life), not _past(deadline)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _named(weights) -> dict[str, float]:
    return {name: float(w) for name, w in zip(COMPONENTS, weights, strict=True)}


class Validation:
    """The inner split of the training period and its relevant items, for tuning. `learners`: those
    with a relevant item in the validation period, at most `max_learners` of them (a sample)."""

    def __init__(
        self,
        train_log,
        catalog,
        profiles=None,
        inner_fraction=0.8,
        k=10,
        max_learners=3000,
        seed=0,
        split="global",
        horizon="next",
    ):
        self.catalog, self.profiles, self.k = catalog, profiles or {}, k
        inner_split = SPLITS[split](train_log, inner_fraction)
        self.inner = inner_split.train.interactions(catalog)
        self.relevant = relevant_items(self.inner, inner_split.test, horizon)
        learners = sorted(self.relevant)
        if len(learners) > max_learners:
            learners = sorted(np.random.default_rng(seed).choice(learners, max_learners, replace=False).tolist())
        self.learners = learners
        self.rel = np.zeros((len(learners), len(catalog)), bool)
        for row, learner in enumerate(learners):
            self.rel[row, self.relevant[learner]] = True

    def _components(self, model, learners):
        n = len(self.catalog)
        comps = np.zeros((len(learners), len(COMPONENTS), n), np.float32)
        allowed = np.zeros((len(learners), n), bool)
        for row, learner in enumerate(learners):
            c, a, context = model.components(model.history(learner), self.profiles.get(learner))
            comps[row], allowed[row] = c * model.penalty(context["startable"]), a
        return comps, allowed

    def weights(self, settings, values=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0), rounds: int = 4, deadline=None):
        """(weights, validation NDCG@k) by coordinate ascent from the settings' weights; the best so
        far once `deadline` (time.monotonic()) has passed."""
        model = Hybrid(self.catalog, settings).fit(self.inner)
        if not self.learners:
            return dict(model.settings.weights), 0.0
        comps, allowed = self._components(model, self.learners)
        tie = 1e-9 * comps[:, 0, :]

        def score(weights):
            return _batch_ndcg(np.einsum("vcn,c->vn", comps, weights) + tie, allowed, self.rel, self.k)

        weights = model.weights.astype(np.float32)
        best = score(weights)
        for _ in range(rounds):
            improved = False
            for c, value in itertools.product(range(len(COMPONENTS)), values):
                if _past(deadline):
                    return _named(weights), best
                trial = weights.copy()
                trial[c] = value
                if not trial.any():
                    continue
                got = score(trial)
                if got > best + 1e-6:
                    best, weights, improved = got, trial, True
            if not improved:
                break
        return _named(weights), best

    def cold_scores(self, settings, options) -> list[float]:
        """Validation NDCG@k of the learners with no history (their list depends on no blend weight),
        for each (cold_trend, cold_half_life) option."""
        model = Hybrid(self.catalog, settings).fit(self.inner)
        rows = [r for r, who in enumerate(self.learners) if len(model.history(who)) == 0]
        if not rows:
            return [0.0] * len(options)
        scores = []
        for trend, half_life in options:
            model.settings = replace(settings, cold_trend=trend, cold_half_life=half_life)
            model.cold_lately = model.taken_lately(half_life)
            comps, allowed = self._components(model, [self.learners[r] for r in rows])
            scores.append(_batch_ndcg(comps[:, 0, :], allowed, self.rel[rows], self.k))
        return scores


# --- output ------------------------------------------------------------------------------------------


def format_table(results: list[ModelResult], k: int = 10, title: str = "") -> str:
    head = (
        f"{'model':<12} {'Recall@' + str(k):>10} {'NDCG@' + str(k):>9} {'coverage':>9} {'learners':>9}"
        f" {'cold':>6} {'NDCG@' + str(k) + ' cold':>13} {'fit s':>7}"
    )
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for r in results:
        cold = f"{r.ndcg_cold:.4f}" if r.cold_learners else "-"
        lines.append(
            f"{r.model:<12} {r.recall:>10.4f} {r.ndcg:>9.4f} {r.coverage:>9.3f} {r.learners:>9d}"
            f" {r.cold_learners:>6d} {cold:>13} {r.fit_seconds:>7.2f}"
        )
    return "\n".join(lines)


def check_prerequisites_marked(model: Recommender, learners, k: int = 10) -> list[str]:
    """Problems (for tests and the CLI): a recommendation the learner already finished, or one whose
    prerequisites they have not completed without a reason that names one of those first."""
    problems = []
    cat = model.catalog
    for learner in learners:
        history = model.history(learner)
        done = set(history.completed_items().tolist())
        ok = scoring.startable(cat.prerequisite_matrix, history.completed_items())
        for rec in model.recommend(learner, k, history=history):
            i = cat.index[rec.item]
            if i in done:
                problems.append(f"{learner}: {rec.item} was already finished")
            if not ok[i]:
                missing = [cat.items[j].title_en for j in np.flatnonzero(cat.prerequisite_matrix[i]) if j not in done]
                if not any(rec.reason.en.startswith(f"Finish its prerequisite {t} first: ") for t in missing):
                    problems.append(f"{learner}: {rec.item} has unfinished prerequisites and says not: {rec.reason}")
    return problems
