"""Recommenders: popularity, item-based collaborative filtering, content similarity, and the hybrid.

Every model is built on a Catalog, learns from Interactions with fit(), and answers
recommend(learner, k) with Recommendation(item, score, reason). The arithmetic is in `scoring`
(pure functions); a model only keeps the fitted arrays and picks which functions to combine.

A learner's "history" is what the model saw at fit time; a service that has newer events for a
learner passes history=Interactions.from_events(those, catalog).history(learner).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity, linear_kernel

from . import reasons, scoring
from .catalog import Catalog
from .interactions import Interactions, LearnerHistory
from .profiles import LearnerProfile
from .reasons import Reason
from .text import tokenize


@dataclass(frozen=True)
class Recommendation:
    item: str
    score: float
    reason: Reason

    def to_dict(self) -> dict:
        return {
            "item": self.item,
            "score": round(self.score, 6),
            "reason": {"zh": self.reason.zh, "en": self.reason.en},
        }


class Recommender:
    """Base: subclasses give scores() and reason()."""

    name = "base"

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.interactions: Interactions | None = None

    # --- to implement ---

    def _fit(self, interactions: Interactions) -> None:
        raise NotImplementedError

    def scores(self, history: LearnerHistory, profile: LearnerProfile | None) -> tuple[np.ndarray, np.ndarray, dict]:
        """(scores, allowed mask, context for reason())."""
        raise NotImplementedError

    def reason(self, index: int, history: LearnerHistory, context: dict) -> Reason:
        raise NotImplementedError

    # --- shared ---

    def fit(self, interactions: Interactions) -> Recommender:
        if interactions.catalog is not self.catalog:
            raise ValueError("interactions were built on another catalog")
        self.interactions = interactions
        self.counts = np.bincount(interactions.items, minlength=len(self.catalog)).astype(float)
        self._fit(interactions)
        return self

    def history(self, learner: str) -> LearnerHistory:
        if self.interactions is None:
            raise RuntimeError(f"{self.name}: call fit() first")
        return self.interactions.history(learner)

    def rank(self, history: LearnerHistory, k: int = 10, profile: LearnerProfile | None = None) -> np.ndarray:
        """Catalog indexes of the k best items, best first (no reasons: for evaluation)."""
        scores, allowed, _ = self.scores(history, profile)
        return scoring.top_k(scores, allowed, k)

    def recommend(
        self,
        learner: str,
        k: int = 10,
        profile: LearnerProfile | None = None,
        history: LearnerHistory | None = None,
        only: np.ndarray | None = None,
    ) -> list[Recommendation]:
        """`only`: (n,) bool, the items that may be recommended (e.g. those of the learner's courses);
        it narrows the choice, never the scores or the reasons."""
        history = self.history(learner) if history is None else history
        scores, allowed, context = self.scores(history, profile)
        if only is not None:
            allowed = allowed & only
        return [
            Recommendation(self.catalog.ids[i], float(scores[i]), self.reason(int(i), history, context))
            for i in scoring.top_k(scores, allowed, k)
        ]

    def _popular_fallback(self) -> np.ndarray:
        top = self.counts.max() if len(self.counts) else 0
        return self.counts / top if top > 0 else self.counts


def item_cosine(matrix) -> np.ndarray:
    """(n, n) cosine similarity of the item columns of a learners x items matrix (zero diagonal)."""
    n = matrix.shape[1]
    if matrix.shape[0] == 0 or matrix.nnz == 0:
        return np.zeros((n, n), np.float32)
    sim = cosine_similarity(matrix.T.tocsr(), dense_output=True).astype(np.float32)
    np.fill_diagonal(sim, 0.0)
    return sim


class Popularity(Recommender):
    """How many learners touched each notebook; the same list for everyone (minus what they saw)."""

    name = "popularity"

    def _fit(self, interactions):
        pass

    def scores(self, history, profile):
        return self.counts, scoring.candidates(len(self.catalog), history.items), {}

    def reason(self, index, history, context):
        return reasons.popular(int(self.counts[index]))


class ItemKNN(Recommender):
    """Item-based CF: cosine similarity of notebook columns of the learner x notebook matrix,
    a learner's score is the similarity to what they did, weighted by how deeply they did it.
    A learner with no history gets the popular notebooks."""

    name = "item-knn"

    def __init__(self, catalog: Catalog, values: str = "strength"):
        super().__init__(catalog)
        self.values = values

    def _fit(self, interactions):
        self.similarity = item_cosine(interactions.matrix(self.values))

    def scores(self, history, profile):
        allowed = scoring.candidates(len(self.catalog), history.items)
        if len(history) == 0:
            return self._popular_fallback(), allowed, {"cold": True}
        knn = scoring.neighbourhood(self.similarity, history.items, history.strength)
        return knn + 1e-6 * self._popular_fallback(), allowed, {"cold": False}

    def reason(self, index, history, context):
        source = (
            None
            if context["cold"]
            else scoring.strongest_source(self.similarity, index, history.items, history.strength)
        )
        return reasons.popular(int(self.counts[index])) if source is None else reasons.also_took(self.catalog, source)


def content_similarity(catalog: Catalog) -> np.ndarray:
    """(n, n) cosine similarity of TF-IDF vectors of the notebooks' text (zero diagonal)."""
    if len(catalog) == 0:
        return np.zeros((0, 0), np.float32)
    vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True)
    try:
        tfidf = vectorizer.fit_transform(catalog.texts())
    except ValueError:  # no words at all
        return np.zeros((len(catalog), len(catalog)), np.float32)
    sim = linear_kernel(tfidf).astype(np.float32)
    np.fill_diagonal(sim, 0.0)
    return sim


