"""mnss-exchange: nbgrader's exchange as a JupyterHub service instead of a shared folder.

Design note - why this closes the holes of nbgrader's filesystem exchange
--------------------------------------------------------------------------
The default exchange is a directory every user can write to (root 0777, inbound 0733,
submissions chmod 0777 with 0644 files, outbound 0755, feedback 0711 named by hashes). Its
safety rests on Unix permissions, unguessable names and the honesty of the client. Here the
files live only on the service's side (root 0700, files 0600) and the only way in is HTTP with
a JupyterHub token, so each hole is closed by a rule the service enforces, not the client:

* Reading another learner's submission: submissions are fetched only by instructors of that
  course (`policy`); a learner's listing shows only their own records.
* Overwriting or deleting one: there is no write path except "submit as myself", and a
  submission is a new immutable record; nothing a learner sends can name a stored file.
* Guessing feedback: feedback is keyed by (course, assignment, student, submission) and
  served only to the token's owner; there are no names to guess.
* Spoofing `--student`: the student is the owner of the token the hub vouches for (HubAuth);
  a request that names a student is refused. Timestamps are the service's clock.
* Seeing other courses: courses come from hub groups `<course>-learners` and
  `<course>-instructors`, read with the service's own narrowly scoped token; listings and
  fetches outside them are refused, and groups of courses the service does not serve count
  for nothing.
* Releasing or collecting as a learner: release, unrelease, collect and feedback release
  need the instructor group of that very course.
* Hostile archives: uploads are read entry by entry (`archive`), links, absolute or '..'
  names, devices and bombs are refused, and only a tar.gz the service packs itself is stored;
  uploads are capped (413).

What it cannot fix by itself: in 'local' mode every server runs as root on the hub's machine,
so a learner can read this service's storage straight from disk. The exchange is a real
boundary only where servers run as other users or in containers (the 'docker' mode).

The service is one traitlets Application (like jupyterhub-idle-culler): every setting is a
trait, `--generate-config` prints them all, the hub starts it with `python -m mnss_courses.exchange`.
"""

from __future__ import annotations

import asyncio
import logging

from jupyterhub.services.auth import HubAuth
from tornado import web
from tornado.httpserver import HTTPServer
from traitlets import Float, Integer, List, Unicode, default

from mnss_foundation.hub_service import HubServiceApp, log_level

from . import SERVICE_NAME, archive
from .handlers import routes
from .membership import Memberships
from .names import check_course_id
from .store import Store

MIB = 1024 * 1024


class ExchangeService(HubServiceApp):
    name = SERVICE_NAME
    default_service_url = "http://127.0.0.1:8091"
    default_service_prefix = f"/services/{SERVICE_NAME}/"
    default_config_file = "mnss_exchange_config.py"
    description = "nbgrader exchange as a JupyterHub service: identity from hub tokens, files kept service-side."

    @default("log_level")
    def _default_log_level(self):
        return logging.INFO

    @default("log_format")
    def _default_log_format(self):
        return "[%(levelname)1.1s %(asctime)s.%(msecs).03d %(name)s] %(message)s"

    storage_root = Unicode(
        "/var/lib/mnss/exchange",
        help="Folder holding every released assignment, submission and feedback; created with mode 0700.",
    ).tag(config=True)

    courses = List(
        Unicode(),
        help="Course ids this exchange serves. Membership comes from hub groups <course>-learners and "
        "<course>-instructors; groups of any other course id grant nothing.",
    ).tag(config=True)

    catalog_dir = Unicode(
        "",
        help="Folder of course bundles (<course>/course.yaml). When set, instructors may release only "
        "assignments their course.yaml declares. Empty: no such check.",
    ).tag(config=True)

    max_upload_bytes = Integer(
        20 * MIB, help="Largest accepted upload (release, submission, feedback); larger ones get HTTP 413."
    ).tag(config=True)

    max_unpacked_bytes = Integer(
        help="Largest total size an upload may unpack to (against archive bombs); default 4 x max_upload_bytes."
    ).tag(config=True)

    @default("max_unpacked_bytes")
    def _default_unpacked(self):
        return 4 * self.max_upload_bytes

    max_archive_entries = Integer(2000, help="Most files one upload may contain.").tag(config=True)

    discard_limit = Integer(
        help="Refused uploads (too large, or without a usable token) up to this size are read to the end "
        "and thrown away before the refusal is sent, so it reaches the client through the hub's proxy; "
        "larger declared sizes are refused before reading, and the client may see the connection drop. "
        "Reading costs time, never memory. Default 10 x max_upload_bytes."
    ).tag(config=True)

    @default("discard_limit")
    def _default_discard(self):
        return 10 * self.max_upload_bytes

    membership_cache_seconds = Float(
        10, help="Seconds a user's course membership is reused before the hub is asked again."
    ).tag(config=True)

    auth_cache_seconds = Integer(60, help="Seconds a verified token is reused before the hub is asked again.").tag(
        config=True
    )

    aliases = {
        "config": "ExchangeService.config_file",
        "storage-root": "ExchangeService.storage_root",
        "course": "ExchangeService.courses",
        "catalog-dir": "ExchangeService.catalog_dir",
        "max-upload-bytes": "ExchangeService.max_upload_bytes",
        "log-level": "Application.log_level",
    }
    flags = {
        "generate-config": ({"ExchangeService": {"generate_config": True}}, HubServiceApp.generate_config.help),
    }

    def initialize(self, argv=None):
        super().initialize(argv)
        for course in self.courses:
            check_course_id(course)

    @property
    def limits(self) -> archive.Limits:
        return archive.Limits(max_entries=self.max_archive_entries, max_total_bytes=self.max_unpacked_bytes)

    def make_app(self) -> web.Application:
        if not self.api_token:
            raise SystemExit(f"{self.name}: no hub token; run it as a JupyterHub service (or set api_token)")
        self.store = Store(self.storage_root)
        self.hub_auth = HubAuth(
            api_url=self.hub_api_url, api_token=self.api_token, cache_max_age=self.auth_cache_seconds
        )
        self.memberships = Memberships(
            self.hub_api_url, self.api_token, self.courses, self.membership_cache_seconds, self.log
        )
        return web.Application(routes(self.service_prefix, self), log_function=self._log_request)

    def _log_request(self, handler):
        user = handler.current_user["name"] if getattr(handler, "_user", None) else "-"
        log_level(handler, self.log)(
            "%s %s %s %s %.1fms",
            handler.get_status(),
            handler.request.method,
            handler.request.path,
            user,
            1000 * handler.request.request_time(),
        )

    async def serve(self) -> None:
        host, port = self.listen_address()
        server = HTTPServer(self.make_app(), max_body_size=MIB)
        server.listen(port, host)
        self.log.info(
            "%s serving %d course(s) at %s%s, files in %s",
            self.name,
            len(self.courses),
            self.service_url.rstrip("/"),
            self.service_prefix,
            self.storage_root,
        )
        await self.until_stopped()
        server.stop()

    def start(self):
        asyncio.run(self.serve())


main = ExchangeService.launch_instance
