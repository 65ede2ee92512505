"""The grading round of one course on one page, in zh-CN and English: `mnss/round` of the
course's formgrader.

nbgrader's formgrader is English only and spreads a round over several pages. This page lists the
course's assignments with where each stands (draft, released, submissions, graded, feedback
released) and offers the round's steps as buttons: release (generate the learners' version and
release it), collect, autograde (each submission in the sandbox), release feedback (generate and
release), and the CSV export. It is a handler of the formgrader's own server, so every step runs
in-process through nbgrader's API under the course's account, with the service's own credentials
(the exchange takes it as this course's instructor only). nbgrader's formgrader stays next to it
for manual grading.

Learners are shown by their real names: the hub answers them for the course's learners group
(mnss_hub.course_names), and they are written into the gradebook too, so nbgrader's own pages
name them as well (last name: the real name, first name: the username).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import requests
from jinja2 import Environment, FileSystemLoader, select_autoescape
from nbgrader.apps import NbGraderAPI
from nbgrader.server_extensions.formgrader.base import BaseHandler
from tornado import web

from mnss_foundation import i18n
from mnss_foundation.server_settings import ServerSettings

from . import grading_lock
from .exchange import URL_ENV
from .exchange.transport import ServiceClient, ServiceError, path
from .grader import step_cause

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
# state -> (zh-CN, en), in the order a round goes
STATES = i18n.load(__package__)["round_states"].pairs()
TEMPLATES.globals["states"] = STATES
# what the launcher (formgrader.py) writes of course.yaml into the server's config folder
COURSE_FILE = "mnss-course.json"


class RoundError(Exception):
    """A step failed; `zh` and `en` say which and why (nbgrader's own cause, as it wrote it)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Learner:
    username: str
    name: str  # the real name, or the username where the people store has none
    submitted: bool = False
    score: float | None = None  # autograded (plus any manual) score
    max_score: float = 0
    feedback: bool = False  # feedback for the latest submission is released


@dataclass
class Assignment:
    name: str
    released: bool
    learners: list[Learner] = field(default_factory=list)
    title: tuple[str, str] | None = None  # (zh-CN, en) from course.yaml; None: the id alone

    @property
    def submitted(self) -> int:
        return sum(1 for le in self.learners if le.submitted)

    @property
    def graded(self) -> int:
        return sum(1 for le in self.learners if le.score is not None)

    @property
    def feedback(self) -> int:
        return sum(1 for le in self.learners if le.feedback)

    @property
    def state(self) -> str:
        return state_of(self.released, self.submitted, self.graded, self.feedback)


def state_of(released: bool, submitted: int, graded: int, feedback: int) -> str:
    """Where an assignment stands: the furthest step every collected submission has reached."""
    if submitted and feedback >= submitted:
        return "feedback"
    if submitted and graded >= submitted:
        return "graded"
    if submitted:
        return "submitted"
    return "released" if released else "draft"


def _step(result: dict, zh: str, en: str) -> None:
    if not result.get("success"):
        cause = step_cause(result)
        raise RoundError(f"{zh}失败：{cause}", f"{en} failed: {cause}")


def release(api: NbGraderAPI, assignment: str) -> None:
    _step(api.generate_assignment(assignment), f"生成 {assignment} 的学员版本", f"Generating {assignment}")
    _step(api.release_assignment(assignment), f"发布 {assignment}", f"Releasing {assignment}")


def collect(api: NbGraderAPI, assignment: str) -> None:
    _step(api.collect(assignment), f"收取 {assignment} 的提交", f"Collecting {assignment}")


def autograde(api: NbGraderAPI, assignment: str) -> None:
    """Every collected submission not yet graded in its current version (all of them when each
    is graded already: grading again is what the button then asks for)."""
    submitted = sorted(api.get_submitted_students(assignment))
    if not submitted:
        raise RoundError(
            f"{assignment} 还没有收取到任何提交，请先收取", f"{assignment} has no collected submission: collect first"
        )
    pending = [s for s in submitted if s not in api.get_autograded_students(assignment)] or submitted
    failed = []
    for student in pending:
        try:
            _step(api.autograde(assignment, student), f"自动评分 {student}", f"Autograding {student}")
        except RoundError as err:
            failed.append(err)
    if failed:
        raise RoundError("；".join(e.zh for e in failed), "; ".join(e.en for e in failed))


def release_feedback(api: NbGraderAPI, assignment: str) -> None:
    if not api.get_autograded_students(assignment):
        raise RoundError(
            f"{assignment} 还没有已评分的提交，请先自动评分", f"{assignment} has no graded submission: autograde first"
        )
    _step(api.generate_feedback(assignment), f"生成 {assignment} 的反馈", f"Generating feedback of {assignment}")
    _step(api.release_feedback(assignment), f"发回 {assignment} 的反馈", f"Releasing feedback of {assignment}")


def one_step(step: Callable[[NbGraderAPI, str], object], api: NbGraderAPI, action: str, assignment: str):
    """`step` under the course root's grading lock: grading_lock.Busy while another step runs."""
    with grading_lock.one_step(api.coursedir.root, action, assignment):
        return step(api, assignment)


# action -> (step, zh done, en done)
ACTIONS: dict[str, tuple[Callable[[NbGraderAPI, str], None], str, str]] = {
    "release": (release, "已发布", "Released"),
    "collect": (collect, "已收取提交：", "Collected the submissions of"),
    "autograde": (autograde, "已自动评分：", "Autograded"),
    "feedback": (release_feedback, "已发回反馈：", "Released the feedback of"),
}


def learner_names(course: str, log=None) -> dict[str, str]:
    """username -> real name of the course's learners, from the hub; {} when it cannot say."""
    api_url, token = os.environ.get("JUPYTERHUB_API_URL", ""), os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not api_url or not token:
        return {}
    url = f"{api_url.rstrip('/')}/mnss/groups/{path(course + '-learners')}/real-names"
    try:
        answer = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=10)
        answer.raise_for_status()
        return dict(answer.json()["names"])
    except (requests.RequestException, ValueError, KeyError) as err:
        if log:
            log.warning("real names of %s's learners unavailable, usernames shown: %s", course, err)
        return {}


