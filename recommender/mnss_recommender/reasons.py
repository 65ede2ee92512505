"""One-line reasons, in Chinese and English, that come with each recommendation."""

from __future__ import annotations

from dataclasses import dataclass

from mnss_foundation import i18n
from mnss_foundation.i18n import Both

from .catalog import Catalog
from .profiles import category_title


@dataclass(frozen=True)
class Reason:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"

    def text(self, language: str = "zh") -> str:
        return self.zh if language == "zh" else self.en


_REASONS = i18n.load(__package__)["reasons"]


def _say(code: str, **values) -> Reason:
    return Reason(*_REASONS.pair(code, **values))


def _t(catalog: Catalog, index: int) -> Both:
    item = catalog.items[index]
    return Both(item.title_zh, item.title_en)


def popular(count: int) -> Reason:
    return _say("popular", count=count)


def popular_lately(count: int, days: int) -> Reason:
    return _say("popular_lately", count=count, days=days)


def popular_start(categories: tuple[str, ...]) -> Reason:
    if not categories:
        return _say("popular_start")
    zh = "、".join(category_title(c)[0] for c in categories)
    en = ", ".join(category_title(c)[1] for c in categories)
    return _say("popular_start_in", categories=Both(zh, en))


def popular_in_category(category: str) -> Reason:
    return _say("popular_in_category", category=Both(*category_title(category)))


def also_took(catalog: Catalog, source: int) -> Reason:
    return _say("also_took", title=_t(catalog, source))


def took_next(catalog: Catalog, source: int, item: int) -> Reason:
    return _say("took_next", source=_t(catalog, source), item=_t(catalog, item))


def similar_content(catalog: Catalog, source: int) -> Reason:
    return _say("similar_content", title=_t(catalog, source))


def prerequisite_of(catalog: Catalog, target: int) -> Reason:
    return _say("prerequisite_of", title=_t(catalog, target))


def unlocked(catalog: Catalog, source: int) -> Reason:
    return _say("unlocked", title=_t(catalog, source))


def finish_to_start(catalog: Catalog, target: int) -> Reason:
    return _say("finish_to_start", title=_t(catalog, target))


def unfinished() -> Reason:
    return _say("unfinished")


def course_item(catalog: Catalog, index: int) -> Reason:
    """What is true of any item, when nothing about other learners or this one explains it."""
    item = catalog.items[index]
    course = Both(*catalog.course_title(item.course))
    if item.position == 0:
        return _say("first_assignment", course=course)
    return _say("nth_assignment", course=course, position=item.position + 1)


def enrol_first(catalog: Catalog, index: int, reason: Reason) -> Reason:
    """A recommendation from a course the learner is not in: says so before anything else."""
    course = Both(*catalog.course_title(catalog.items[index].course))
    return _say("enrol_first", course=course, reason=Both(reason.zh, reason.en))


def prerequisite_first(catalog: Catalog, prerequisite: int, reason: Reason) -> Reason:
    """An item whose prerequisites the learner has not completed: says which to finish first."""
    return _say("prerequisite_first", title=_t(catalog, prerequisite), reason=Both(reason.zh, reason.en))
