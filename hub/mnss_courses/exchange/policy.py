"""Who may do what in the exchange: pure decisions, no I/O, so every rule has a unit test.

A requester's roles come only from hub groups `<course>-learners` and `<course>-instructors`
of courses the service serves; the requester's name comes only from their token. Nothing a
request says about itself (a student id, a role) is ever an input here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .names import FORMGRADER_PREFIX, INSTRUCTORS_SUFFIX, LEARNERS_SUFFIX


class Action(StrEnum):
    LIST = "list released assignments"
    FETCH = "fetch a released assignment"
    SUBMIT = "submit"
    FETCH_FEEDBACK = "fetch own feedback"
    RELEASE = "release an assignment"
    UNRELEASE = "remove a released assignment"
    COLLECT = "collect submissions"
    RELEASE_FEEDBACK = "release feedback"


LEARNER = "learner"
INSTRUCTOR = "instructor"

ALLOWED = {
    LEARNER: {Action.LIST, Action.FETCH, Action.SUBMIT, Action.FETCH_FEEDBACK},
    INSTRUCTOR: {Action.LIST, Action.FETCH, Action.RELEASE, Action.UNRELEASE, Action.COLLECT, Action.RELEASE_FEEDBACK},
}


@dataclass(frozen=True)
class Membership:
    """The courses a user learns in and teaches, as read from their hub groups."""

    learner_of: frozenset[str] = frozenset()
    instructor_of: frozenset[str] = frozenset()

    @classmethod
    def from_groups(cls, groups: Iterable[str], courses: Iterable[str]) -> Membership:
        """Only groups of served courses count: a stray group named `x-learners` grants nothing."""
        known, groups = set(courses), set(groups)
        return cls(
            frozenset(c for c in known if c + LEARNERS_SUFFIX in groups),
            frozenset(c for c in known if c + INSTRUCTORS_SUFFIX in groups),
        )

    @classmethod
    def of_service(cls, name: str, courses: Iterable[str]) -> Membership:
        """A hub service is instructor of one course if it is that course's formgrader
        (`formgrader-<course>`), so the formgrader can release, collect and return feedback; any
        other service is nothing."""
        course = name[len(FORMGRADER_PREFIX) :] if name.startswith(FORMGRADER_PREFIX) else None
        return cls(instructor_of=frozenset({course} & set(courses)))

    def roles(self, course_id: str) -> set[str]:
        return ({LEARNER} if course_id in self.learner_of else set()) | (
            {INSTRUCTOR} if course_id in self.instructor_of else set()
        )

    @property
    def courses(self) -> list[str]:
        return sorted(self.learner_of | self.instructor_of)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200
    reason: str = ""


def decide(member: Membership, action: Action, course_id: str, courses: Iterable[str]) -> Decision:
    """May this member do `action` in `course_id`? If not, the HTTP status and a reason to show."""
    if course_id not in set(courses):
        return Decision(False, 404, f"unknown course {course_id!r}")
    roles = member.roles(course_id)
    if not roles:
        return Decision(False, 403, f"you are not a member of course {course_id!r}")
    if any(action in ALLOWED[role] for role in roles):
        return Decision(True)
    needed = " or ".join(sorted(role for role, actions in ALLOWED.items() if action in actions))
    return Decision(False, 403, f"to {action.value} you must be {needed} in course {course_id!r}")
