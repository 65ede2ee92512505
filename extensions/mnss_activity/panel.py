"""The server side of the "My courses / Next up" panel (我的课程 / 下一步).

GET  mnss/panel       the learner's courses with progress and recommendations, from the
                      recommender's /api/me, asked with this server's own $JUPYTERHUB_API_TOKEN;
                      for each recommendation, where its notebook already is in the home.
POST mnss/panel/open  {"item": "course/assignment"}: the notebook to open, fetching the
                      assignment through the course exchange first when it is not here yet.

The browser talks only to its own server: it holds no hub token and names no learner, so the
panel can only ever show the token owner's data. Errors reach the page as {"error": {"zh", "en"}}.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .items import ID

MESSAGES = {
    "disabled": ("本平台未启用课程推荐服务。", "Recommendations are not enabled on this platform."),
    "down": ("推荐服务暂时无法连接，请稍后点击刷新。你的学习记录不会丢失。",
             "The recommendation service cannot be reached right now; reload later. Your activity is kept."),
    "refused": ("推荐服务拒绝了请求（HTTP {code}）。", "The recommendation service refused the request (HTTP {code})."),
    "bad_item": ("无效的课程条目：{item}", "Not a course item: {item}"),
    "fetch_failed": ("获取作业失败：{detail}", "Fetching the assignment failed: {detail}"),
    "no_notebook": ("作业 {item} 中没有笔记本。", "Assignment {item} has no notebook."),
}
FETCH_TIMEOUT = 180


def message(key: str, **values) -> dict:
    """One bilingual message: {"zh": ..., "en": ...}."""
    zh, en = MESSAGES[key]
    return {"zh": zh.format(**values), "en": en.format(**values)}


def service_api(events_url: str, name: str) -> str:
    """The recommender's api/<name>, next to the api/events URL the spawner gives every server."""
    base = events_url[: -len("api/events")] if events_url.endswith("api/events") else events_url.rstrip("/") + "/"
    return base + "api/" + name


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


def summary(me: dict, root: Path) -> dict:
    """What the panel renders: the service's answer plus where each recommended notebook is locally.
    Those the learner can open or fetch come first (in the service's order), then the others."""
    recs = [{**r, "local_path": local_notebook(root, r.get("item", ""))} for r in me.get("recommendations", [])]
    recs.sort(key=lambda r: not (r["local_path"] or r.get("enrolled")))
    return {"courses": me.get("courses", []), "recommendations": recs, "trained_at": me.get("trained_at")}


class PanelHandler(APIHandler):
    def fail(self, status: int, error: dict) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": error}))

    @property
    def root(self) -> Path:
        return Path(self.settings["server_root_dir"]).expanduser()

    @web.authenticated
    async def get(self):
        url, token = os.environ.get("MNSS_RECOMMENDER_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
        if not url or not token:
            return self.fail(503, message("disabled"))
        request = HTTPRequest(service_api(url, "me") + "?k=5", headers={"Authorization": f"token {token}"},
                              request_timeout=15, follow_redirects=False)
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as err:
            if err.code == 599:
                return self.fail(503, message("down"))
            self.log.warning("mnss panel: recommender answered %s: %s", err.code,
                             err.response.body[:200] if err.response else "")
            return self.fail(502, message("refused", code=err.code))
        except OSError as err:
            self.log.info("mnss panel: recommender not reachable: %s", err)
            return self.fail(503, message("down"))
        self.finish(json.dumps(summary(json.loads(response.body), self.root)))


class OpenHandler(PanelHandler):
    @web.authenticated
    async def post(self):
        try:
            item = json.loads(self.request.body or b"{}").get("item")
        except (ValueError, AttributeError):
            item = None
        parts = split_item(item)
        if parts is None:
            return self.fail(400, message("bad_item", item=str(item)[:80]))
        path = local_notebook(self.root, item)
        if path is None:
            error = await fetch_assignment(self.root, *parts)
            if error:
                return self.fail(502, message("fetch_failed", detail=error))
            path = local_notebook(self.root, item)
        if path is None:
            return self.fail(404, message("no_notebook", item=item))
        self.finish(json.dumps({"path": path}))


async def fetch_assignment(root: Path, course: str, assignment: str) -> str | None:
    """`nbgrader fetch_assignment` through the course exchange, with this server's nbgrader config,
    so the files land where the JupyterLab assignment list and `nbgrader submit` look for them.
    The exchange decides from the server's token whether this learner may have the assignment.
    Returns None on success, else the last line nbgrader printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nbgrader", "fetch_assignment", assignment, f"--course={course}", cwd=root,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), FETCH_TIMEOUT)
    except asyncio.TimeoutError:
        proc.kill()
        return f"no answer within {FETCH_TIMEOUT} s"
    if proc.returncode == 0:
        return None
    lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if "[error]" in ln.lower() or "error" in ln.lower()]
    return ((errors or lines or [f"exit code {proc.returncode}"])[-1]).strip()[:300]


def setup_handlers(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "mnss/panel"), PanelHandler),
        (url_path_join(base, "mnss/panel/open"), OpenHandler),
    ])
