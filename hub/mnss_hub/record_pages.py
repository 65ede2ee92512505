"""The learning record pages: /hub/record (the learner's own, with CSV/Excel export and
certificates) and /hub/record/institution (the training office's credit hours per person and year).

The record lives with the recommender, which holds the learning events under pseudonyms only it
can compute. So these pages ask it, as the user: the hub gives the user a short-lived token that
may only reach the recommender, and the recommender answers for that token's owner and nobody
else. Hub admins' tokens may ask for the hours of the users the hub names. Real names come from
the people store, read-only, when the hub has one.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from mnss_courses.record import LearningRecord, record_from_dict
from mnss_courses.record_files import (
    RECORD_STATES,
    CertificateError,
    StaffRow,
    certificate_pdf,
    record_csv,
    record_xlsx,
    staff_xlsx,
    staff_years,
    verification_id,
    verify,
)

from .people import ADMIN, Actor, PeopleError, profiles
from .portal.handlers import exchange_store
from .portal.progress import graded_events
from .pseudonym import load_or_create_key

TOKEN_SECONDS = 900  # a page token lives 15 minutes and is reused until one minute before it ends
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class RecordSource:
    """Where the record comes from: the recommender's API URL (ends with '/'), the service's
    name (for the token's scope), the key for certificate ids, and the record's time zone."""

    api_url: str
    service: str
    key_file: str
    timezone: str = "Asia/Shanghai"
    exchange_dir: str = ""  # the course exchange's store, when courses are served: graded feedback
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    sent: dict[str, set[str]] = field(default_factory=dict)  # graded events already handed over

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def key(self) -> bytes:
        return load_or_create_key(self.key_file)


class RecordUnavailable(web.HTTPError):
    def __init__(self, why: str):
        super().__init__(503, f"学习档案暂不可用 / the learning record is not available: {why}")


class RecordHandler(BaseHandler):
    def initialize(self, source: RecordSource):
        self.source = source

    def token(self) -> str:
        """The user's page token for the recommender, made once and reused while it is fresh."""
        user, now = self.current_user, time.time()
        cached = self.source.tokens.get(user.name)
        if cached and cached[1] - 60 > now:
            return cached[0]
        token = user.new_api_token(
            note="mnss learning record page",
            expires_in=TOKEN_SECONDS,
            scopes=[f"access:services!service={self.source.service}"],
        )
        self.source.tokens[user.name] = (token, now + TOKEN_SECONDS)
        return token

    async def ask(self, path: str, body: dict | None = None) -> dict:
        request = HTTPRequest(
            self.source.api_url + path,
            method="POST" if body is not None else "GET",
            body=None if body is None else json.dumps(body),
            headers={"Authorization": f"token {self.token()}", "Content-Type": "application/json"},
            request_timeout=30,
            follow_redirects=False,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as err:
            if err.code in (401, 403):
                self.source.tokens.pop(self.current_user.name, None)
            raise RecordUnavailable(f"recommender answered {err.code}") from None
        except OSError as err:
            raise RecordUnavailable(f"recommender unreachable ({err.strerror or err})") from None
        return json.loads(response.body)

    async def record(self) -> LearningRecord:
        await self.hand_over_feedback()
        return record_from_dict(await self.ask("api/record"))

    async def hand_over_feedback(self) -> None:
        """Send the recommender a 'graded' event for each feedback the exchange holds for this
        learner in their courses, so a score is in the record as soon as the instructor releases
        the feedback, not only once the learner fetches it in their lab. Each is sent once per hub
        run (the recommender keeps an event id once anyway); a failure leaves the record as it is."""
        if not self.source.exchange_dir:
            return
        user = self.current_user
        courses = [g.name.removesuffix("-learners") for g in user.groups if g.name.endswith("-learners")]
        store = exchange_store(self.source.exchange_dir)
        found = await asyncio.to_thread(lambda: [e for c in courses for e in graded_events(store, c, user.name)])
        sent = self.source.sent.setdefault(user.name, set())
        new = [e for e in found if e["event_id"] not in sent]
        if not new:
            return
        try:
            await self.ask("api/events", {"events": new})
        except RecordUnavailable as err:
            self.log.warning("record: graded feedback of %s not handed over: %s", user.name, err.log_message)
            return
        sent.update(e["event_id"] for e in new)

    def people_store(self):
        """The people store of the password login's real-name accounts, if this hub has one."""
        if not getattr(self.authenticator, "people_site", None):
            return None
        return self.authenticator.people_pages.store

    async def real_name(self) -> str:
        store, name = self.people_store(), self.current_user.name
        if store is None:
            return name
        try:
            profile = await asyncio.to_thread(profiles.get_profile, store, Actor(name), name)
        except PeopleError:
            return name
        return profile.name or name

    def download(self, data: bytes, content_type: str, filename: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.set_header("Cache-Control", "no-store")
        self.finish(data)


class MyRecordHandler(RecordHandler):
    """/hub/record: courses, assignments with state, score and time, hours per year, downloads."""

    @web.authenticated
    async def get(self):
        record = await self.record()
        html = await self.render_template(
            "record.html",
            record=record,
            real_name=await self.real_name(),
            tz=self.source.tz,
            fmt_date=fmt_date,
            states=RECORD_STATES,
        )
        self.finish(html)


def fmt_date(ts: float | None, tz) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d")


class ExportHandler(RecordHandler):
    """/hub/record/export.csv and .xlsx: the learner's own record as a file."""

    @web.authenticated
    async def get(self, fmt: str):
        record, name = await self.record(), self.current_user.name
        if fmt == "csv":
            self.download(record_csv(record, self.source.tz), "text/csv; charset=utf-8", f"{name}-record.csv")
        else:
            self.download(await asyncio.to_thread(record_xlsx, record, self.source.tz), XLSX, f"{name}-record.xlsx")


class CertificateHandler(RecordHandler):
    """/hub/record/certificate/<course>.pdf: only for a completed course of the caller's own."""

    @web.authenticated
    async def get(self, course_id: str):
        record = await self.record()
        course = record.course(course_id)
        if course is None:
            raise web.HTTPError(404, f"档案中没有课程 {course_id!r} / no course {course_id!r} in your record")
        user, tz = self.current_user.name, self.source.tz
        try:
            verification = verification_id(self.source.key, user, course, tz)
            query = urlencode({"user": user, "course": course_id, "id": verification})
            link = f"{self.request.protocol}://{self.request.host}{self.hub.base_url}record/verify?{query}"
            pdf = await asyncio.to_thread(
                certificate_pdf,
                name=await self.real_name(),
                course=course,
                verification=verification,
                tz=tz,
                verify_url=link,
            )
        except CertificateError as err:
            raise web.HTTPError(409, f"{err.zh} / {err.en}") from None
        self.download(pdf, "application/pdf", f"{user}-{course_id}-certificate.pdf")


class InstitutionHandler(RecordHandler):
    """/hub/record/institution (and ?format=xlsx): credit hours per person and year, hub admins only."""

    @web.authenticated
    async def get(self):
        if not self.current_user.admin:
            raise web.HTTPError(403, "仅限管理员 / administrators only")
        names = [n for (n,) in self.db.query(orm.User.name).order_by(orm.User.name)]
        hours = (await self.ask("api/record/staff", {"users": names}))["hours"]
        people = await asyncio.to_thread(self.profiles_by_username)
        rows = []
        for n in names:
            p = people.get(n)
            years = {int(y): h for y, h in hours.get(n, {}).items()}
            rows.append(StaffRow(n, p.name if p else "", p.institution if p else "", p.department if p else "", years))
        if self.get_argument("format", "") == "xlsx":
            self.download(await asyncio.to_thread(staff_xlsx, rows), XLSX, "staff-credit-hours.xlsx")
            return
        self.finish(await self.render_template("record-institution.html", rows=rows, years=staff_years(rows)))

    def profiles_by_username(self) -> dict:
        store = self.people_store()
        if store is None:
            return {}
        actor, found, offset = Actor(self.current_user.name, ADMIN), {}, 0
        while True:
            page = profiles.list_profiles(store, actor, offset=offset, limit=500)
            found.update((p.username, p) for p in page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return found


class VerifyHandler(RecordHandler):
    """/hub/record/verify?user=&course=&id=: anyone holding a certificate (an employer, an
    auditor) checks it without signing in; it confirms only what they typed, and the date."""

    async def get(self):
        user, course, vid = (self.get_argument(k, "").strip() for k in ("user", "course", "id"))
        checked = bool(user and course and vid)
        day = verify(self.source.key, user, course, vid) if checked else None
        self.set_status(200 if day or not checked else 404)
        self.finish(
            await self.render_template(
                "record-verify.html", checked=checked, day=day, v_user=user, v_course=course, v_id=vid
            )
        )


def handlers(source: RecordSource) -> list[tuple]:
    kw = {"source": source}
    return [
        (r"/record", MyRecordHandler, kw),
        (r"/record/export\.(csv|xlsx)", ExportHandler, kw),
        (r"/record/certificate/([a-z][a-z0-9-]{1,39})\.pdf", CertificateHandler, kw),
        (r"/record/institution", InstitutionHandler, kw),
        (r"/record/verify", VerifyHandler, kw),
    ]
