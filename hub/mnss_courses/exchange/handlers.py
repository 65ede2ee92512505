"""HTTP endpoints of the exchange service (all under the service prefix, JSON errors throughout).

Every request is authenticated by its JupyterHub token (HubAuth) and must carry the scope
`access:services!service=mnss-exchange`; the requester's name is the token owner's name, and
nothing else. The one service let in is a course's formgrader (`formgrader-<course>`), as the
instructor of that course alone. Each handler asks `policy.decide` before it touches the store.

    GET    api/courses                                     my courses and my roles
    GET    api/assignments[?course_id=C]                   released assignments of my courses + my submissions
    GET    api/courses/C/assignments/A                     released files (tar.gz)           learner, instructor
    PUT    api/courses/C/assignments/A[?force=1]           release (body: archive)           instructor
    DELETE api/courses/C/assignments/A                     remove the release                instructor
    POST   api/courses/C/assignments/A/submission          submit as myself (body: archive)  learner
    GET    api/courses/C/assignments/A/feedback            my feedback (tar.gz)              learner
    GET    api/courses/C/submissions[?assignment_id=&student_id=]  every submission        instructor
    GET    api/courses/C/submissions/A/STUDENT/KEY         one submission (tar.gz)           instructor
    PUT    api/courses/C/feedback/A/STUDENT?timestamp=T    release feedback (body: archive)  instructor
"""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

import yaml
from jupyterhub.services.auth import HubAuthenticated, UserNotAllowed
from tornado import web

from mnss_foundation.capped_body import CappedBody
from mnss_foundation.hub_service import health_route

from . import archive
from .names import BadName
from .policy import LEARNER, Action, Membership, decide
from .store import StoreError, public

# Query arguments that would name a student on a learner's request: refused, never used.
STUDENT_ARGS = ("student", "student_id", "user", "username")


class ApiError(web.HTTPError):
    def __init__(self, status: int, message: str):
        super().__init__(status, message.replace("%", "%%"))  # logged by tornado as a format string
        self.message = message


