"""`mnss course grade` where no grading box can be built (an instructor's container): the course's
formgrader collects and autogrades, in its boxes and its course root (grade_api.py)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from .grader import GradingError
from .parts import Part, Scored

GRADE_TIMEOUT = 6 * 3600  # a whole course's submissions, one box after the other


@dataclass
class Answer:
    graded: list[Scored]  # each learner graded, part by part
    failed: list[str]  # why a learner's submission could not be graded (nbgrader's cause)


def grade(url: str, token: str, course: str, assignment: str, students: list[str]) -> Answer:
    """What the formgrader at `url` graded; GradingError with its cause when it graded nothing."""
    if not token:
        raise GradingError("no hub token to reach the course's formgrader: pass --token or set $JUPYTERHUB_API_TOKEN")
    try:
        answer = requests.post(
            url.rstrip("/") + "/mnss/api/grade",
            json={"assignment": assignment, "students": students},
            headers={"Authorization": f"token {token}"},
            timeout=(10, GRADE_TIMEOUT),
            allow_redirects=False,
        )
    except requests.RequestException as err:
        raise GradingError(f"cannot reach the formgrader of {course} at {url}: {err}") from None
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code != 200 or "graded" not in body:
        said = (body.get("error") or {}).get("en") or f"HTTP {answer.status_code} {answer.reason}"
        if answer.status_code in (302, 403):
            said += f" (is this token's user an instructor of {course}?)"
        raise GradingError(f"the formgrader of {course} could not grade {assignment}: {said}")
    graded = [
        Scored(
            row["student"],
            tuple((Part(p["notebook"], p["grade_id"], p["points"], True), p["score"] or 0.0) for p in row["parts"]),
        )
        for row in body["graded"]
    ]
    return Answer(graded, [f["en"] for f in body.get("failed") or []])
