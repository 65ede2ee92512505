"""The portal's hub pages: /hub/portal (catalog and next up) and /hub/portal/course/<id>.

Reads come from the hub's own database (the learner's groups), course.yaml and the exchange's
store; membership changes go through the hub's REST API (groups.py) off the event loop, which has
to answer those very calls. Opening an item is a link to /hub/user-redirect/mnss/open?...: the
hub starts the learner's server if needed and the server's helper fetches through the exchange.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from functools import cache
from urllib.parse import quote

from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from mnss_courses import bundle
from mnss_courses.exchange.store import Store

from . import SETTINGS, catalog as view
from .groups import TOKEN_ENV, CourseGroups, GroupError, instructors_group, learners_group
from .progress import learner_progress

OPENED = "tutorials_opened"  # learners group property: learner name -> tutorial ids opened
NEXT_UP_TIMEOUT = 3  # s; the portal home does not wait longer for recommendations
TOKEN_LIFETIME = 3600  # s; the hub-minted token with which the portal asks the recommender


@cache
def load_catalog(folder: str) -> dict[str, dict]:
    """course id -> course.yaml, read once per hub process (the catalog changes with a restart)."""
    return {cid: course.meta for cid, course in bundle.load_catalog(folder).items()}


@cache
def exchange_store(folder: str) -> Store:
    return Store(folder)


class PortalHandler(BaseHandler):
    @property
    def portal(self) -> dict:
        return self.settings[SETTINGS]

    @property
    def catalog(self) -> dict[str, dict]:
        return load_catalog(self.portal["catalog"])

    def group_names(self) -> set[str]:
        return {g.name for g in self.current_user.groups}

    def enrolled(self) -> set[str]:
        return {cid for cid in self.portal["courses"] if learners_group(cid) in self.group_names()}

    def teaches(self, course: str) -> bool:
        return self.current_user.admin or instructors_group(course) in self.group_names()

    def waiting(self, course: str) -> list[str]:
        """Names whose request to join `course` waits (from the group's properties, in the hub DB)."""
        group = orm.Group.find(self.db, learners_group(course))
        return list(((group.properties or {}) if group else {}).get("enrolment_requests", []))

    def opened_tutorials(self, course: str) -> list[str]:
        """The tutorials of `course` this learner has opened from the portal (in the hub DB)."""
        group = orm.Group.find(self.db, learners_group(course))
        opened = ((group.properties or {}) if group else {}).get(OPENED, {})
        return list(opened.get(self.current_user.name, []))

    def requested(self) -> set[str]:
        me = self.current_user.name
        return {cid for cid in self.portal["courses"] if me in self.waiting(cid)}

    async def page(self, template: str, status: int = 200, **ns) -> None:
        self.set_status(status)
        self.finish(await self.render_template(template, **ns))


class HomeHandler(PortalHandler):
    """/hub/portal: the catalog by the five categories, and next up."""

    @web.authenticated
    async def get(self):
        sections = view.catalog_view(self.catalog, self.portal["courses"], self.enrolled(), self.requested())
        next_up, note = await self.next_up()
        await self.page("portal.html", sections=sections, next_up=next_up, next_up_note=note)

    async def next_up(self) -> tuple[list[dict], str]:
        """(recommendations, '' or why there are none: 'off', 'down', 'empty') from the recommender's
        /api/me, asked as the learner with a short-lived token the hub mints for them (the service
        answers only for the token's owner, so nobody else's data can come back)."""
        url = self.portal.get("recommender_url")
        if not url:
            return [], "off"
        request = HTTPRequest(
            url + "api/me?k=5",
            headers={"Authorization": f"token {self.recommender_token()}"},
            request_timeout=NEXT_UP_TIMEOUT,
            follow_redirects=False,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError:
            return [], "down"
        if response.code != 200:
            self.log.warning("portal: the recommender answered HTTP %s", response.code)
            return [], "down"
        recs = [r for r in json.loads(response.body).get("recommendations", []) if "/" in r.get("item", "")]
        return recs, "" if recs else "empty"

    def recommender_token(self) -> str:
        """A token of the learner that may only reach the recommender, reused until near its end."""
        tokens = self.settings.setdefault("mnss_portal_tokens", {})
        name = self.current_user.name
        held = tokens.get(name)
        if held and held[1] > time.monotonic() + 60:
            return held[0]
        token = self.current_user.new_api_token(
            note="门户推荐 / portal next up",
            expires_in=TOKEN_LIFETIME,
            scopes=[f"access:services!service={self.portal['recommender_service']}"],
        )
        tokens[name] = (token, time.monotonic() + TOKEN_LIFETIME)
        return token


def open_link(base_url: str, course: str, kind: str, item: dict) -> str:
    """The one-click link: the hub starts the server if needed, the server's helper does the rest.
    A tutorial's link passes the portal first, which notes it as opened (tutorials never reach
    the exchange, so nothing else knows)."""
    if kind == "tutorial":
        return f"{base_url}portal/course/{quote(course)}/tutorial/{quote(item['id'])}"
    return f"{base_url}user-redirect/mnss/open?item={quote(course)}/{quote(item['id'])}"


def tutorial_link(base_url: str, course: str, tutorial: dict) -> str:
    """Where the portal sends a tutorial's click on: the learner's server copies and opens it."""
    return f"{base_url}user-redirect/mnss/open?tutorial={quote(course)}/{quote(tutorial['file'].split('/', 1)[1])}"


class CourseHandler(PortalHandler):
    """/hub/portal/course/<id>: tutorials and assignments with their states; enrolment."""

    def course_meta(self, course: str) -> dict:
        meta = self.catalog.get(course)
        if meta is None:
            raise web.HTTPError(404, f"no course {course!r} in the catalog")
        return meta

    async def show(self, course: str, status: int = 200, notice: str = "", error: str = "") -> None:
        meta = self.course_meta(course)
        enrolled = course in self.enrolled()
        card = view.card(meta, self.catalog, course in self.portal["courses"], enrolled, course in self.requested())
        opened = []
        if enrolled:
            store = exchange_store(self.portal["exchange_dir"])
            progress = await asyncio.to_thread(learner_progress, store, course, self.current_user.name)
            opened = self.opened_tutorials(course)
        else:
            progress = view.Progress()
        items = view.course_items(meta, progress, opened)
        files = {t["id"]: t for t in meta.get("tutorials", [])}
        links = {
            (it.kind, it.id): open_link(self.hub.base_url, course, it.kind, files.get(it.id, {"id": it.id}))
            for it in items
        }
        teaches = self.teaches(course) and card.offered
        await self.page(
            "portal-course.html",
            status,
            course=card,
            items=items,
            links=links,
            references=view.references(meta),
            waiting=self.waiting(course) if teaches else [],
            teaches=teaches,
            notice=notice,
            error=error,
        )

    @web.authenticated
    async def get(self, course):
        await self.show(course, notice=self.get_argument("done", ""))

    @web.authenticated
    async def post(self, course):
        meta = self.course_meta(course)
        action = self.get_body_argument("action", "")
        me = self.current_user.name
        policy = view.enrolment_policy(meta)
        if course not in self.portal["courses"]:
            return await self.show(course, 409, error="not-offered")
        if action == "enrol" and policy == "open":
            target, call = me, "enrol"
        elif action == "request" and policy == "approval":
            target, call = me, "request"
        elif action in ("approve", "decline") and self.teaches(course):
            target, call = self.get_body_argument("user", ""), {"approve": "enrol", "decline": "decline"}[action]
            if target not in self.waiting(course):
                return await self.show(course, 400, error="no-request")
        else:
            raise web.HTTPError(403, f"{action!r} is not allowed for course {course!r} ({policy} enrolment)")
        token = os.environ.get(TOKEN_ENV, "")
        if not token:
            self.log.error("portal: no $%s: course membership cannot be changed", TOKEN_ENV)
            return await self.show(course, 503, error="no-token")
        client = CourseGroups(self.hub.api_url, token)
        try:
            await asyncio.to_thread(getattr(client, call), course, target)
        except GroupError as err:
            self.log.error("portal: %s of %s in %s failed: %s", action, target, course, err)
            return await self.show(course, 502, error="hub-refused")
        self.log.info("portal: %s %s in %s", action, target, course)
        self.db.expire_all()  # the group change was made through the API: read it fresh
        self.redirect(f"{self.hub.base_url}portal/course/{quote(course)}?done={quote(action)}")


class TutorialHandler(PortalHandler):
    """/hub/portal/course/<id>/tutorial/<tutorial id>: note the tutorial as opened by this learner
    (so the course page shows it), then on to the learner's server, which copies and opens it."""

    @web.authenticated
    async def get(self, course, tutorial):
        meta = self.catalog.get(course)
        found = next((t for t in (meta or {}).get("tutorials", []) if t["id"] == tutorial), None)
        if found is None:
            raise web.HTTPError(404, f"课程 {course} 中没有教程 {tutorial} / no tutorial {tutorial} in {course}")
        if course not in self.enrolled():
            raise web.HTTPError(403, f"请先选课 {course!r} / enrol in {course!r} first")
        group = orm.Group.find(self.db, learners_group(course))
        props = dict(group.properties or {})
        opened = dict(props.get(OPENED, {}))
        me = self.current_user.name
        if tutorial not in opened.get(me, []):
            opened[me] = sorted({*opened.get(me, []), tutorial})
            group.properties = {**props, OPENED: opened}  # a new dict, so the change is saved
            self.db.commit()
        self.redirect(tutorial_link(self.hub.base_url, course, found))


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/portal/?", HomeHandler),
        (r"/portal/course/([a-z][a-z0-9-]{1,39})/?", CourseHandler),
        (r"/portal/course/([a-z][a-z0-9-]{1,39})/tutorial/([a-z0-9][a-z0-9-]{0,63})", TutorialHandler),
    ]
