"""The notebooks one can recommend, their text, and what must be finished before each.

An item is one assignment notebook, named "course-id/assignment-id". Its prerequisites are the
union of
  - the course's prerequisites: a course id means every assignment of that course,
    "course-id/assignment-id" that one assignment;
  - the assignment's own: "assignment-id" in the same course or "course-id/assignment-id".
An item is startable once all of its prerequisites are completed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnss_courses.record import CourseTerms

from .text import notebook_text


@dataclass(frozen=True)
class Item:
    id: str
    title_zh: str
    title_en: str
    category: str
    level: str = "beginner"
    tags: tuple[str, ...] = ()
    text: str = ""
    prerequisites: frozenset[str] = frozenset()
    live_network: bool = False
    position: int = 0  # order of the assignment inside its course

    @property
    def course(self) -> str:
        return self.id.split("/", 1)[0]

    def title(self, language: str = "zh") -> str:
        return self.title_zh if language == "zh" else self.title_en


LEVELS = ("beginner", "intermediate", "advanced")


@dataclass
class Catalog:
    """Items in a fixed order (row/column order of every model matrix) with their prerequisite graph."""

    items: tuple[Item, ...]
    problems: list[str] = field(default_factory=list)
    course_titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (zh, en), for the panel
    course_terms: dict[str, CourseTerms] = field(default_factory=dict)  # id -> credit terms, for the record

    def __post_init__(self):
        self.items = tuple(self.items)
        self.ids = [it.id for it in self.items]
        self.index = {iid: n for n, iid in enumerate(self.ids)}
        if len(self.index) != len(self.ids):
            raise ValueError("catalog: duplicate item ids")
        n = len(self.items)
        self.prerequisite_matrix = np.zeros((n, n), dtype=bool)  # [i, j]: j must be completed before i
        for i, item in enumerate(self.items):
            for pre in item.prerequisites:
                if pre in self.index:
                    self.prerequisite_matrix[i, self.index[pre]] = True
                elif pre != item.id:
                    self.problems.append(f"{item.id}: prerequisite {pre!r} is not in the catalog (ignored)")
        self.categories = sorted({it.category for it in self.items})
        code = {c: k for k, c in enumerate(self.categories)}
        self.category_codes = np.array([code[it.category] for it in self.items], dtype=np.int32)
        self.level_codes = np.array(
            [LEVELS.index(it.level) if it.level in LEVELS else 0 for it in self.items], dtype=np.int32
        )
        self.has_prerequisites = self.prerequisite_matrix.any(axis=1)
        self.dependent_counts = self.prerequisite_matrix.sum(axis=0)  # how many items need each one
        self.prerequisite_counts = self.prerequisite_matrix.sum(axis=1)
        self.required_by = np.ascontiguousarray(self.prerequisite_matrix.T)  # [j, i]: i needs j

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.index

    def __getitem__(self, item_id: str) -> Item:
        return self.items[self.index[item_id]]

    def prerequisites_of(self, item_id: str) -> list[str]:
        row = self.prerequisite_matrix[self.index[item_id]]
        return [self.ids[j] for j in np.flatnonzero(row)]

    def missing_prerequisites(self, item_id: str, completed: Iterable[str]) -> list[str]:
        done = set(completed)
        return [p for p in self.prerequisites_of(item_id) if p not in done]

    def is_startable(self, item_id: str, completed: Iterable[str]) -> bool:
        return not self.missing_prerequisites(item_id, completed)

    def in_courses(self, courses: Iterable[str]) -> np.ndarray:
        """(n,) bool: items of the given courses (e.g. the ones a learner is enrolled in)."""
        chosen = set(courses)
        return np.array([it.course in chosen for it in self.items], dtype=bool)

    def course_title(self, course: str) -> tuple[str, str]:
        """(zh, en) title of a course; its id when the catalog has no title for it."""
        return self.course_titles.get(course, (course, course))

    def texts(self) -> list[str]:
        """What content similarity reads: titles, tags and notebook text."""
        return [" ".join([it.title_zh, it.title_en, " ".join(it.tags), it.text]) for it in self.items]

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def from_courses(cls, courses: dict) -> Catalog:
        """From mnss_courses.bundle Course objects (as load_catalog returns them)."""
        problems: list[str] = []
        assignments = {cid: c.assignment_ids for cid, c in courses.items()}
        items = []
        for cid in sorted(courses):
            course = courses[cid]
            meta = course.meta
            course_pre = set()
            for pre in meta.get("prerequisites", []):
                pcid, _, paid = pre.partition("/")
                if paid:
                    course_pre.add(pre)
                elif pcid in assignments:
                    course_pre.update(f"{pcid}/{a}" for a in assignments[pcid])
                else:
                    problems.append(f"{cid}: prerequisite course {pcid!r} is not in the catalog (ignored)")
            header = " ".join(
                filter(
                    None,
                    [
                        meta["title"]["zh"],
                        meta["title"]["en"],
                        meta.get("summary", {}).get("zh", ""),
                        meta.get("summary", {}).get("en", ""),
                    ],
                )
            )
            for position, a in enumerate(meta["assignments"]):
                pre = set(course_pre)
                for p in a.get("prerequisites", []):
                    pre.add(p if "/" in p else f"{cid}/{p}")
                text = "\n".join([header] + [notebook_text(nb) for nb in course.notebooks.get(a["id"], [])])
                items.append(
                    Item(
                        id=f"{cid}/{a['id']}",
                        title_zh=a["title"]["zh"],
                        title_en=a["title"]["en"],
                        category=meta["category"],
                        level=meta["level"],
                        tags=tuple(meta.get("tags", [])),
                        text=text,
                        prerequisites=frozenset(pre),
                        live_network=bool(a.get("live_network", False)),
                        position=position,
                    )
                )
        titles = {cid: (c.meta["title"]["zh"], c.meta["title"]["en"]) for cid, c in courses.items()}
        terms = {cid: CourseTerms.from_meta(c.meta) for cid, c in courses.items()}
        return cls(tuple(items), problems, titles, terms)

    @classmethod
    def load(cls, folder: str | Path, strict: bool = True) -> Catalog:
        """Every course under `folder`, checked by mnss_courses.bundle. strict: any problem raises
        CourseError (as load_catalog does); otherwise broken courses are left out and listed in
        `problems`, and prerequisites on missing courses are ignored."""
        from mnss_courses import bundle

        if strict:
            return cls.from_courses(bundle.load_catalog(folder))
        courses, problems = {}, []
        for meta in sorted(Path(folder).glob("*/course.yaml")):
            try:
                course = bundle.load(meta.parent)
                courses[course.id] = course
            except bundle.CourseError as err:
                problems += [f"left out: {p}" for p in err.problems]
        catalog = cls.from_courses(courses)
        catalog.problems[:0] = problems
        return catalog
