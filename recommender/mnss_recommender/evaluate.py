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
from dataclasses import dataclass, field

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
    # ties broken by the lower index, as scoring.top_k does
    order = np.lexsort((np.broadcast_to(np.arange(n), (v, n)), -masked), axis=1)[:, :k]
    picked_ok = np.take_along_axis(allowed, order, axis=1)
    hits = np.take_along_axis(relevant, order, axis=1) & picked_ok
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
    values=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0),
    rounds: int = 3,
    max_learners: int = 3000,
    seed: int = 0,
    split: str = "global",
    horizon: str = "next",
    settings: HybridSettings | None = None,
) -> dict[str, float]:
    """Weights that maximise NDCG@k on the last (1 - inner_fraction) of the *training* events,
    by coordinate ascent from DEFAULT_WEIGHTS (or `settings`' weights; its other settings are kept).
    Never sees the test period."""
    profiles = profiles or {}
    split = SPLITS[split](train_log, inner_fraction)
    inner = split.train.interactions(catalog)
    relevant = relevant_items(inner, split.test, horizon)
    learners = sorted(relevant)
    if len(learners) > max_learners:
        learners = sorted(np.random.default_rng(seed).choice(learners, max_learners, replace=False).tolist())
    model = Hybrid(catalog, settings).fit(inner)
    n = len(catalog)
    comps = np.zeros((len(learners), len(COMPONENTS), n), np.float32)
    allowed = np.zeros((len(learners), n), bool)
    rel = np.zeros((len(learners), n), bool)
    for row, learner in enumerate(learners):
        c, a, context = model.components(model.history(learner), profiles.get(learner))
        comps[row], allowed[row] = c * model.penalty(context["startable"]), a
        rel[row, relevant[learner]] = True
    if not learners:
        return dict(model.settings.weights)
    tie = 1e-9 * comps[:, 0, :]

    def score(weights):
        return _batch_ndcg(np.einsum("vcn,c->vn", comps, weights) + tie, allowed, rel, k)

    weights = model.weights.astype(np.float32)
    best = score(weights)
    for _ in range(rounds):
        improved = False
        for c, value in itertools.product(range(len(COMPONENTS)), values):
            trial = weights.copy()
            trial[c] = value
            if not trial.any():
                continue
            got = score(trial)
            if got > best + 1e-6:
                best, weights, improved = got, trial, True
        if not improved:
            break
    return {name: float(w) for name, w in zip(COMPONENTS, weights, strict=True)}


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
