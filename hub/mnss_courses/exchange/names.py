"""Names that become paths or group names: checked here, once, for the service and the client.

Every course, assignment, student and submission id ends up as a path segment on the service's
disk. Only a short, boring alphabet is accepted, so no id can climb out of its folder ('..'),
hide ('.x'), or mean something else to a shell or a URL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

COURSE_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")  # as course.schema.json
# Assignment and student ids: nbgrader and hub names are freer, but on disk they must be this.
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SUBMISSION_KEY = re.compile(r"^\d{8}T\d{6}\.\d{6}Z(-\d+)?$")
LEARNERS_SUFFIX, INSTRUCTORS_SUFFIX = "-learners", "-instructors"
FORMGRADER_PREFIX = "formgrader-"  # the hub service `formgrader-<course>` acts as that course's instructor
# nbgrader's own default, so timestamp.txt reads the same as with its filesystem exchange.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


class BadName(ValueError):
    """An id is not acceptable as a path segment; the message names it and says why."""


def check_course_id(value: str) -> str:
    if not isinstance(value, str) or not COURSE_ID.match(value):
        raise BadName(
            f"course id {value!r} is not valid: 2-40 lowercase letters, digits or '-', starting with a letter"
        )
    return value


def check_segment(value: str, what: str) -> str:
    """Return `value` if it is safe as one path segment, else raise BadName naming `what`."""
    if not isinstance(value, str) or not SEGMENT.match(value) or value.endswith("."):
        raise BadName(
            f"{what} {value!r} is not valid: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def check_submission_key(value: str) -> str:
    if not isinstance(value, str) or not SUBMISSION_KEY.match(value):
        raise BadName(f"submission id {value!r} is not valid")
    return value


def safe_join(root: Path, *segments: str) -> Path:
    """`root/segment/...`, refusing any result that is not strictly inside `root`.

    The segments are expected to be checked already; this is the second lock on the same door.
    """
    root = Path(root)
    path = root.joinpath(*segments)
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved == resolved_root or resolved_root not in resolved.parents:
        raise BadName(f"path {'/'.join(segments)!r} leaves the storage root")
    return path


def learners_group(course_id: str) -> str:
    return course_id + LEARNERS_SUFFIX


def instructors_group(course_id: str) -> str:
    return course_id + INSTRUCTORS_SUFFIX


def now() -> tuple[str, str]:
    """(timestamp text as nbgrader writes it, sortable submission key), both in UTC."""
    moment = datetime.now(UTC)
    return moment.strftime(TIMESTAMP_FORMAT), moment.strftime("%Y%m%dT%H%M%S.%fZ")
