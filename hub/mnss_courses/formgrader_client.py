"""`mnss course build|release|collect|grade|feedback|export` in a server that knows the course's
formgrader (an instructor's own server: $MNSS_FORMGRADER_URLS): the formgrader does each step in
its course root, the one its round page shows (grade_api.py, mnss/grades.csv). Its refusals and
failures keep their cause in both languages (`FormgraderError`), for the CLI to print the user's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests

from mnss_foundation import i18n

from .grader import GradingError
from .parts import Part, Scored

GRADE_TIMEOUT = 6 * 3600  # a whole course's submissions, one box after the other
TEXTS = i18n.load(__package__)["formgrader_client"]


class FormgraderError(GradingError):
    """The formgrader could not do a step, or could not be asked: `zh` and `en` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def message(self, lang: str) -> str:
        return self.en if i18n.language(lang) == "en" else self.zh

    @classmethod
    def of(cls, code: str, **values) -> FormgraderError:
        return cls(*TEXTS.pair(code, **values))


@dataclass
class Answer:
    graded: list[Scored]  # each learner graded, part by part
    failed: list[FormgraderError]  # why a learner's submission could not be graded (nbgrader's cause)


@dataclass(frozen=True)
class Formgrader:
    """The course's formgrader service at `url`, reached with the instructor's server token."""

    url: str
    token: str
    course: str

    def call(self, method: str, path: str, doing: tuple[str, str], **kw) -> requests.Response:
        """The answer of a 200; FormgraderError naming `doing` (zh-CN, en) and the cause otherwise."""
        if not self.token:
            raise FormgraderError.of("no_token")
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
            raise FormgraderError.of("unreachable", course=self.course, url=self.url, cause=err) from None
        if answer.status_code != 200:
            try:
                said = answer.json().get("error") or {}
                said = (str(said["zh"]), str(said["en"]))
            except (ValueError, AttributeError, KeyError, TypeError):
                said = TEXTS.pair("http", status=answer.status_code, reason=answer.reason)
            if answer.status_code in (302, 403):
                hint = TEXTS.pair("not_instructor", course=self.course)
                said = (said[0] + hint[0], said[1] + hint[1])
            failed = TEXTS.pair("failed", course=self.course, doing=i18n.Both(*doing), cause=i18n.Both(*said))
            raise FormgraderError(*failed)
        return answer

    def step(self, name: str, assignment: str, doing: tuple[str, str], **asked) -> dict:
        """POST mnss/api/<name> for `assignment`: the formgrader's answer."""
        return self.call("POST", f"mnss/api/{name}", doing, json={"assignment": assignment, **asked}).json()

    def build(self, assignment: str) -> None:
        """It makes the learners' version in its course root's release/."""
        self.step("build", assignment, TEXTS.pair("doing_build", assignment=assignment))

    def release(self, assignment: str) -> None:
        """It releases the version it built to the course's learners through the exchange."""
        self.step("release", assignment, TEXTS.pair("doing_release", assignment=assignment))

    def collect(self, assignment: str) -> list[str]:
        """It collects the latest submissions; who has one in its course root now."""
        answer = self.step("collect", assignment, TEXTS.pair("doing_collect", assignment=assignment))
        return [str(s) for s in answer.get("students") or []]

    def grade(self, assignment: str, students: list[str]) -> Answer:
        """It collects, then autogrades; what it graded, and why it could not grade the others."""
        body = self.step("grade", assignment, TEXTS.pair("doing_grade", assignment=assignment), students=students)
        graded = [
            Scored(
                row["student"],
                tuple((Part(p["notebook"], p["grade_id"], p["points"], True), p["score"] or 0.0) for p in row["parts"]),
            )
            for row in body["graded"]
        ]
        return Answer(graded, [FormgraderError(f["zh"], f["en"]) for f in body.get("failed") or []])

    def feedback(self, assignment: str, release: bool) -> None:
        """It makes the feedback pages and, with `release`, returns them through the exchange."""
        self.step("feedback", assignment, TEXTS.pair("doing_feedback", assignment=assignment), release=release)

    def export(self, to: str | Path) -> Path:
        """Its gradebook as nbgrader's CSV export, written to `to`."""
        Path(to).write_bytes(self.call("GET", "mnss/grades.csv", TEXTS.pair("doing_export")).content)
        return Path(to)
