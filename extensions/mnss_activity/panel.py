"""The server side of the "My courses / Next up" panel (我的课程 / 下一步).

GET  mnss/panel       the learner's courses with progress and recommendations, from the
                      recommender's /api/me, asked with this server's own $JUPYTERHUB_API_TOKEN;
                      for each recommendation, where its notebook already is in the home and
                      whether the course exchange has released it (its listing, same token).
POST mnss/panel/open  {"item": "course/assignment"}: the notebook to open, fetching the
                      assignment through the course exchange first when it is not here yet.
GET  mnss/open        ?item=course/assignment or ?tutorial=course/file: the same, as a link the
                      hub's portal opens (it starts the server first); ends in JupyterLab.
POST mnss/panel/submit {"path": "course/assignment/name.ipynb"}: hand the fetched assignment in
                      through the exchange (`nbgrader submit`); JupyterLab's notebook toolbar has
                      the 提交作业 / Submit button for it, so learners need no nbgrader page.

The browser talks only to its own server: it holds no hub token and names no learner, so the
panel can only ever show the token owner's data. Errors reach the page as {"error": {"zh", "en"}};
a refused fetch carries the exchange's own words, not just "nbgrader fetch_assignment failed".
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from mnss_foundation import i18n
from mnss_foundation.server_settings import ServerSettings

from .items import ID, item_for
from .tutorial_notebook import tutorial_notebook

MESSAGES = i18n.load(__package__)["panel"]
FETCH_TIMEOUT = 180


def message(key: str, **values) -> dict:
    """One bilingual message: {"zh": ..., "en": ...}."""
    return MESSAGES.bilingual(key, **values)


def split_item(item: object) -> tuple[str, str] | None:
    """(course, assignment) for a well-formed 'course/assignment' id, else None (never a path)."""
    if not isinstance(item, str) or item.count("/") != 1:
        return None
    course, assignment = item.split("/")
    return (course, assignment) if ID.match(course) and ID.match(assignment) else None


def local_notebook(root: Path, item: str) -> str | None:
    """The notebook of a fetched assignment, relative to the server root. nbgrader puts it in
    ./<assignment>/, or ./<course>/<assignment>/ with Exchange.path_includes_course (the layout
    activity events recognise); both are looked at, the course layout first."""
    parts = split_item(item)
    if parts is None:
        return None
    for folder in (root.joinpath(*parts), root / parts[1]):
        notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith(".")) if folder.is_dir() else []
        if notebooks:
            best = next((p for p in notebooks if p.stem == parts[1]), notebooks[0])
            return best.relative_to(root).as_posix()
    return None


def summary(me: dict, root: Path, released: set[str] | None = None, exchange_error: dict | None = None) -> dict:
    """What the panel renders: the service's answer plus, for each recommended notebook, where it is
    locally and whether it is released (`released` holds "course/assignment" ids; None: unknown, so
    nothing is offered for fetching). Those the learner can open or fetch come first (in the
    service's order), then the others."""
    recs = []
    for r in me.get("recommendations", []):
        item = r.get("item", "")
        recs.append(
            {**r, "local_path": local_notebook(root, item), "released": released is not None and item in released}
        )
    recs.sort(key=lambda r: not (r["local_path"] or (r.get("enrolled") and r["released"])))
    return {
        "courses": me.get("courses", []),
        "recommendations": recs,
        "trained_at": me.get("trained_at"),
        "exchange_error": exchange_error,
    }


def released_ids(listing: dict) -> set[str]:
    """ "course/assignment" ids of the released assignments in the exchange's api/assignments answer."""
    return {
        f"{a.get('course_id')}/{a.get('assignment_id')}" for a in listing.get("assignments", []) if isinstance(a, dict)
    }


def refusal(status: int, course: str, detail: str) -> dict:
    """The exchange refused to list a course: its own words, inside a message in both languages."""
    if status == 403:
        return message("not_member", course=course, detail=detail)
    return message("exchange_refused", detail=detail)


NBGRADER_LINE = re.compile(r"^\[[^\]]*\|\s*(?P<level>[A-Z]+)\]\s*(?P<text>.*)$")


def nbgrader_reason(output: str, returncode: int) -> str:
    """Why `nbgrader fetch_assignment` failed, from its log: the exchange client logs the exchange's
    refusal at CRITICAL (Exchange.fail), then nbgrader adds a bare "... failed" at ERROR."""
    found = {"CRITICAL": [], "ERROR": []}
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in lines:
        m = NBGRADER_LINE.match(line)
        if m and m.group("level") in found:
            found[m.group("level")].append(m.group("text").strip())
    picked = found["CRITICAL"] or found["ERROR"] or lines or [f"exit code {returncode}"]
    return picked[-1][:300]


class ExchangeItems:
    """What the panel's handlers and the portal's link share: the server root, the exchange's
    listing and an assignment's notebook, fetched when missing."""

    @property
    def root(self) -> Path:
        return Path(self.settings["server_root_dir"]).expanduser()

    async def exchange_listing(self, course: str | None = None) -> tuple[dict | None, tuple[int, dict] | None]:
        """(the exchange's api/assignments answer, None) or (None, (HTTP status for the page, bilingual
        error)), asked with this server's token: the exchange answers only for the token's owner."""
        base, token = ServerSettings.from_env().exchange_url, os.environ.get("JUPYTERHUB_API_TOKEN")
        if not base or not token:
            return None, (503, message("no_exchange"))
        url = base.rstrip("/") + "/api/assignments" + (f"?course_id={quote(course)}" if course else "")
        request = HTTPRequest(
            url, headers={"Authorization": f"token {token}"}, request_timeout=15, follow_redirects=False
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as err:
            self.log.info("mnss panel: exchange not reachable: %s", err)
            return None, (503, message("exchange_down"))
        if response.code == 599:
            return None, (503, message("exchange_down"))
        try:
            body = json.loads(response.body or b"{}")
        except ValueError:
            body = {}
        if response.code != 200:
            detail = f"{body.get('error') or response.reason} (HTTP {response.code})"
            self.log.warning("mnss panel: exchange refused the listing: %s", detail)
            return None, (502, refusal(response.code, course or "", detail))
        return body, None

    async def notebook_of(self, item: object) -> tuple[str | None, tuple[int, dict] | None]:
        """(the notebook of `item`, relative to the root, None) or (None, (status, bilingual error)),
        fetching the assignment through the exchange first when it is not here yet."""
        parts = split_item(item)
        if parts is None:
            return None, (400, message("bad_item", item=str(item)[:80]))
        path = local_notebook(self.root, item)
        if path is None:
            listing, error = await self.exchange_listing(parts[0])
            if error:
                return None, error
            if item not in released_ids(listing):
                return None, (409, message("not_released", item=item))
            reason = await fetch_assignment(self.root, *parts)
            if reason:
                return None, (502, message("fetch_failed", detail=reason))
            path = local_notebook(self.root, item)
        if path is None:
            return None, (404, message("no_notebook", item=item))
        return path, None


class PanelHandler(ExchangeItems, APIHandler):
    def body_field(self, name: str) -> object:
        """`name` of the JSON object posted, or None when the body is not one."""
        try:
            return json.loads(self.request.body or b"{}").get(name)
        except (ValueError, AttributeError):
            return None

    def fail(self, status: int, error: dict) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": error}))

    @web.authenticated
    async def get(self):
        url, token = ServerSettings.from_env().recommender_api("me"), os.environ.get("JUPYTERHUB_API_TOKEN")
        if not url or not token:
            return self.fail(503, message("disabled"))
        request = HTTPRequest(
            url + "?k=5",
            headers={"Authorization": f"token {token}"},
            request_timeout=15,
            follow_redirects=False,
        )
        listing = asyncio.ensure_future(self.exchange_listing())
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as err:
            if err.code == 599:
                return self.fail(503, message("down"))
            self.log.warning(
                "mnss panel: recommender answered %s: %s", err.code, err.response.body[:200] if err.response else ""
            )
            return self.fail(502, message("refused", code=err.code))
        except OSError as err:
            self.log.info("mnss panel: recommender not reachable: %s", err)
            return self.fail(503, message("down"))
        finally:
            answer, exchange_error = await listing
        released = released_ids(answer) if answer is not None else None
        self.finish(
            json.dumps(summary(json.loads(response.body), self.root, released, exchange_error and exchange_error[1]))
        )


class OpenHandler(PanelHandler):
    @web.authenticated
    async def post(self):
        path, error = await self.notebook_of(self.body_field("item"))
        if error:
            return self.fail(*error)
        self.finish(json.dumps({"path": path}))


def submittable(path: object) -> tuple[str, str] | None:
    """(course, assignment) of a notebook inside a fetched assignment (not a tutorial copy)."""
    item = item_for(path) if isinstance(path, str) else None
    parts = split_item(item)
    return parts if parts and parts[1] != "tutorials" else None


class SubmitHandler(PanelHandler):
    @web.authenticated
    async def post(self):
        path = self.body_field("path")
        parts = submittable(path)
        if parts is None:
            return self.fail(400, message("not_assignment", path=str(path)[:120]))
        course, assignment = parts
        reason = await nbgrader_step("submit", self.root, course, assignment)
        if reason:
            self.log.warning("mnss panel: submitting %s/%s failed: %s", course, assignment, reason)
            return self.fail(502, message("submit_failed", item=f"{course}/{assignment}", detail=reason))
        self.finish(json.dumps({"item": f"{course}/{assignment}", "message": message("submitted", item=assignment)}))


ERROR_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>MNSS Lab</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
<p id="mnss-open-error">{zh}</p><p lang="en">{en}</p><p><a href="{portal}">返回门户 / Back to the portal</a></p>
</body></html>"""


def tutorial_source(catalog: str, item: object) -> tuple[str, Path] | None:
    """(course, the tutorial's file in the installed catalog) for 'course/file.md|.ipynb', else None
    (never a path outside the course's tutorials/)."""
    if not isinstance(item, str) or item.count("/") != 1:
        return None
    course, name = item.split("/")
    if not ID.match(course) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(md|ipynb)", name):
        return None
    source = Path(catalog) / course / "tutorials" / name
    return (course, source) if catalog and source.is_file() else None


def copy_tutorial(source: Path, target: Path) -> None:
    """The learner's copy of a tutorial, always a notebook: a Markdown one is converted
    (tutorial_notebook, its figures attached), written to a temporary name first so a failure leaves no half file."""
    if source.suffix == ".ipynb":
        shutil.copyfile(source, target)
        return
    partial = target.with_name(f".{target.name}.part")
    nbformat.write(tutorial_notebook(source.read_text("utf-8"), source.parent), partial)
    partial.replace(target)


class OpenLinkHandler(ExchangeItems, JupyterHandler):
    """GET mnss/open?item=course/assignment or ?tutorial=course/file: the portal's one-click link
    (through /hub/user-redirect, which starts the server first). Fetches the assignment, or copies
    the tutorial from the installed courses into <course>/tutorials/ as a notebook (an existing
    copy, maybe changed by the learner, is kept), then opens it in JupyterLab."""

    @web.authenticated
    async def get(self):
        tutorial = self.get_query_argument("tutorial", "")
        if tutorial:
            found = tutorial_source(ServerSettings.from_env().courses_dir, tutorial)
            if found is None:
                return self.error_page(404, message("bad_item", item=tutorial[:80]))
            course, source = found
            target = self.root / course / "tutorials" / (source.stem + ".ipynb")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                copy_tutorial(source, target)
            path = target.relative_to(self.root).as_posix()
        else:
            path, error = await self.notebook_of(self.get_query_argument("item", ""))
            if error:
                return self.error_page(*error)
        self.redirect(url_path_join(self.base_url, "lab", "tree", quote(path)))

    def error_page(self, status: int, error: dict) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        portal = os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/portal"
        self.finish(ERROR_PAGE.format(zh=html.escape(error["zh"]), en=html.escape(error["en"]), portal=portal))


async def fetch_assignment(root: Path, course: str, assignment: str) -> str | None:
    """`nbgrader fetch_assignment` through the course exchange, with this server's nbgrader config,
    so the files land where the JupyterLab assignment list and `nbgrader submit` look for them.
    The exchange decides from the server's token whether this learner may have the assignment.
    Returns None on success, else why (the exchange's own message where it gave one)."""
    return await nbgrader_step("fetch_assignment", root, course, assignment)


async def nbgrader_step(command: str, root: Path, course: str, assignment: str) -> str | None:
    """Run `nbgrader COMMAND ASSIGNMENT --course=COURSE` in `root`; None on success, else why."""
    done = await run_child(
        [sys.executable, "-m", "nbgrader", command, assignment, f"--course={course}"], root, FETCH_TIMEOUT
    )
    if done is None:
        return f"no answer within {FETCH_TIMEOUT} s"
    returncode, out = done
    return None if returncode == 0 else nbgrader_reason(out, returncode)


async def run_child(argv: list[str], cwd, timeout: float) -> tuple[int, str] | None:
    """(exit code, output with stderr merged) of a child process, or None if it took longer than
    `timeout` seconds (it is then killed and reaped), without blocking the server's event loop."""
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    return proc.returncode, out.decode("utf-8", "replace")


def tell_lab_about_portal(settings: dict, environ) -> None:
    """JupyterLab's page config says whether the hub serves the portal (courses on, so the hub set
    the courses folder): the launcher offers its 课程 / Courses card only then."""
    portal = ServerSettings.from_env(environ).courses_dir
    settings.setdefault("page_config_data", {})["mnssPortal"] = "1" if portal else ""


def setup_handlers(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "mnss/panel"), PanelHandler),
            (url_path_join(base, "mnss/panel/open"), OpenHandler),
            (url_path_join(base, "mnss/panel/submit"), SubmitHandler),
            (url_path_join(base, "mnss/open"), OpenLinkHandler),
        ],
    )
