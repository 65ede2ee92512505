"""Course enrolments an invitation carries, applied to the account registered through it.

Enrolment is membership of the hub group `<course>-learners`, the same store the portal's own
enrol button writes (portal/groups.py) and the exchange reads. This runs inside the hub, at
registration, on the hub's database session, like the hub's own group API does.
"""

from __future__ import annotations

from collections.abc import Iterable

from jupyterhub import orm
from sqlalchemy.orm import Session

from .portal.groups import learners_group


def enrol(db: Session, user: orm.User, courses: Iterable[str]) -> tuple[int, list[str]]:
    """Add `user` to each course's learners group; returns (how many added, courses not served here).

    A course without a learners group is not served by this hub (courses off, or not in the
    catalog): it is reported, not created, so a typo in an invitation sheet makes no new course.
    """
    added, unknown = 0, []
    for course in courses:
        group = orm.Group.find(db, learners_group(course))
        if group is None:
            unknown.append(course)
        elif user not in group.users:
            group.users.append(user)
            added += 1
    db.commit()
    return added, unknown
