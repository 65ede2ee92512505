"""The recommender as a JupyterHub service: `python -m mnss_recommender.service`.

One traitlets Application in the shape of jupyterhub-idle-culler (main(), --generate-config, every
setting a traitlet with help). Who is asking always comes from the hub: a browser through Hub
OAuth, a single-user server through its API token. The learner of an event is the token's owner,
never a field of the request, and is stored only as a keyed pseudonym; a learner sees only their
own recommendations; a course's instructors (hub group `<course>-instructors`) see aggregate
counts for that course, never per-learner rows. Recommendations come from the courses the
learner is enrolled in (hub groups `<course>-learners`); others only fill a short list, marked
"先选课 / Enrol first". /api/me (the JupyterLab panel's source, asked by
the learner's server with its own token) adds the caller's courses with progress; asking for
anyone else (`?user=`) is refused with 403, whoever asks. /api/record is the caller's own
learning record (mnss_courses.record); /api/record/staff gives hub admins the credit hours per
person and year of the users they name (the service cannot turn pseudonyms back into names, so
the hub, which knows its users, names them).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web
from tornado.log import access_log
from traitlets import Float, Integer, TraitError, Unicode, default, validate

from mnss_courses.record import build_record, hours_by_person_year, record_to_dict
from mnss_foundation.capped_body import CappedBody
from mnss_foundation.hub_service import HubServiceApp, health_route, log_level

from .catalog import Catalog
from .events import Event, EventError, EventStore, StoreFull, pseudonym
from .interactions import Interactions
from .models import Hybrid
from .nextup import next_up
from .retrain import retrain

MAX_EVENTS_PER_POST = 1000
MIN_GROUP = 5  # aggregate counts below this are not shown (small cells identify people)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()  # no learning event of this platform is older
FUTURE_SLACK = 86400  # a server's clock may be off, but not by more than a day


def events_from_request(body: bytes, learner: str) -> list[Event]:
    """Parse a POST body; the learner is always the authenticated one (pure, for tests)."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise EventError("body is not JSON") from None
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise EventError('body must be {"events": [...]} with at least one event')
    if len(items) > MAX_EVENTS_PER_POST:
        raise EventError(f"at most {MAX_EVENTS_PER_POST} events per request")
    events = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise EventError(f"events[{i}]: must be an object")
        if "learner" in item:
            raise EventError(f"events[{i}]: learner is set by the hub from your token, not by the client")
        try:
            events.append(Event.from_dict({**item, "learner": learner}))
        except EventError as err:
            raise EventError(f"events[{i}]: {err}") from None
    return events


def screen(events: list[Event], catalog: Catalog, now: float | None = None) -> tuple[list[Event], list[str]]:
    """(events worth keeping, why each other one is refused): items must be in the catalogue and
    timestamps in 2000-01-01 .. now + 1 day. Well-formed events are screened one by one, so one
    stray notebook does not cost a learner's server the rest of its batch."""
    now = time.time() if now is None else now
    kept, refused = [], []
    for i, event in enumerate(events):
        if event.item not in catalog:
            refused.append(f"events[{i}]: item: {event.item!r} is not in the course catalogue")
        elif not EARLIEST <= event.timestamp <= now + FUTURE_SLACK:
            refused.append(f"events[{i}]: timestamp: {event.timestamp:g} is not between 2000-01-01 and tomorrow")
        else:
            kept.append(event)
    return kept, refused


def course_statistics(log_rows: list[tuple[str, str, float | None]], course: str) -> list[dict]:
    """Per notebook of `course`: learners who started, submitted, mean score; small groups hidden."""
    started: dict[str, set] = {}
    submitted: dict[str, set] = {}
    scores: dict[str, list[float]] = {}
    for learner, item, kind, score in log_rows:
        if not item.startswith(course + "/"):
            continue
        started.setdefault(item, set()).add(learner)
        if kind in ("submitted", "graded"):
            submitted.setdefault(item, set()).add(learner)
        if kind == "graded" and score is not None:
            scores.setdefault(item, []).append(score)
    rows = []
    for item in sorted(started):
        n = len(started[item])
        if n < MIN_GROUP:
            rows.append({"item": item, "learners": f"<{MIN_GROUP}"})
            continue
        done = len(submitted.get(item, ()))
        got = scores.get(item, [])
        rows.append(
            {
                "item": item,
                "learners": n,
                "submitted": done if done >= MIN_GROUP else f"<{MIN_GROUP}",
                "mean_score": round(sum(got) / len(got), 3) if len(got) >= MIN_GROUP else None,
            }
        )
    return rows


DONE_KINDS = ("submitted", "graded")


