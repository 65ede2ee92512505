"""What the portal pages show, computed from course metadata and what is known of one learner.

Pure functions and plain data, no I/O: the handlers gather the facts (course.yaml, hub groups,
the exchange's records) and these decide what the catalog and a course page say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mnss_foundation import i18n
from mnss_foundation.i18n import CJK

_NAMES = i18n.load(__package__)
CATEGORIES = _NAMES["categories"].pairs()  # in the order the portal shows them (course.schema.json)
LEVELS = _NAMES["levels"].pairs()
ENROLMENT = ("open", "approval", "invitation")

# The states of a tutorial or an assignment for one learner.
NOT_STARTED, IN_PROGRESS, SUBMITTED, GRADED = "not-started", "in-progress", "submitted", "graded"
STATES = _NAMES["states"].pairs()
# A tutorial is read, not handed in: it has been opened, or not yet.
TUTORIAL_STATES = _NAMES["tutorial_states"].pairs()


def hours(minutes: int | None) -> float | None:
    """Credit hours from declared minutes, to the half hour (continuing-education records count so)."""
    if not minutes:
        return None
    return max(0.5, round(minutes / 30) / 2)


@dataclass(frozen=True)
class Prerequisite:
    id: str
    title: tuple[str, str]  # (zh, en); the id itself when the course is not in the catalog


@dataclass(frozen=True)
class CourseCard:
    id: str
    title: tuple[str, str]
    summary: tuple[str, str]
    category: str
    level: str
    level_name: tuple[str, str]
    hours: float | None
    prerequisites: tuple[Prerequisite, ...]
    enrolment: str
    offered: bool  # served by this platform's exchange (has course groups)
    enrolled: bool
    requested: bool  # an approval request is waiting

    @property
    def can_enrol(self) -> bool:
        return self.offered and not self.enrolled and not self.requested and self.enrolment == "open"

    @property
    def can_request(self) -> bool:
        return self.offered and not self.enrolled and not self.requested and self.enrolment == "approval"


@dataclass(frozen=True)
class Reference:
    """One work a course relies on. Its title is a proper name in its own language, whatever the
    page's: `lang` says which, so screen readers read it right and the page's language is kept."""

    title: str
    url: str
    lang: str  # "zh-CN" or "en"
    note: tuple[str, str] | None  # (zh, en): what the course uses it for


def title_language(title: str) -> str:
    """A title with Chinese characters (GB/T ... 信息安全技术 ...) is in Chinese; otherwise English."""
    return "zh-CN" if CJK.search(title) else "en"


def references(meta: Mapping) -> tuple[Reference, ...]:
    """course.yaml's references, in its order."""
    return tuple(
        Reference(r["title"], r["url"], title_language(r["title"]), _text(r, "note") if r.get("note") else None)
        for r in meta.get("references", [])
    )


@dataclass(frozen=True)
class Section:
    category: str
    name: tuple[str, str]
    courses: tuple[CourseCard, ...]


def _text(meta: Mapping, key: str) -> tuple[str, str]:
    value = meta.get(key) or {}
    return (value.get("zh", ""), value.get("en", ""))


def enrolment_policy(meta: Mapping) -> str:
    return meta.get("enrolment", "open")


def card(
    meta: Mapping, catalog: Mapping[str, Mapping], offered: bool, enrolled: bool, requested: bool = False
) -> CourseCard:
    """One course as the catalog shows it to one learner."""
    prerequisites = []
    for pre in meta.get("prerequisites", []):
        cid = pre.split("/")[0]
        title = _text(catalog[cid], "title") if cid in catalog else (pre, pre)
        prerequisites.append(Prerequisite(cid, title))
    level = meta["level"]
    return CourseCard(
        id=meta["id"],
        title=_text(meta, "title"),
        summary=_text(meta, "summary"),
        category=meta["category"],
        level=level,
        level_name=LEVELS[level],
        hours=meta.get("credit_hours", hours(meta.get("minutes"))),  # what completing it earns
        prerequisites=tuple(prerequisites),
        enrolment=enrolment_policy(meta),
        offered=offered,
        enrolled=enrolled,
        requested=requested,
    )


def catalog_view(
    catalog: Mapping[str, Mapping],
    offered: Iterable[str],
    enrolled: Iterable[str],
    requested: Iterable[str] = (),
) -> list[Section]:
    """Every category in the fixed order (an empty one too, so the five are always there); in each,
    beginner courses first, then by id."""
    offered, enrolled, requested = set(offered), set(enrolled), set(requested)
    order = list(LEVELS)
    sections = []
    for category, name in CATEGORIES.items():
        metas = sorted(
            (m for m in catalog.values() if m["category"] == category),
            key=lambda m: (order.index(m["level"]), m["id"]),
        )
        cards = tuple(card(m, catalog, m["id"] in offered, m["id"] in enrolled, m["id"] in requested) for m in metas)
        sections.append(Section(category, name, cards))
    return sections


@dataclass(frozen=True)
class Progress:
    """What the exchange knows of one learner in one course (assignment ids)."""

    released: frozenset[str] = frozenset()
    fetched: frozenset[str] = frozenset()
    submitted: frozenset[str] = frozenset()
    graded: Mapping[str, float | None] = field(default_factory=dict)  # assignment -> score 0..1, None: unknown


@dataclass(frozen=True)
class Item:
    kind: str  # "tutorial" or "assignment"
    id: str
    title: tuple[str, str]
    minutes: int | None
    state: str
    score: float | None = None  # 0..1, for a graded assignment whose feedback carries a score
    released: bool = True  # tutorials are always there; an assignment only once released

    @property
    def state_name(self) -> tuple[str, str]:
        return TUTORIAL_STATES[self.state] if self.kind == "tutorial" else STATES[self.state]

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)


def assignment_state(aid: str, progress: Progress) -> str:
    """The furthest step the learner has reached; a later step implies the earlier ones."""
    if aid in progress.graded:
        return GRADED
    if aid in progress.submitted:
        return SUBMITTED
    if aid in progress.fetched:
        return IN_PROGRESS
    return NOT_STARTED


def course_items(meta: Mapping, progress: Progress, opened_tutorials: Iterable[str] = ()) -> list[Item]:
    """Tutorials first (in course.yaml's order), then assignments, each with its state."""
    opened = set(opened_tutorials)
    items = [
        Item(
            "tutorial",
            t["id"],
            _text(t, "title"),
            t.get("minutes"),
            IN_PROGRESS if t["id"] in opened else NOT_STARTED,
        )
        for t in meta.get("tutorials", [])
    ]
    for a in meta["assignments"]:
        state = assignment_state(a["id"], progress)
        items.append(
            Item(
                "assignment",
                a["id"],
                _text(a, "title"),
                a.get("minutes"),
                state,
                progress.graded.get(a["id"]) if state == GRADED else None,
                a["id"] in progress.released,
            )
        )
    return items
