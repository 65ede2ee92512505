"""A learner's continuing-education record, computed from their learning events (pure).

Completion rule: a course is completed when every assignment it declares has a graded event with
a score at or above the course's `pass_mark` (0.6 unless course.yaml says otherwise). It is
completed at the time of the graded event that made the last assignment pass, and its
`credit_hours` are awarded in that year (in the record's time zone: a training office counts
years locally). An assignment's score is the best graded score so far: a resubmission can raise
it, never lower it. Time on task is the sum of the `duration` the learner's server reported.

No I/O here: the recommender feeds events from its store, the hub renders what comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

DEFAULT_PASS_MARK = 0.6
STARTED_KINDS = frozenset({"opened", "executed", "fetched", "topology_run", "closed"})


@dataclass(frozen=True)
class CourseTerms:
    """What course.yaml says about credit: the assignments that count, the hours, the pass mark."""

    id: str
    title_zh: str
    title_en: str
    assignments: tuple[str, ...]
    assignment_titles: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    credit_hours: float = 0.0
    pass_mark: float = DEFAULT_PASS_MARK

    @classmethod
    def from_meta(cls, meta: Mapping) -> CourseTerms:
        """From a validated course.yaml mapping (mnss_courses.bundle checks it)."""
        assignments = meta.get("assignments", [])
        return cls(
            id=meta["id"],
            title_zh=meta["title"]["zh"],
            title_en=meta["title"]["en"],
            assignments=tuple(a["id"] for a in assignments),
            assignment_titles={a["id"]: (a["title"]["zh"], a["title"]["en"]) for a in assignments},
            credit_hours=float(meta.get("credit_hours", 0)),
            pass_mark=float(meta.get("pass_mark", DEFAULT_PASS_MARK)),
        )


@dataclass(frozen=True)
class LearningEvent:
    """The part of a recommender event the record reads (duck-typed: any object with these works)."""

    item: str
    kind: str
    timestamp: float
    score: float | None = None
    duration: float | None = None


@dataclass
class ItemRecord:
    id: str  # assignment id inside the course
    title_zh: str
    title_en: str
    state: str = "not_started"  # not_started | in_progress | submitted | graded
    score: float | None = None  # best graded score, 0..1
    passed: bool = False
    seconds: float = 0.0
    last_activity: float | None = None


@dataclass
class CourseRecord:
    id: str
    title_zh: str
    title_en: str
    credit_hours: float
    pass_mark: float
    items: list[ItemRecord]
    completed_at: float | None = None
    completed_year: int | None = None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def hours_awarded(self) -> float:
        return self.credit_hours if self.completed else 0.0

    @property
    def seconds(self) -> float:
        return sum(i.seconds for i in self.items)

    @property
    def passed_count(self) -> int:
        return sum(1 for i in self.items if i.passed)

    @property
    def mean_score(self) -> float | None:
        scores = [i.score for i in self.items if i.score is not None]
        return sum(scores) / len(scores) if scores else None


@dataclass
class LearningRecord:
    courses: list[CourseRecord]

    @property
    def hours_by_year(self) -> dict[int, float]:
        years: dict[int, float] = {}
        for course in self.courses:
            if course.completed:
                years[course.completed_year] = years.get(course.completed_year, 0.0) + course.credit_hours
        return dict(sorted(years.items()))

    @property
    def total_hours(self) -> float:
        return sum(c.hours_awarded for c in self.courses)

    def course(self, course_id: str) -> CourseRecord | None:
        return next((c for c in self.courses if c.id == course_id), None)


def _year(ts: float, tz: tzinfo) -> int:
    return datetime.fromtimestamp(ts, tz).year


def build_record(
    events: Iterable, terms: Mapping[str, CourseTerms], tz: tzinfo = UTC, enrolled: Iterable[str] = ()
) -> LearningRecord:
    """One learner's record: every course they have an event in or are `enrolled` in, in course-id
    order. Events on items of unknown courses or assignments (a course since removed) are ignored."""
    ordered = sorted(events, key=lambda e: e.timestamp)
    per_course: dict[str, dict[str, ItemRecord]] = {}

    def items_of(cid: str) -> dict[str, ItemRecord]:
        if cid not in per_course:
            t = terms[cid]
            per_course[cid] = {
                a: ItemRecord(a, *t.assignment_titles.get(a, (a, a)), state="not_started") for a in t.assignments
            }
        return per_course[cid]

    for cid in enrolled:
        if cid in terms:
            items_of(cid)
    completed_at: dict[str, float] = {}
    for event in ordered:
        cid, _, aid = event.item.partition("/")
        if cid not in terms or aid not in terms[cid].assignments:
            continue
        item = items_of(cid)[aid]
        item.last_activity = event.timestamp
        if event.duration:
            item.seconds += event.duration
        if event.kind == "graded" and event.score is not None:
            item.state = "graded"
            item.score = event.score if item.score is None else max(item.score, event.score)
            item.passed = item.score >= terms[cid].pass_mark
            if cid not in completed_at and all(i.passed for i in per_course[cid].values()):
                completed_at[cid] = event.timestamp
        elif event.kind == "submitted" and item.state != "graded":
            item.state = "submitted"
        elif event.kind in STARTED_KINDS and item.state == "not_started":
            item.state = "in_progress"
    courses = []
    for cid in sorted(per_course):
        t, done = terms[cid], completed_at.get(cid)
        courses.append(
            CourseRecord(
                t.id,
                t.title_zh,
                t.title_en,
                t.credit_hours,
                t.pass_mark,
                list(per_course[cid].values()),
                done,
                None if done is None else _year(done, tz),
            )
        )
    return LearningRecord(courses)


def hours_by_person_year(
    events_by_person: Mapping[str, Iterable], terms: Mapping[str, CourseTerms], tz: tzinfo = UTC
) -> dict[str, dict[int, float]]:
    """The training office's table: person -> {year: credit hours}; people with none are kept (empty)."""
    return {who: build_record(events, terms, tz).hours_by_year for who, events in events_by_person.items()}


def record_to_dict(record: LearningRecord) -> dict:
    """JSON-ready (the recommender's /api/record answer)."""
    return {
        "total_hours": record.total_hours,
        "hours_by_year": {str(y): h for y, h in record.hours_by_year.items()},
        "courses": [
            {
                "id": c.id,
                "title_zh": c.title_zh,
                "title_en": c.title_en,
                "credit_hours": c.credit_hours,
                "pass_mark": c.pass_mark,
                "completed_at": c.completed_at,
                "completed_year": c.completed_year,
                "hours_awarded": c.hours_awarded,
                "seconds": c.seconds,
                "items": [vars(i).copy() for i in c.items],
            }
            for c in record.courses
        ],
    }


def record_from_dict(data: Mapping) -> LearningRecord:
    """Back from record_to_dict (the hub reads the recommender's answer)."""
    courses = []
    for c in data["courses"]:
        courses.append(
            CourseRecord(
                c["id"],
                c["title_zh"],
                c["title_en"],
                float(c["credit_hours"]),
                float(c["pass_mark"]),
                [ItemRecord(**i) for i in c["items"]],
                c["completed_at"],
                c["completed_year"],
            )
        )
    return LearningRecord(courses)
