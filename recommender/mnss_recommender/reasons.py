"""One-line reasons, in Chinese and English, that come with each recommendation."""

from __future__ import annotations

from dataclasses import dataclass

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


def _t(catalog: Catalog, index: int) -> tuple[str, str]:
    item = catalog.items[index]
    return item.title_zh, item.title_en


def popular(count: int) -> Reason:
    return Reason(f"{count} 位学员学过", f"taken by {count} learners")


def popular_lately(count: int, days: int) -> Reason:
    return Reason(f"最近 {days} 天有 {count} 位学员开始学它", f"started by {count} learners in the last {days} days")


def popular_start(categories: tuple[str, ...]) -> Reason:
    if not categories:
        return Reason("新学员最常从这里开始", "where new learners most often start")
    zh = "、".join(category_title(c)[0] for c in categories)
    en = ", ".join(category_title(c)[1] for c in categories)
    return Reason(f"{zh}方向的新学员最常从这里开始", f"where new learners in {en} most often start")


def popular_in_category(category: str) -> Reason:
    zh, en = category_title(category)
    return Reason(f"{zh}方向的学员常学", f"popular with learners in {en}")


def also_took(catalog: Catalog, source: int) -> Reason:
    zh, en = _t(catalog, source)
    return Reason(f"学过《{zh}》的学员也学了它", f"learners who took {en} also took this")


def took_next(catalog: Catalog, source: int, item: int) -> Reason:
    szh, sen = _t(catalog, source)
    izh, ien = _t(catalog, item)
    return Reason(f"学完《{szh}》的学员接着学了《{izh}》", f"learners who finished {sen} took {ien} next")


def similar_content(catalog: Catalog, source: int) -> Reason:
    zh, en = _t(catalog, source)
    return Reason(f"与你学过的《{zh}》内容相近", f"similar in content to {en}, which you took")


def prerequisite_of(catalog: Catalog, target: int) -> Reason:
    zh, en = _t(catalog, target)
    return Reason(f"是《{zh}》的先修", f"prerequisite of {en}")


def unlocked(catalog: Catalog, source: int) -> Reason:
    zh, en = _t(catalog, source)
    return Reason(f"你学完了它的先修《{zh}》", f"you finished its prerequisite {en}")


def finish_to_start(catalog: Catalog, target: int) -> Reason:
    zh, en = _t(catalog, target)
    return Reason(f"你还没学完它，学完就能开始《{zh}》", f"not finished yet; finish it to start {en}")


def unfinished() -> Reason:
    return Reason("你开始过它，还没有学完", "you started it and have not finished it")


def course_item(catalog: Catalog, index: int) -> Reason:
    """What is true of any item, when nothing about other learners or this one explains it."""
    item = catalog.items[index]
    zh, en = catalog.course_title(item.course)
    if item.position == 0:
        return Reason(f"《{zh}》的第一个作业", f"the first assignment of {en}")
    return Reason(f"《{zh}》的第 {item.position + 1} 个作业", f"assignment {item.position + 1} of {en}")


def enrol_first(catalog: Catalog, index: int, reason: Reason) -> Reason:
    """A recommendation from a course the learner is not in: says so before anything else."""
    zh, en = catalog.course_title(catalog.items[index].course)
    return Reason(f"先选课《{zh}》：{reason.zh}", f"Enrol first in {en}: {reason.en}")


def prerequisite_first(catalog: Catalog, prerequisite: int, reason: Reason) -> Reason:
    """An item whose prerequisites the learner has not completed: says which to finish first."""
    zh, en = _t(catalog, prerequisite)
    return Reason(f"先学完先修《{zh}》：{reason.zh}", f"Finish its prerequisite {en} first: {reason.en}")