def released_feedback(course: str) -> set[tuple[str, str]]:
    """(assignment, learner) pairs whose latest submission has feedback in the exchange."""
    base, token = os.environ.get(URL_ENV, ""), os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not base:
        return set()
    records = ServiceClient(base, token, 30).json("GET", path("courses", course, "submissions"))["submissions"]
    latest: dict[tuple[str, str], dict] = {}
    for rec in records:
        key = (rec["assignment_id"], rec["student_id"])
        if key not in latest or rec["timestamp"] > latest[key]["timestamp"]:
            latest[key] = rec
    return {key for key, rec in latest.items() if rec.get("feedback")}


def assignment_titles(config_dir: str | Path | None = None) -> dict[str, tuple[str, str]]:
    """assignment id -> (zh-CN, en) title of course.yaml, as the launcher wrote them; {} without."""
    folder = config_dir or os.environ.get("JUPYTER_CONFIG_DIR", "")
    try:
        listed = json.loads((Path(folder) / COURSE_FILE).read_text("utf-8"))["assignments"]
        return {str(a["id"]): (str(a["title"]["zh"]), str(a["title"]["en"])) for a in listed}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def name_in_gradebook(api: NbGraderAPI, names: dict[str, str]) -> None:
    """Real names into the gradebook, for nbgrader's own pages ("None, None" otherwise); skipped
    while a grading step holds the gradebook (the next view writes them)."""
    try:
        with grading_lock.one_step(api.coursedir.root, "names", ""):
            _write_names(api, names)
    except grading_lock.Busy:
        return


def _write_names(api: NbGraderAPI, names: dict[str, str]) -> None:
    with api.gradebook as gb:
        for student in gb.students:
            name = names.get(student.id)
            if name and student.last_name != name:
                gb.update_or_create_student(student.id, last_name=name, first_name=student.id)


def round_of(
    api: NbGraderAPI,
    course: str,
    names: dict[str, str],
    feedback: set[tuple[str, str]],
    titles: dict[str, tuple[str, str]] | None = None,
) -> list[Assignment]:
    """Every assignment of the course root's source/ with its title, with its learners' submissions."""
    rows = []
    for info in sorted(api.get_assignments(), key=lambda a: a["name"]):
        aid = info["name"]
        row = Assignment(aid, info["status"] == "released", title=(titles or {}).get(aid))
        for sub in api.get_submissions(aid):
            student = sub["student"]
            row.learners.append(
                Learner(
                    username=student,
                    name=names.get(student, student),
                    submitted=bool(sub.get("submitted")),
                    score=sub.get("score") if sub.get("autograded") else None,
                    max_score=sub.get("max_score") or 0,
                    feedback=(aid, student) in feedback,
                )
            )
        rows.append(row)
    return rows


class RoundPage(BaseHandler):
    """GET: the round; POST action=<release|collect|autograde|feedback> assignment=<id>."""

    @web.authenticated
    async def get(self):
        done, assignment = ACTIONS.get(self.get_argument("done", "")), self.get_argument("assignment", "")
        await self.show(notice=(f"{done[1]} {assignment}", f"{done[2]} {assignment}") if done else None)

    @web.authenticated
    async def post(self):
        action, assignment = self.get_body_argument("action", ""), self.get_body_argument("assignment", "")
        api = self.api
        known = await asyncio.to_thread(api.get_source_assignments)
        if action not in ACTIONS:
            return await self.show(error=RoundError(f"未知操作：{action}", f"unknown action: {action}"), status=400)
        if assignment not in known:
            return await self.show(
                error=RoundError(f"课程中没有作业：{assignment}", f"the course has no assignment {assignment}"),
                status=400,
            )
        try:
            await asyncio.to_thread(one_step, ACTIONS[action][0], api, action, assignment)
        except grading_lock.Busy as busy:
            return await self.show(error=RoundError(busy.zh, busy.en), status=409)
        except RoundError as err:
            self.log.warning("round step %s of %s failed: %s", action, assignment, err.en)
            return await self.show(error=err, status=500)
        done = urlencode({"done": action, "assignment": assignment})
        self.redirect(f"{self.base_url}/mnss/round?{done}", status=303)

    async def show(self, notice=None, error: RoundError | None = None, status: int = 200):
        course, api = self.coursedir.course_id, self.api
        problems = []
        names = await asyncio.to_thread(learner_names, course, self.log)
        try:
            feedback = await asyncio.to_thread(released_feedback, course)
        except ServiceError as err:
            feedback = set()
            problems.append((f"无法连接作业交换服务：{err}", f"the exchange cannot be reached: {err}"))
        await asyncio.to_thread(name_in_gradebook, api, names)
        rows = await asyncio.to_thread(round_of, api, course, names, feedback, assignment_titles())
        self.set_status(status)
        self.finish(
            TEMPLATES.get_template("round.html").render(
                course=course, rows=rows, notice=notice, error=error, problems=problems, **self.frame()
            )
        )

    def frame(self) -> dict:
        """What the page shows around the round: its links, the forms' token, the language."""
        return {
            "base": self.base_url,
            "hub_home": os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/home",
            "xsrf": self.xsrf_token.decode(),
            "default_language": ServerSettings.from_env().lab_language or "zh-CN",
        }


def handlers(base: str) -> list[tuple]:
    return [(base + "/mnss/round", RoundPage)]
