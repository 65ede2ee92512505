"""/hub/research (experiment catalogue, research catalog and component library),
/hub/research/picture/<name>.svg, /hub/research/experiment/<name>.svg (a catalog experiment's topology),
/hub/engineering (upload a topology file) and /hub/mnss-uploads/<id> (where the learner's server
collects a checked upload with its own token).

Opening goes through /hub/user-redirect/mnss/topology?...: the hub starts the learner's server if
needed, and the server's helper (extensions/mnss_activity/topology_open.py) writes the notebook
with the canvas and opens it in JupyterLab. So it works alike in local and container modes: the
hub never writes into a learner's home.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers import BaseHandler
from jupyterhub.user import User
from tornado import httputil, web

from mnss_foundation.capped_body import CappedBody

from . import catalogue, picture, uploads

TEMPLATE_NAME = r"[a-z][a-z0-9_]{0,39}"
EXPERIMENT_NAME = r"[a-z0-9][a-z0-9-]{0,79}"


def open_template_link(base_url: str, name: str) -> str:
    return f"{base_url}user-redirect/mnss/topology?template={quote(name)}"


def open_experiment_link(base_url: str, name: str) -> str:
    return f"{base_url}user-redirect/mnss/topology?experiment={quote(name)}"


def open_upload_link(base_url: str, key: str) -> str:
    return f"{base_url}user-redirect/mnss/topology?upload={quote(key)}"


class ResearchHandler(BaseHandler):
    """The experiment catalogue (every bundled template, with its picture) and the component library."""

    @web.authenticated
    async def get(self):
        experiments = await asyncio.to_thread(catalogue.experiments)  # built once; the first takes a moment
        components = await asyncio.to_thread(catalogue.components)
        catalog = await asyncio.to_thread(catalogue.catalog)
        links = {e.name: open_template_link(self.hub.base_url, e.name) for e in experiments}
        opens = {e.name: open_experiment_link(self.hub.base_url, e.name) for _, _, entries in catalog for e in entries}
        html = await self.render_template(
            "research.html", experiments=experiments, links=links, components=components, catalog=catalog, opens=opens
        )
        self.finish(html)


class PictureHandler(BaseHandler):
    @web.authenticated
    async def get(self, name):
        if name not in {e.name for e in await asyncio.to_thread(catalogue.experiments)}:
            raise web.HTTPError(404, f"no bundled template {name!r}")
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "private, max-age=86400")
        self.finish(await asyncio.to_thread(picture.template_svg, name))


class ExperimentPictureHandler(BaseHandler):
    @web.authenticated
    async def get(self, name):
        catalog = await asyncio.to_thread(catalogue.catalog)
        if name not in {e.name for _, _, entries in catalog for e in entries}:
            raise web.HTTPError(404, f"no catalog experiment {name!r}")
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "private, max-age=86400")
        self.finish(await asyncio.to_thread(picture.experiment_svg, name))


@web.stream_request_body
class EngineeringHandler(BaseHandler):
    """Upload a topology file: checked here; a refused file is named with every problem and kept
    nowhere; one that passed opens in the learner's lab.

    The body is streamed so that its size is checked before it is read: a request that declares
    more than uploads.MAX_REQUEST_BYTES is refused at once, and one that sends more than it
    declared (or declares nothing) stops being kept at that size. The form sends its XSRF token in
    the URL, because the hub checks it before the body arrives."""

    def initialize(self, store: uploads.UploadStore):
        self.store = store
        self.body = CappedBody(uploads.MAX_REQUEST_BYTES)

    async def prepare(self):
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > uploads.MAX_REQUEST_BYTES:
            self.body.discard()
            self.log.info("engineering: refused a %s-byte upload before reading it", declared)
            await self.show(413, uploads.refused("request_too_big", limit=uploads.MAX_BYTES // 1024))

    def data_received(self, chunk: bytes) -> None:
        self.body.add(chunk)

    async def show(self, status: int = 200, error: uploads.UploadRefused | None = None) -> None:
        self.set_status(status)
        limit = uploads.MAX_BYTES // 1024
        self.finish(await self.render_template("engineering.html", error=error, limit_kb=limit))

    @web.authenticated
    async def get(self):
        await self.show()

    @web.authenticated
    async def post(self):
        body = self.body.data()
        if body is None:
            return await self.show(413, uploads.refused("request_too_big", limit=uploads.MAX_BYTES // 1024))
        fields, files = {}, {}
        kind = self.request.headers.get("Content-Type", "")
        httputil.parse_body_arguments(kind, body, fields, files, self.request.headers)
        upload = (files.get("topology") or [None])[0]
        try:
            name, text = await asyncio.to_thread(
                uploads.check, upload.filename if upload else "", upload.body if upload else b""
            )
        except uploads.UploadRefused as err:
            self.log.info("engineering: refused an upload of %s: %s", self.current_user.name, err)
            return await self.show(400, err)
        key = self.store.put(self.current_user.name, name, text)
        self.log.info("engineering: %s uploaded %s (%d bytes)", self.current_user.name, name, len(text))
        self.redirect(open_upload_link(self.hub.base_url, key), status=303)


class UploadFetchHandler(APIHandler):
    """The learner's server collects an upload with its own token; only the uploader's token gets it."""

    def initialize(self, store: uploads.UploadStore):
        self.store = store

    async def get(self, key):
        user = self.current_user
        found = self.store.get(key, user.name) if isinstance(user, User) else None
        if found is None:
            raise web.HTTPError(404, "no such upload")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"name": found.name, "text": found.text}))


def handlers(store: uploads.UploadStore | None = None) -> list[tuple]:
    kw = {"store": store or uploads.UploadStore()}
    return [
        (r"/research/?", ResearchHandler),
        (rf"/research/picture/({TEMPLATE_NAME})\.svg", PictureHandler),
        (rf"/research/experiment/({EXPERIMENT_NAME})\.svg", ExperimentPictureHandler),
        (r"/engineering/?", EngineeringHandler, kw),
        (r"/mnss-uploads/([0-9a-f]{32})", UploadFetchHandler, kw),
    ]