class ContentSimilarity(Recommender):
    """Notebooks whose text is like the text of what the learner did lately; works for a notebook
    nobody has opened yet. A learner with no history gets the popular notebooks."""

    name = "content"

    def __init__(self, catalog: Catalog, half_life: float = 3.0):
        super().__init__(catalog)
        self.half_life = half_life
        self.similarity = content_similarity(catalog)

    def _fit(self, interactions):
        pass

    def scores(self, history, profile):
        allowed = scoring.candidates(len(self.catalog), history.items)
        if len(history) == 0:
            return self._popular_fallback(), allowed, {"cold": True}
        weights = scoring.recency_weights(len(history), self.half_life)
        scores = scoring.neighbourhood(self.similarity, history.items, weights)
        return scores + 1e-6 * self._popular_fallback(), allowed, {"cold": False, "weights": weights}

    def reason(self, index, history, context):
        source = (
            None
            if context["cold"]
            else scoring.strongest_source(self.similarity, index, history.items, context["weights"])
        )
        if source is None:
            return reasons.popular(int(self.counts[index]))
        return reasons.similar_content(self.catalog, source)


DAY = 86400.0  # seconds

COMPONENTS = ("popular", "also_took", "next", "content", "prerequisite", "unlocked", "ease", "trending")

# Tuned once with evaluate.tune_hybrid (coordinate ascent, NDCG@10 of the next notebook) on a
# validation split inside the training period of simulated logs, seed 101, 3000 learners on the
# 300-notebook synthetic catalog: never on the evaluation seeds (7 for `evaluate`, 1 and 2 for the
# benchmark). Found {2, 2, 2, 0.5, 1, 4}; halved (only ratios matter).
# `python -m mnss_recommender evaluate --tune` tunes again on the data at hand.
DEFAULT_WEIGHTS = {"popular": 1.0, "also_took": 1.0, "next": 1.0, "content": 0.25, "prerequisite": 0.5, "unlocked": 2.0}


@dataclass
class HybridSettings:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    knn_half_life: float = 5.0  # history items: weight halves every this many items back
    content_half_life: float = 2.0
    next_window: int = 3  # the last this many items predict the next one
    transition_window: int = 2  # pairs up to this many steps apart count as "took next"
    profile_strength: float = 1.0  # a profile counts like this many history items for category interest
    ease_l2: float = 500.0  # EASE^R's ridge penalty
    ease_half_life: float = 0.0  # recency of history items in the EASE^R part (0: all count the same)
    blocked_factor: float = 0.5  # the score of an item whose prerequisites are not done is multiplied by this
    trend_half_life: float = 14.0  # days: a start on an item counts half as much to "taken lately" this long before fit
    cold_trend: float = 0.0  # a new learner's list: where others started + this times what others took lately
    cold_half_life: float = 14.0  # days: the half-life of "taken lately" in a new learner's list