def learner_courses(groups: list[str], catalog: Catalog, done_items: set[str]) -> list[dict]:
    """The courses a user learns in (hub groups `<course>-learners`) with items done / total (pure)."""
    courses = []
    for group in sorted(groups):
        cid = group.removesuffix("-learners")
        if cid == group or cid not in catalog.course_titles:
            continue
        items = [it.id for it in catalog.items if it.course == cid]
        zh, en = catalog.course_titles[cid]
        courses.append(
            {
                "id": cid,
                "title_zh": zh,
                "title_en": en,
                "total": len(items),
                "done": sum(1 for i in items if i in done_items),
            }
        )
    return courses


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    @property
    def service(self) -> RecommenderService:
        return self.settings["service"]

    def learner(self) -> str:
        return pseudonym(self.current_user["name"], self.service.key)

    def fail(self, status: int, message: str) -> None:
        """Answer a refusal and log it at the default level: status, endpoint and reason only (the
        reason names fields and items, never the user, their pseudonym or their address)."""
        self.service.log.warning("refused %d %s %s: %s", status, self.request.method, self.request.path, message)
        self.set_status(status)
        self.finish({"error": message})

    def asks_for_someone_else(self) -> bool:
        """A request naming another user (?user=) is refused, whoever sends it: everyone, admins
        and instructors too, sees only their own recommendations (instructors get /api/stats)."""
        named = self.get_argument("user", None)
        if named is not None and named != self.current_user["name"]:
            self.fail(403, "you can only see your own recommendations")
            return True
        return False

    def next_up(self, k: int) -> tuple[list[dict], list[dict]]:
        """(the caller's courses with progress, their recommendations). Courses come from the hub
        groups in the caller's whoami model (every token may read its own groups, so the service
        needs no hub scope for it); the history is read fresh from the store."""
        service, learner = self.service, self.learner()
        events = list(service.store.iter_interactions(learner=learner))
        done = {e.item for e in events if e.kind in DONE_KINDS}
        courses = learner_courses(self.current_user.get("groups", []), service.catalog, done)
        if service.model is None:
            return courses, []
        history = Interactions.from_events(events, service.catalog).history(learner)
        return courses, next_up(service.model, service.catalog, learner, history, [c["id"] for c in courses], k)

    def k(self) -> int | None:
        try:
            return max(1, min(20, int(self.get_argument("k", "5"))))
        except ValueError:
            self.fail(400, "k must be a whole number")
            return None


