"""MNSS Lab recommender, offline core: events, catalog, models, simulator, evaluation.

from mnss_recommender import Catalog, EventStore, Hybrid, Interactions
catalog = Catalog.load("courses")
store = EventStore("sqlite:///recommender.sqlite")
model = Hybrid(catalog).fit(Interactions.from_events(store.interactions(), catalog))
model.recommend("learner-pseudonym", k=5)   # [Recommendation(item, score, reason.zh / reason.en)]
"""

from .catalog import Catalog, Item
from .events import KINDS, Event, EventError, EventStore, pseudonym
from .interactions import EventLog, Interactions, LearnerHistory
from .models import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ContentSimilarity,
    Hybrid,
    HybridSettings,
    ItemKNN,
    Popularity,
    Recommendation,
    Recommender,
)
from .profiles import LearnerProfile
from .reasons import Reason

__all__ = [
    "Catalog",
    "Item",
    "KINDS",
    "Event",
    "EventError",
    "EventStore",
    "pseudonym",
    "EventLog",
    "Interactions",
    "LearnerHistory",
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "ContentSimilarity",
    "Hybrid",
    "HybridSettings",
    "ItemKNN",
    "Popularity",
    "Recommendation",
    "Recommender",
    "LearnerProfile",
    "Reason",
]
