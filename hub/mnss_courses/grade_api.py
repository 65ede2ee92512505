"""`mnss/api/{build,release,collect,grade,feedback}` of a course's formgrader, for a script.

`mnss course grade` in an instructor's container cannot build a grading box there: Docker masks
parts of /proc, so the kernel refuses the box a /proc of its own, and a box seeing the container's
/proc could read every process of the instructor (her server's token, her unhidden files through
/proc/<pid>/root). So the command asks this endpoint instead, with her server's token, which the
hub lets reach the formgraders of her own courses only. The formgrader collects the latest
submissions through the exchange and autogrades them in its own boxes, in the course's one course
root (what the round page shows), and answers each learner's score part by part. The grades are
then in this course root, so `mnss course feedback` there asks `mnss/api/feedback` as well (and
`mnss course export` reads `mnss/grades.csv`).

For the same reason, one course root per course, `mnss course build`, `release` and `collect`
there ask `mnss/api/build|release|collect`: what she releases from her terminal is what the
formgrader's round page shows, and collects and grades. Every step holds the course root's
grading lock (grading_lock.py), as the round page's do: a second one meanwhile is answered 409.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from nbgrader.server_extensions.formgrader.base import BaseHandler
from tornado import web

from . import grading_lock
from .grader import scored
from .round_page import RoundError, _step, collect, release_feedback

API = "/mnss/api/"


def grade(api, assignment: str, students: list[str]) -> dict:
    """Collect, then autograde `students` (all collected ones when empty); the answer's JSON."""
    collect(api, assignment)
    have = sorted(api.get_submitted_students(assignment))
    missing = [s for s in students if s not in have]
    if missing:
        raise RoundError(
            f"{assignment} 没有 {missing[0]} 的提交（已收取：{'、'.join(have) or '无'}）",
            f"no submission of {assignment} by {missing[0]!r} (collected: {', '.join(have) or 'none'})",
        )
    graded, failed = [], []
    for student in students or have:
        try:
            _step(api.autograde(assignment, student), f"自动评分 {student}", f"Autograding {student}")
        except RoundError as err:
            failed.append({"zh": err.zh, "en": err.en})
            continue
        result = scored(api, assignment, student)
        graded.append(
            {
                "student": student,
                "parts": [
                    {"notebook": p.notebook, "grade_id": p.grade_id, "points": p.points, "score": score}
                    for p, score in result.parts
                ],
            }
        )
    return {"assignment": assignment, "graded": graded, "failed": failed}


def build(api, assignment: str) -> dict:
    """The learners' version of the assignment (nbgrader generate_assignment) in release/."""
    _step(api.generate_assignment(assignment), f"生成 {assignment} 的学员版本", f"Building {assignment}")
    return {"assignment": assignment}


def release(api, assignment: str) -> dict:
    """The built assignment, published to the course's learners through the exchange."""
    if not Path(api.coursedir.format_path(api.coursedir.release_directory, ".", assignment)).is_dir():
        raise RoundError(
            f"{assignment} 还没有生成学员版本，请先运行 mnss course build",
            f"{assignment} is not built yet: run `mnss course build` first",
        )
    _step(api.release_assignment(assignment), f"发布 {assignment}", f"Releasing {assignment}")
    return {"assignment": assignment}


def collected(api, assignment: str) -> dict:
    """The learners' latest submissions, collected into submitted/; who has one there now."""
    collect(api, assignment)
    return {"assignment": assignment, "students": sorted(api.get_submitted_students(assignment))}


def feedback(api, assignment: str, release: bool) -> dict:
    """The feedback pages of every graded submission, released through the exchange with `release`."""
    if release:
        release_feedback(api, assignment)
    else:
        _step(api.generate_feedback(assignment), f"生成 {assignment} 的反馈", f"Generating feedback of {assignment}")
    return {"assignment": assignment, "released": release}


def _error(err: RoundError) -> dict:
    return {"error": {"zh": err.zh, "en": err.en}}


class StepApi(BaseHandler):
    """POST a JSON object naming the assignment: the step's answer, or {"error": {zh, en}}."""

    def write_error(self, status_code, **kwargs):
        """Refusals (not signed in, no access to this course) as JSON too, not an HTML page."""
        self.set_header("Content-Type", "application/json; charset=utf-8")
        said = f"HTTP {status_code} {self._reason}"
        self.finish(json.dumps(_error(RoundError(f"评分服务拒绝了请求（{said}）", f"the formgrader refused ({said})"))))

    def _answer(self, status: int, body: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))

    def initialize(self, action: str) -> None:
        self.action = action  # a key of STEPS

    @web.authenticated
    async def post(self):
        try:
            asked = json.loads(self.request.body or b"{}")
            assignment = str(asked["assignment"])
        except (ValueError, KeyError, TypeError):
            error = RoundError(
                '请求须为 JSON：{"assignment": 作业, ...}', 'the request must be JSON: {"assignment": id, ...}'
            )
            return self._answer(400, _error(error))
        api = self.api
        if assignment not in await asyncio.to_thread(api.get_source_assignments):
            unknown = RoundError(f"课程中没有作业：{assignment}", f"the course has no assignment {assignment}")
            return self._answer(400, _error(unknown))
        try:
            answer = await asyncio.to_thread(locked_step, api, self.action, assignment, asked)
        except grading_lock.Busy as busy:
            return self._answer(409, _error(RoundError(busy.zh, busy.en)))
        except RoundError as err:
            self.log.warning("%s of %s for a script failed: %s", self.request.path, assignment, err.en)
            return self._answer(500, _error(err))
        self._answer(200, answer)


# action (also its code in messages.yaml's grading_steps) -> the step, given the course's API, the
# assignment and the whole request; each answers a JSON object.
STEPS = {
    # the learners' version in release/
    "build": lambda api, assignment, asked: build(api, assignment),
    # the built assignment, released through the exchange
    "release": lambda api, assignment, asked: release(api, assignment),
    # the latest submissions collected; {"students": [...]}: who has one
    "collect": lambda api, assignment, asked: collected(api, assignment),
    # asked {"students": [username, ...]}: collect, autograde, the scores
    "grade": lambda api, assignment, asked: grade(api, assignment, [str(s) for s in asked.get("students") or []]),
    # asked {"release": true|false}: the feedback pages, released or not
    "feedback": lambda api, assignment, asked: feedback(api, assignment, bool(asked.get("release", True))),
}


def locked_step(api, action: str, assignment: str, asked: dict) -> dict:
    """The step, holding the course root's grading lock (a second step meanwhile: Busy)."""
    with grading_lock.one_step(api.coursedir.root, action, assignment):
        return STEPS[action](api, assignment, asked)


def handlers(base: str) -> list[tuple]:
    return [(base + API + action, StepApi, {"action": action}) for action in STEPS]