@web.stream_request_body
class EventsHandler(BaseHandler):
    """Reads the body itself: a declared length over `max_body_bytes` is refused before a byte of
    it is read, whoever sends it. A smaller body from someone not logged in is read and thrown
    away, then refused: answering while the client is still sending would reset the connection,
    and through the hub's proxy the client would see a 503 instead of the refusal."""

    def prepare(self):
        self.capped = CappedBody(self.service.max_body_bytes)
        limit = self.service.max_body_bytes
        if self.request.method != "POST":
            return
        declared = self.request.headers.get("Content-Length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return self.fail(413, f"the body may be at most {limit} bytes; this one declares {declared[:20]}")
        if not self.current_user:
            self.capped.discard()  # read, never kept

    def data_received(self, chunk: bytes) -> None:
        self.capped.add(chunk)

    def post(self):
        if not self.current_user:
            return self.fail(403, "log in through the hub, or send 'Authorization: token <your hub token>'")
        data = self.capped.data()
        if data is None:
            return self.fail(413, f"the body may be at most {self.service.max_body_bytes} bytes")
        try:
            events = events_from_request(data, self.learner())
        except EventError as err:
            return self.fail(400, str(err))
        kept, refused = screen(events, self.service.catalog)
        if not kept:
            return self.fail(400, "; ".join(refused[:5]))
        if refused:
            self.service.log.warning("refused %d of %d events: %s", len(refused), len(events), "; ".join(refused[:5]))
        try:
            stored = self.service.store.add(kept)
        except StoreFull as err:  # not a 400: the sender keeps the events and sends them again
            return self.fail(507, str(err))
        self.finish({"stored": stored, **({"refused": refused} if refused else {})})


class RecommendationsHandler(BaseHandler):
    @web.authenticated
    def get(self):
        if self.asks_for_someone_else() or (k := self.k()) is None:
            return
        self.finish({"recommendations": self.next_up(k)[1], "trained_at": self.service.trained_at})


class MeHandler(BaseHandler):
    """What the "My courses / Next up" panel shows: the caller's courses with progress, and their
    recommendations. Learners' servers call it with their own hub token."""

    @web.authenticated
    def get(self):
        if self.asks_for_someone_else() or (k := self.k()) is None:
            return
        courses, recs = self.next_up(k)
        self.finish({"courses": courses, "recommendations": recs, "trained_at": self.service.trained_at})


class StatsHandler(BaseHandler):
    @web.authenticated
    def get(self):
        course = self.get_argument("course", "")
        if f"{course}-instructors" not in self.current_user.get("groups", []):
            return self.fail(403, f"only instructors of {course!r} see its statistics")
        rows = [(e.learner, e.item, e.kind, e.score) for e in self.service.store.iter_interactions()]
        self.finish({"course": course, "min_group": MIN_GROUP, "notebooks": course_statistics(rows, course)})


class RecordHandler(BaseHandler):
    """The caller's own learning record: courses they learn in or have done anything in, with
    scores, time on task, completion and credit hours (the hub's /hub/record page reads it)."""

    @web.authenticated
    def get(self):
        if self.asks_for_someone_else():
            return
        service = self.service
        enrolled = [g.removesuffix("-learners") for g in self.current_user.get("groups", []) if g.endswith("-learners")]
        events = service.store.iter_interactions(learner=self.learner())
        record = build_record(events, service.catalog.course_terms, service.tz, enrolled)
        self.finish({"user": self.current_user["name"], "timezone": service.record_timezone, **record_to_dict(record)})


MAX_STAFF = 20000


class StaffHoursHandler(BaseHandler):
    """POST {"users": [names]}: credit hours per person and year, for hub admins only."""

    @web.authenticated
    def post(self):
        if not self.current_user.get("admin"):
            return self.fail(403, "only hub administrators see the staff's credit hours")
        try:
            users = json.loads(self.request.body or b"{}").get("users")
        except (ValueError, AttributeError):
            users = None
        if not isinstance(users, list) or not all(isinstance(u, str) and u for u in users) or len(users) > MAX_STAFF:
            return self.fail(400, f'body must be {{"users": [names]}} with at most {MAX_STAFF} user names')
        service = self.service
        names = {pseudonym(u, service.key): u for u in users}
        events = service.store.events_of(names, kinds=("graded",))
        table = hours_by_person_year(events, service.catalog.course_terms, service.tz)
        self.finish({"hours": {names[p]: {str(y): h for y, h in years.items()} for p, years in table.items()}})


def log_request(handler: web.RequestHandler) -> None:
    """Tornado's access log (no names: the learner is a pseudonym here), the health check quietly."""
    log_level(handler, access_log)(
        "%d %s %.2fms", handler.get_status(), handler._request_summary(), 1000.0 * handler.request.request_time()
    )


DB_URL_ENV = "MNSS_RECOMMENDER_DB_URL"


class RecommenderService(HubServiceApp):
    name = "mnss-recommender"
    description = "Recommends each learner's next notebook from activity events (a JupyterHub service)."
    default_service_url = "http://127.0.0.1:10102"
    default_config_file = "mnss_recommender_config.py"

    db_url = Unicode(
        help="SQLAlchemy URL of the event store (SQLite file, or PostgreSQL for many servers). Default: "
        f"${DB_URL_ENV}, else mnss-recommender.sqlite here. The hub passes it in that variable: a "
        "password on the command line is readable by every local account (/proc/<pid>/cmdline).",
    ).tag(config=True)

    @default("db_url")
    def _db_url_from_environment(self):
        return os.environ.get(DB_URL_ENV) or "sqlite:///mnss-recommender.sqlite"

    courses = Unicode("courses", help="Folder of course bundles: the items that can be recommended.").tag(config=True)
    key_file = Unicode(
        "mnss-recommender.key",
        help="Secret for pseudonyms (created with mode 0600 if missing); keep it out of backups "
        "that leave the hospital.",
    ).tag(config=True)
    record_timezone = Unicode(
        "Asia/Shanghai",
        help="IANA time zone of the learning record: the year a course's credit hours count for "
        "is the year of its completion in this zone.",
    ).tag(config=True)

    @validate("record_timezone")
    def _valid_timezone(self, proposal):
        try:
            ZoneInfo(proposal.value)
        except (ZoneInfoNotFoundError, ValueError):
            raise TraitError(f"record_timezone: {proposal.value!r} is not an IANA time zone name") from None
        return proposal.value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.record_timezone)

    retrain_seconds = Integer(600, help="Retrain the model this often (seconds); 0 disables.").tag(config=True)
    tune_seconds = Float(
        30.0,
        help="At each retrain, tune the hybrid's settings (blend weights, 'taken lately' half-life, new "
        "learners' mix) on the newest 20% of the stored events for about this long, in a worker thread "
        "(requests are served meanwhile); the best found so far is used, and a search cut short is "
        "resumed at the next retrain. 0: no tuning (the defaults, tuned once on simulated logs).",
    ).tag(config=True)
    tune_min_learners = Integer(
        30,
        help="Tune only when at least this many learners started a new notebook in the held-out newest "
        "events; with fewer the measure is noise, and the settings in use are kept.",
    ).tag(config=True)

    @validate("tune_seconds")
    def _valid_tune_seconds(self, proposal):
        if not 0 <= proposal.value <= 3600:
            raise TraitError(f"tune_seconds: {proposal.value!r} is not between 0 and 3600 seconds")
        return proposal.value

    max_body_bytes = Integer(
        1024 * 1024,
        help="Largest request body accepted (1000 events fit in a few hundred KiB); larger ones are "
        "refused with 413 before they are read.",
    ).tag(config=True)

    aliases = {
        "db-url": "RecommenderService.db_url",
        "courses": "RecommenderService.courses",
        "service-url": "RecommenderService.service_url",
        "key-file": "RecommenderService.key_file",
        "retrain-seconds": "RecommenderService.retrain_seconds",
        "tune-seconds": "RecommenderService.tune_seconds",
        "config": "RecommenderService.config_file",
    }
    flags = {"generate-config": ({"RecommenderService": {"generate_config": True}}, HubServiceApp.generate_config.help)}

    model: Hybrid | None = None
    trained_at: float | None = None

    def initialize(self, argv=None):
        super().initialize(argv)
        self.key = self._load_key()
        self.store = EventStore(self.db_url)
        self.catalog = Catalog.load(self.courses, strict=False)

    def _load_key(self) -> bytes:
        path = Path(self.key_file)
        if not path.exists():
            path.write_bytes(secrets.token_bytes(32))
            path.chmod(0o600)
        return path.read_bytes()

    def retrain(self, tune: bool = True) -> None:
        """Fit on everything stored, with settings tuned on the newest events (retrain.retrain) unless
        `tune` is false; keeps the previous model if fitting fails."""
        current = self.model.settings if self.model is not None else None
        events_read_at = time.time()  # trained_at: the model knows the events stored before this
        try:
            done = retrain(
                self.store.log(),
                self.catalog,
                self.store.profiles(),
                current,
                self.tune_seconds if tune else 0.0,
                self.tune_min_learners,
                resume=self._cut_short,
            )
        except Exception:
            self.log.exception("Retraining failed; keeping the previous model")
            return
        self.model, self.trained_at = done.model, events_read_at
        self._cut_short = done.tuned and not done.complete
        self.log.info("%s", done.summary())

    _retraining = False
    _cut_short = False  # the last tuning ran out of time: the next one resumes from its settings

    async def retrain_in_thread(self) -> None:
        """retrain() in a worker thread, so that requests are answered while it tunes; a retrain that
        comes due while one is running is skipped."""
        if self._retraining:
            return
        self._retraining = True
        try:
            await asyncio.to_thread(self.retrain)
        finally:
            self._retraining = False

    def make_app(self) -> web.Application:
        prefix = self.service_prefix
        return web.Application(
            [
                (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
                (url_path_join(prefix, "api/events"), EventsHandler),
                (url_path_join(prefix, "api/recommendations"), RecommendationsHandler),
                (url_path_join(prefix, "api/me"), MeHandler),
                (url_path_join(prefix, "api/stats"), StatsHandler),
                (url_path_join(prefix, "api/record"), RecordHandler),
                (url_path_join(prefix, "api/record/staff"), StaffHoursHandler),
                health_route(prefix, self.name),
            ],
            service=self,
            cookie_secret=os.urandom(32),
            log_function=log_request,
        )

    def start(self):
        asyncio.run(self.serve())

    async def serve(self) -> None:
        self.retrain(tune=False)  # quick: recommendations from the first request on, tuned right after
        # Tornado stops reading at twice the limit whatever the handler does (chunked bodies too).
        host, port = self.listen_address()
        server = self.make_app().listen(port, host, max_body_size=2 * self.max_body_bytes)
        first = asyncio.create_task(self.retrain_in_thread())  # tuned, while requests are served
        if self.retrain_seconds:
            ioloop.PeriodicCallback(self.retrain_in_thread, self.retrain_seconds * 1000).start()
        self.log.info("%s listening on %s:%d", self.name, host, port)
        await self.until_stopped()
        server.stop()
        del first  # asyncio.run waits for a tuning still running (at most about tune_seconds)


main = RecommenderService.launch_instance

if __name__ == "__main__":
    main()