class Hybrid(Recommender):
    """Blend of category-aware popularity, item-kNN, "took next" transitions, content similarity,
    EASE^R, and the prerequisite graph. Never recommends a notebook the learner has touched or
    finished. Prerequisites are a soft signal: a notebook whose prerequisites the learner has not
    completed scores `blocked_factor` times less, and when it is recommended all the same its
    reason says first which prerequisite to finish (learners do peek ahead; a hard filter hid
    a third to a half of what they went on to do).

    Cold start: a learner with no history gets the notebooks new learners of their profile's
    categories most often start with; a notebook nobody has touched yet takes its content
    similarity in place of its (empty) collaborative scores."""

    name = "hybrid"

    def __init__(self, catalog: Catalog, settings: HybridSettings | None = None):
        super().__init__(catalog)
        self.settings = settings or HybridSettings()
        self.content_sim = content_similarity(catalog)
        self.check_prerequisites = bool(catalog.has_prerequisites.any())

    @property
    def weights(self) -> np.ndarray:
        return np.array([self.settings.weights.get(c, 0.0) for c in COMPONENTS])

    def _fit(self, interactions):
        n = len(self.catalog)
        self.knn_sim = item_cosine(interactions.matrix("strength"))
        counts = scoring.transition_counts(
            interactions.learner_rows(), interactions.items, n, self.settings.transition_window
        )
        self.next_prob = scoring.row_normalized(counts).astype(np.float32)
        starts = interactions.indptr[:-1][np.diff(interactions.indptr) > 0]
        self.first_counts = np.bincount(interactions.items[starts], minlength=n).astype(float)
        self.cold_items = self.counts == 0
        self.ease = scoring.ease_weights(interactions.matrix("binary"), self.settings.ease_l2)
        self.fitted_at = float(interactions.first_seen.max()) if len(interactions) else 0.0
        self._started_lately = {}
        self.trend = self.taken_lately(self.settings.trend_half_life)
        self.cold_lately = self.taken_lately(self.settings.cold_half_life)

    def taken_lately(self, half_life_days: float) -> np.ndarray:
        """(n,) starts on each item, halving in weight every `half_life_days` before the training's end."""
        i = self.interactions
        return scoring.trending(i.items, i.first_seen, len(self.catalog), self.fitted_at, half_life_days * DAY)

    def started_lately(self, days: int) -> np.ndarray:
        """(n,) learners who started each item in the last `days` days of the training events (for reasons)."""
        if days not in self._started_lately:
            i = self.interactions
            since = self.fitted_at - days * DAY
            self._started_lately[days] = scoring.started_since(i.items, i.first_seen, len(self.catalog), since)
        return self._started_lately[days]

    def _interest_prior(self, profile: LearnerProfile | None) -> tuple[np.ndarray, tuple[str, ...]]:
        cats = profile.interests() if profile else ()
        prior = np.array([1.0 if c in cats else 0.0 for c in self.catalog.categories])
        return prior, cats

    def _startable(self, history: LearnerHistory) -> np.ndarray | None:
        if not self.check_prerequisites:
            return None
        return scoring.startable(
            self.catalog.prerequisite_matrix, history.completed_items(), self.catalog.prerequisite_counts
        )

    def components(
        self, history: LearnerHistory, profile: LearnerProfile | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict]:
        """(len(COMPONENTS), n) normalized component scores, the allowed mask, and the context."""
        n = len(self.catalog)
        startable = self._startable(history)
        allowed = scoring.candidates(n, history.items)
        prior, cats = self._interest_prior(profile)
        comps = np.zeros((len(COMPONENTS), n))
        if len(history) == 0:
            in_cats = prior[self.catalog.category_codes] > 0 if cats else np.ones(n, bool)
            gate = np.where(in_cats, 1.0, 0.05)
            start = scoring.normalized((self.first_counts + 0.01 * self.counts) * gate + 1e-9, allowed)
            lately = self.settings.cold_trend * scoring.normalized(self.cold_lately * gate, allowed)
            # one part only: the blend weights (tuned on learners with a history) leave this order be
            comps[0] = scoring.normalized(start + lately, allowed)
            return comps, allowed, {"cold": True, "categories": cats, "startable": startable, "parts": (start, lately)}

        s = self.settings
        items, strength = history.items, history.strength
        knn_w = strength * scoring.recency_weights(len(history), s.knn_half_life)
        content_w = scoring.recency_weights(len(history), s.content_half_life)
        recent = items[-s.next_window :]
        next_w = scoring.recency_weights(len(recent), 1.0)

        unseen = scoring.candidates(n, items)
        knn = scoring.normalized(scoring.neighbourhood(self.knn_sim, items, knn_w), unseen)
        content = scoring.normalized(scoring.neighbourhood(self.content_sim, items, content_w), unseen)
        knn = np.where(self.cold_items, content, knn)  # a new notebook: content stands in for CF
        nxt = scoring.normalized(self.next_prob[recent].T @ next_w, unseen)
        ease_w = scoring.recency_weights(len(history), s.ease_half_life)
        ease = scoring.normalized(ease_w @ self.ease[items], unseen)
        affinity = scoring.category_affinity(
            self.catalog.category_codes, items, content_w, len(self.catalog.categories), prior, s.profile_strength
        )
        popular = scoring.popularity(self.counts, affinity, self.catalog.category_codes)

        comps[0] = scoring.normalized(popular, allowed)
        comps[1] = np.where(allowed, knn, 0.0)
        comps[2] = np.where(allowed, nxt, 0.0)
        comps[3] = np.where(allowed, content, 0.0)
        comps[6] = np.where(allowed, ease, 0.0)
        comps[7] = scoring.normalized(self.trend * affinity[self.catalog.category_codes], allowed)
        context = {
            "cold": False,
            "startable": startable,
            "knn_w": knn_w,
            "content_w": content_w,
            "recent": recent,
            "next_w": next_w,
        }
        if startable is not None:
            # interest in what cannot be started yet: predicted for unseen notebooks, and full for
            # the ones the learner opened but could not do (they showed they want it)
            done = np.zeros(n, bool)
            done[history.completed_items()] = True
            blocked = ~startable & ~done
            interest = (knn + nxt + content) / 3.0
            interest[items[~history.completed]] = 1.0
            comps[4], context["pull_source"] = scoring.prerequisite_pull(
                self.catalog.required_by, interest, blocked, allowed
            )
            latest_done = history.completed_items()[::-1][:3]
            unlocked, context["unlock_source"] = scoring.unlocked_by(self.catalog.prerequisite_matrix, latest_done)
            comps[5] = np.where(allowed, unlocked, 0.0)
        return comps, allowed, context

    def scores(self, history, profile):
        """New notebooks by the blend (>= 0); after them, when the list is short, notebooks the learner
        started but did not finish and can do now (< 0), those that block the most others first."""
        comps, allowed, context = self.components(history, profile)
        context["comps"], context["weights"] = comps, self.weights
        scores = (scoring.blend(comps, context["weights"]) + 1e-9 * comps[0]) * self.penalty(context["startable"])
        retry = scoring.unfinished(len(self.catalog), history.items, history.completed_items(), context["startable"])
        if retry.any():
            blocks = self.catalog.dependent_counts.astype(float)
            scores = np.where(retry, -1.0 + 0.5 * scoring.normalized(blocks, retry), scores)
            allowed = allowed | retry
        context["retry"] = retry
        return scores, allowed, context

    def penalty(self, startable: np.ndarray | None) -> np.ndarray | float:
        """(n,) factors on the blend: `blocked_factor` where prerequisites are not completed."""
        if startable is None:
            return 1.0
        return np.where(startable, 1.0, self.settings.blocked_factor)

    def reason(self, index, history, context):
        """Why, from this learner's events; for an item whose prerequisites they have not
        completed, which one to finish first comes before anything else."""
        why = self._reason(index, history, context)
        startable = context["startable"]
        if startable is None or startable[index]:
            return why
        missing = self.catalog.prerequisite_matrix[index].copy()
        missing[history.completed_items()] = False
        return reasons.prerequisite_first(self.catalog, int(np.flatnonzero(missing)[0]), why)

    # when several parts explain an item about as well (>= half the largest), say the most telling
    REASON_PREFERENCE = ("next", "prerequisite", "also_took", "content", "unlocked", "trending", "popular")

    def _reason(self, index, history, context):
        if context["cold"]:
            start, lately = context["parts"]
            if lately[index] > start[index] and (why := self.lately_reason(index, self.settings.cold_half_life)):
                return why
            if self.first_counts[index] == 0:  # nobody started here: say only what is true
                return self.plain_reason(index)
            cats = context["categories"]
            category = self.catalog.items[index].category
            return reasons.popular_start((category,) if category in cats else ())
        if context["retry"][index]:
            dependents = np.flatnonzero(self.catalog.prerequisite_matrix[:, index])
            if len(dependents):  # the one most taken; among equals, one of the same course
                course = self.catalog.items[index].course
                same = np.array([self.catalog.items[d].course == course for d in dependents])
                best = dependents[np.argmax(self.counts[dependents] + 0.5 * same)]
                return reasons.finish_to_start(self.catalog, int(best))
            return reasons.unfinished()
        contributions = (context["weights"] * context["comps"][:, index]).tolist()
        top = max(contributions)
        order = [c for c in _PREFERRED if top > 0 and contributions[c] >= 0.5 * top]
        order += sorted((c for c in range(len(COMPONENTS)) if c not in order), key=lambda c: -contributions[c])
        for c in order:
            if contributions[c] <= 0:
                break
            name = COMPONENTS[c]
            if name == "also_took":
                if self.cold_items[index]:
                    name = "content"
                else:
                    source = scoring.strongest_source(self.knn_sim, index, history.items, context["knn_w"])
                    if source is not None:
                        return reasons.also_took(self.catalog, source)
            if name == "next":
                recent = context["recent"]
                by = self.next_prob[recent, index] * context["next_w"]
                if by.max() > 0:
                    return reasons.took_next(self.catalog, int(recent[int(np.argmax(by))]), index)
            if name == "content":
                source = scoring.strongest_source(self.content_sim, index, history.items, context["content_w"])
                if source is not None:
                    return reasons.similar_content(self.catalog, source)
            if name == "prerequisite" and context["pull_source"][index] >= 0:
                return reasons.prerequisite_of(self.catalog, int(context["pull_source"][index]))
            if name == "unlocked" and context["unlock_source"][index] >= 0:
                return reasons.unlocked(self.catalog, int(context["unlock_source"][index]))
            if name == "trending" and (why := self.lately_reason(index, self.settings.trend_half_life)):
                return why
            if name == "popular":
                return reasons.popular_in_category(self.catalog.items[index].category)
        return self.plain_reason(index)

    def lately_reason(self, index: int, half_life_days: float) -> Reason | None:
        """ "Taken by N learners in the last D days" (D: the half-life, in whole days), when N > 0."""
        days = max(1, math.ceil(half_life_days))
        count = int(self.started_lately(days)[index])
        return reasons.popular_lately(count, days) if count else None

    def plain_reason(self, index: int) -> Reason:
        """How many took it, or (nobody yet) where it sits in its course; never "taken by 0 learners"."""
        count = int(self.counts[index])
        return reasons.popular(count) if count else reasons.course_item(self.catalog, index)


_PREFERRED = [COMPONENTS.index(c) for c in Hybrid.REASON_PREFERENCE]

MODELS = {"popularity": Popularity, "item-knn": ItemKNN, "content": ContentSimilarity, "hybrid": Hybrid}


def build(name: str, catalog: Catalog, **options) -> Recommender:
    return MODELS[name](catalog, **options)