class BaseHandler(HubAuthenticated, web.RequestHandler):
    def initialize(self, exchange):
        self.exchange = exchange
        self.hub_auth = exchange.hub_auth
        self.member = None
        self._user = None

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def get_current_user(self):
        return self._user

    def check_xsrf_cookie(self):
        """Token-only API: no cookies are ever accepted, so there is nothing to forge."""

    async def prepare(self):
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            raise ApiError(401, "missing or invalid token: send 'Authorization: token <your JupyterHub API token>'")
        kind = model.get("kind", "user")
        service = Membership.of_service(model["name"], self.exchange.courses) if kind == "service" else None
        if kind != "user" and not (service and service.courses):
            raise ApiError(403, "only hub users and the courses' formgraders can use the exchange")
        try:
            self.check_hub_user(model)
        except UserNotAllowed:
            raise ApiError(
                403, f"this token may not use the exchange; it needs one of the scopes {sorted(self.hub_scopes or [])}"
            ) from None
        self._user = model
        self.member = service or await self.exchange.memberships.of(self.requester)

    @property
    def requester(self) -> str:
        return self._user["name"]

    def write_error(self, status_code, **kwargs):
        err = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(err, "message", None) or (
            err.log_message if isinstance(err, web.HTTPError) and err.log_message else self._reason
        )
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message, "status": status_code}))

    def allow(self, action: Action, course: str) -> None:
        decision = decide(self.member, action, course, self.exchange.courses)
        if not decision.allowed:
            raise ApiError(decision.status, decision.reason)

    def refuse_named_student(self) -> None:
        named = [a for a in STUDENT_ARGS if a in self.request.query_arguments]
        if named:
            raise ApiError(400, f"the student is whoever owns the token; do not send {named[0]!r}")

    async def run(self, fn, *args, **kwargs):
        """Run blocking store/archive work off the event loop, turning its errors into HTTP errors."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except StoreError as err:
            raise ApiError(err.status, str(err)) from None
        except archive.ArchiveTooLarge as err:
            raise ApiError(413, str(err)) from None
        except (BadName, archive.ArchiveError) as err:
            raise ApiError(400, str(err)) from None

    def send_json(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def send_archive(self, data: bytes, name: str) -> None:
        self.set_header("Content-Type", "application/gzip")
        self.set_header("Content-Disposition", f'attachment; filename="{name}.tar.gz"')
        self.finish(data)


def _refused_after_body(method):
    """Run `method` only if prepare() left no refusal waiting for the body to be read."""

    @functools.wraps(method)
    async def run(self, *args, **kwargs):
        if self.refusal is not None:
            raise self.refusal
        return await method(self, *args, **kwargs)

    return run


class UploadHandler(BaseHandler):
    """Reads the request body itself so a refused upload gets a clean answer, not a dropped line.

    A refusal known before the body arrives (no or a bad token, a declared size over
    `max_upload_bytes`) is answered only after the body has been read and thrown away: a server
    that answers and closes while the client is still sending leaves unread bytes behind, the
    kernel then resets the connection, and the hub's proxy loses the answer and shows its own 503
    page instead. Only a declared length beyond `discard_limit` is refused before reading (the
    client may then see the connection close).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("get", "post", "put", "delete"):
            if name in cls.__dict__:
                setattr(cls, name, _refused_after_body(cls.__dict__[name]))

    def initialize(self, exchange):
        super().initialize(exchange)
        self.capped = CappedBody(self.exchange.max_upload_bytes)
        self.refusal: web.HTTPError | None = None

    def _has_body(self, declared: int) -> bool:
        return declared > 0 or "chunked" in self.request.headers.get("Transfer-Encoding", "").lower()

    async def prepare(self):
        limit = self.exchange.max_upload_bytes
        try:
            declared = int(self.request.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        self.request.connection.set_max_body_size(self.exchange.discard_limit)
        if declared > self.exchange.discard_limit:
            raise ApiError(413, self.too_large(declared, limit))
        if declared > limit:  # no need to ask the hub who is sending what is refused anyway
            self.refusal = ApiError(413, self.too_large(declared, limit))
            self.capped.discard()
            return
        try:
            await super().prepare()
        except web.HTTPError as err:
            if not self._has_body(declared):
                raise
            self.refusal = err
            self.capped.discard()

    def data_received(self, chunk: bytes) -> None:
        self.capped.add(chunk)

    @staticmethod
    def too_large(size: int, limit: int) -> str:
        return f"upload of {size} bytes is larger than the limit of {limit} bytes"

    async def upload(self) -> list[archive.Entry]:
        data = self.capped.data()
        if data is None:
            raise ApiError(413, self.too_large(self.capped.received, self.exchange.max_upload_bytes))
        return await self.run(archive.read, data, self.exchange.limits)


class CoursesHandler(BaseHandler):
    async def get(self):
        courses = [{"course_id": c, "roles": sorted(self.member.roles(c))} for c in self.member.courses]
        self.send_json({"user": self.requester, "courses": courses})


class AssignmentsHandler(BaseHandler):
    async def get(self):
        self.refuse_named_student()
        course = self.get_query_argument("course_id", "")
        if course:
            self.allow(Action.LIST, course)
        courses = [course] if course else self.member.courses
        released, submissions = [], []
        for c in courses:
            released += [public(m) for m in await self.run(self.exchange.store.released, c)]
            if LEARNER in self.member.roles(c):
                submissions += await self.run(own_submissions, self.exchange.store, c, self.requester)
        self.send_json({"user": self.requester, "assignments": released, "submissions": submissions})


def own_submissions(store, course: str, student: str) -> list[dict]:
    """A learner's submissions of a course, each with the checksums of its released feedback."""
    feedback = {(m["assignment_id"], m["key"]): m["notebooks"] for m in store.feedback(course, None, student)}
    return [
        dict(public(m), feedback=feedback.get((m["assignment_id"], m["key"]), {}))
        for m in store.submissions(course, student=student)
    ]


def declared_assignments(catalog: str, course: str) -> list[str] | None:
    """Assignment ids course.yaml declares, or None when the course is not in the catalog."""
    path = Path(catalog) / course / "course.yaml"
    try:
        meta = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    return [a.get("id") for a in meta.get("assignments", []) if isinstance(a, dict)]


@web.stream_request_body
class ReleaseHandler(UploadHandler):
    async def get(self, course, assignment):
        self.allow(Action.FETCH, course)
        meta = await self.run(self.exchange.store.released_one, course, assignment)
        data = await self.run(self.exchange.store.blob, meta)
        if LEARNER in self.member.roles(course):
            await self.run(self.exchange.store.note_fetched, course, assignment, self.requester)
        self.send_archive(data, assignment)

    async def put(self, course, assignment):
        self.allow(Action.RELEASE, course)
        if self.exchange.catalog_dir:
            declared = await asyncio.to_thread(declared_assignments, self.exchange.catalog_dir, course)
            if declared is None:
                raise ApiError(400, f"course {course!r} is not in the course catalog")
            if assignment not in declared:
                raise ApiError(
                    400,
                    f"assignment {assignment!r} is not declared in course.yaml of {course!r}; "
                    f"declared: {', '.join(declared)}",
                )
        force = self.get_query_argument("force", "") in ("1", "true", "yes")
        entries = await self.upload()
        meta = await self.run(self.exchange.store.release, course, assignment, entries, self.requester, force)
        self.exchange.log.info("%s released %s/%s", self.requester, course, assignment)
        self.send_json(public(meta), 201)

    async def delete(self, course, assignment):
        self.allow(Action.UNRELEASE, course)
        meta = await self.run(self.exchange.store.unrelease, course, assignment)
        self.exchange.log.info("%s removed the release of %s/%s", self.requester, course, assignment)
        self.send_json(public(meta))


@web.stream_request_body
class SubmitHandler(UploadHandler):
    async def post(self, course, assignment):
        self.allow(Action.SUBMIT, course)
        self.refuse_named_student()
        entries = await self.upload()
        meta = await self.run(self.exchange.store.submit, course, assignment, self.requester, entries)
        self.exchange.log.info("%s submitted %s/%s at %s", self.requester, course, assignment, meta["timestamp"])
        self.send_json(public(meta), 201)


class OwnFeedbackHandler(BaseHandler):
    async def get(self, course, assignment):
        self.allow(Action.FETCH_FEEDBACK, course)
        self.refuse_named_student()
        data = await self.run(own_feedback_archive, self.exchange.store, course, assignment, self.requester)
        if data is None:
            raise ApiError(404, f"no feedback has been released to you for {course}/{assignment} yet")
        self.send_archive(data, f"{assignment}-feedback")


def own_feedback_archive(store, course: str, assignment: str, student: str) -> bytes | None:
    """All feedback of one learner's submissions, as `<timestamp>/<notebook>.html` entries."""
    records = store.feedback(course, assignment, student)
    if not records:
        return None
    return archive.pack([(f"{m['timestamp']}/{name}", content) for m in records for name, content in store.entries(m)])


class SubmissionsHandler(BaseHandler):
    async def get(self, course):
        self.allow(Action.COLLECT, course)
        store = self.exchange.store
        assignment = self.get_query_argument("assignment_id", "") or None
        student = self.get_query_argument("student_id", "") or None
        records = await self.run(store.submissions, course, assignment, student)
        feedback = {}
        for a, s in {(m["assignment_id"], m["student_id"]) for m in records}:
            for f in await self.run(store.feedback, course, a, s):
                feedback[(a, s, f["key"])] = f["notebooks"]
        self.send_json(
            {
                "submissions": [
                    dict(public(m), feedback=feedback.get((m["assignment_id"], m["student_id"], m["key"]), {}))
                    for m in records
                ]
            }
        )


class SubmissionFileHandler(BaseHandler):
    async def get(self, course, assignment, student, key):
        self.allow(Action.COLLECT, course)
        meta = await self.run(self.exchange.store.submission, course, assignment, student, key)
        self.send_archive(await self.run(self.exchange.store.blob, meta), f"{student}-{assignment}-{key}")


@web.stream_request_body
class FeedbackReleaseHandler(UploadHandler):
    async def put(self, course, assignment, student):
        self.allow(Action.RELEASE_FEEDBACK, course)
        timestamp = self.get_query_argument("timestamp", "")
        if not timestamp:
            raise ApiError(400, "say which submission the feedback is for: ?timestamp=<its timestamp.txt>")
        entries = await self.upload()
        meta = await self.run(
            self.exchange.store.put_feedback, course, assignment, student, timestamp, entries, self.requester
        )
        self.exchange.log.info("%s released feedback for %s on %s/%s", self.requester, student, course, assignment)
        self.send_json(public(meta), 201)


class NotFoundHandler(BaseHandler):
    async def prepare(self):
        raise ApiError(404, f"no such endpoint: {self.request.method} {self.request.path}")


def routes(prefix: str, exchange) -> list[tuple[str, type, dict]]:
    seg = r"([^/]+)"
    api = prefix.rstrip("/") + "/api"
    table = [
        (f"{api}/courses", CoursesHandler),
        (f"{api}/assignments", AssignmentsHandler),
        (f"{api}/courses/{seg}/assignments/{seg}", ReleaseHandler),
        (f"{api}/courses/{seg}/assignments/{seg}/submission", SubmitHandler),
        (f"{api}/courses/{seg}/assignments/{seg}/feedback", OwnFeedbackHandler),
        (f"{api}/courses/{seg}/submissions", SubmissionsHandler),
        (f"{api}/courses/{seg}/submissions/{seg}/{seg}/{seg}", SubmissionFileHandler),
        (f"{api}/courses/{seg}/feedback/{seg}/{seg}", FeedbackReleaseHandler),
    ]
    api_routes = [(pattern, handler, {"exchange": exchange}) for pattern, handler in table]
    unknown = (f"{prefix.rstrip('/')}(/.*)?", NotFoundHandler, {"exchange": exchange})
    return [*api_routes, health_route(prefix, exchange.name), unknown]
