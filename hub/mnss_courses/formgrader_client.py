"""`mnss course grade|feedback|export` where no grading box can be built (an instructor's
container): the course's formgrader grades in its boxes, and its course root then holds the
grades, so feedback and the export come from there too (grade_api.py, mnss/grades.csv)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests

from .grader import GradingError
from .parts import Part, Scored

GRADE_TIMEOUT = 6 * 3600  # a whole course's submissions, one box after the other


@dataclass
class Answer:
    graded: list[Scored]  # each learner graded, part by part
    failed: list[str]  # why a learner's submission could not be graded (nbgrader's cause)


@dataclass(frozen=True)
class Formgrader:
    """The course's formgrader service at `url`, reached with the instructor's server token."""

    url: str
    token: str
    course: str

    def call(self, method: str, path: str, doing: str, **kw) -> requests.Response:
        """The answer of a 200; GradingError naming `doing` and the formgrader's cause otherwise."""
        if not self.token:
            raise GradingError(
                "no hub token to reach the course's formgrader: pass --token or set $JUPYTERHUB_API_TOKEN"
            )
        try:
            answer = requests.request(
                method,
                self.url.rstrip("/") + "/" + path,
                headers={"Authorization": f"token {self.token}"},
                timeout=(10, GRADE_TIMEOUT),
                allow_redirects=False,
                **kw,
            )
        except requests.RequestException as err:
            raise GradingError(f"cannot reach the formgrader of {self.course} at {self.url}: {err}") from None
        if answer.status_code != 200:
            try:
                said = (answer.json().get("error") or {}).get("en")
            except (ValueError, AttributeError):
                said = ""
            said = said or f"HTTP {answer.status_code} {answer.reason}"
            if answer.status_code in (302, 403):
                said += f" (is this token's user an instructor of {self.course}?)"
            raise GradingError(f"the formgrader of {self.course} could not {doing}: {said}")
        return answer

    def grade(self, assignment: str, students: list[str]) -> Answer:
        """It collects, then autogrades; what it graded, and why it could not grade the others."""
        body = self.call(
            "POST", "mnss/api/grade", f"grade {assignment}", json={"assignment": assignment, "students": students}
        ).json()
        graded = [
            Scored(
                row["student"],
                tuple((Part(p["notebook"], p["grade_id"], p["points"], True), p["score"] or 0.0) for p in row["parts"]),
            )
            for row in body["graded"]
        ]
        return Answer(graded, [f["en"] for f in body.get("failed") or []])

    def feedback(self, assignment: str, release: bool) -> None:
        """It makes the feedback pages and, with `release`, returns them through the exchange."""
        self.call(
            "POST",
            "mnss/api/feedback",
            f"make the feedback of {assignment}",
            json={"assignment": assignment, "release": release},
        )

    def export(self, to: str | Path) -> Path:
        """Its gradebook as nbgrader's CSV export, written to `to`."""
        Path(to).write_bytes(self.call("GET", "mnss/grades.csv", "export the grades").content)
        return Path(to)
