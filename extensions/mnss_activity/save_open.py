"""Save what is open before the server stops.

Unsaved edits live in the browser, not on the server, so a stop (by the learner, an admin or the
idle culler) would lose them. Every JupyterLab page of this server keeps a socket open here
(`mnss/save-open/ws`, extensions/mnss_panel); the hub's spawner calls `POST mnss/save-open` before
it stops the server. Each page answers with its modified documents over that socket, and the
server saves them through its contents manager: by then the hub has taken the server's route off
the proxy, so the page could not save through the contents API, but its open socket still works.
The POST returns once every page answered, or after its timeout: a stop is delayed, never blocked.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web, websocket

PATH = "mnss/save-open"
DEFAULT_TIMEOUT = 10.0  # s to wait for the pages' answers
MAX_TIMEOUT = 60.0
MAX_MESSAGE = 64 * 1024 * 1024  # a page's modified documents, notebooks with their outputs
FORMATS = {"notebook": "json", "file": "text"}


class OpenPages:
    """The JupyterLab pages connected to this server, and the save requests they have to answer."""

    def __init__(self) -> None:
        self.sockets: set[SaveSocket] = set()
        self.waiting: dict[tuple[str, SaveSocket], asyncio.Future] = {}

    async def save_all(self, timeout: float) -> dict:
        request, loop = uuid.uuid4().hex, asyncio.get_running_loop()
        answers = {}
        for socket in list(self.sockets):
            answer = answers[socket] = self.waiting[(request, socket)] = loop.create_future()
            try:
                await socket.write_message(json.dumps({"type": "save", "id": request}))
            except websocket.WebSocketClosedError:
                answer.set_result(None)
        if answers:
            await asyncio.wait(answers.values(), timeout=timeout)
        saved, failed, answered = [], [], 0
        for socket, answer in answers.items():
            self.waiting.pop((request, socket), None)
            if answer.done() and answer.result() is not None:
                answered += 1
                saved += answer.result().get("saved", [])
                failed += answer.result().get("failed", [])
        return {"pages": len(answers), "answered": answered, "saved": saved, "failed": failed}

    def expects(self, socket: SaveSocket, request) -> bool:
        waiting = self.waiting.get((str(request), socket))
        return waiting is not None and not waiting.done()

    def answer(self, socket: SaveSocket, request, saved: list[str], failed: list[str]) -> None:
        if self.expects(socket, request):
            self.waiting[(str(request), socket)].set_result({"saved": saved, "failed": failed})

    def gone(self, socket: SaveSocket) -> None:
        self.sockets.discard(socket)
        for (_, owner), waiting in list(self.waiting.items()):
            if owner is socket and not waiting.done():
                waiting.set_result(None)


PAGES = OpenPages()


class SaveSocket(JupyterHandler, websocket.WebSocketHandler):
    """One JupyterLab page: told to save, answers with the paths it saved."""

    auth_resource = "contents"

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE

    @ws_authenticated
    async def get(self, *args, **kwargs):
        if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, "write", "contents")):
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def open(self) -> None:
        PAGES.sockets.add(self)

    async def on_message(self, raw) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("type") != "documents":
            return
        request = message.get("id")
        if not PAGES.expects(self, request):
            return  # not asked, or asked too long ago: nothing is written
        saved, failed = await self.store(message.get("documents"))
        failed += [str(p) for p in message.get("failed", []) if isinstance(p, str)]
        try:  # told first: once answered, the hub stops the server
            await self.write_message(json.dumps({"type": "stored", "id": request, "saved": saved, "failed": failed}))
        except websocket.WebSocketClosedError:
            pass
        PAGES.answer(self, request, saved, failed)

    async def store(self, documents) -> tuple[list[str], list[str]]:
        """Save each {path, type, content} through the contents manager, which keeps paths inside
        the server's root; a document that cannot be saved is named, the others are still saved."""
        saved, failed = [], []
        for doc in documents if isinstance(documents, list) else []:
            path = doc.get("path") if isinstance(doc, dict) else None
            kind = doc.get("type") if isinstance(doc, dict) else None
            if not isinstance(path, str) or kind not in FORMATS:
                failed.append(str(path))
                continue
            try:
                model = {"type": kind, "format": FORMATS[kind], "content": doc.get("content")}
                await ensure_async(self.contents_manager.save(model, path))
            except Exception as err:  # a refused path or a malformed notebook: say which
                self.log.warning("mnss save-open: %s not saved: %s", path, err)
                failed.append(path)
            else:
                saved.append(path)
        return saved, failed

    def on_close(self) -> None:
        PAGES.gone(self)


class SaveRequestHandler(APIHandler):
    """POST mnss/save-open {"timeout": s}: every open page saves its modified documents."""

    @web.authenticated
    async def post(self):
        if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, "write", "contents")):
            raise web.HTTPError(403)
        try:
            timeout = float((self.get_json_body() or {}).get("timeout", DEFAULT_TIMEOUT))
        except (TypeError, ValueError, AttributeError):
            raise web.HTTPError(400, "timeout: a number of seconds") from None
        result = await PAGES.save_all(min(max(timeout, 0.0), MAX_TIMEOUT))
        self.log.info(
            "mnss save-open: %d page(s), %d answered, %d file(s) saved, %d failed",
            result["pages"],
            result["answered"],
            len(result["saved"]),
            len(result["failed"]),
        )
        self.finish(result)


def setup_handlers(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [(url_path_join(base, PATH), SaveRequestHandler), (url_path_join(base, PATH, "ws"), SaveSocket)],
    )
