"""The service's request parsing and aggregate statistics (pure parts, no hub)."""

import asyncio
import json
import logging
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from mnss_recommender.catalog import Catalog
from mnss_recommender.events import EventError, EventStore, StoreFull
from mnss_recommender.service import MIN_GROUP, EventsHandler, course_statistics, events_from_request, screen


def body(*events):
    return json.dumps({"events": list(events)}).encode()


EV = {"event_id": "a", "item": "hospital-lan/lan-build", "kind": "opened", "timestamp": 1700000000}


def test_the_learner_comes_from_the_token_only():
    (event,) = events_from_request(body(EV), "pseudo1")
    assert event.learner == "pseudo1"
    with pytest.raises(EventError, match=r"events\[0\]: learner is set by the hub"):
        events_from_request(body(EV | {"learner": "someone-else"}), "pseudo1")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"not json", "body is not JSON"),
        (b"{}", "at least one event"),
        (body(EV | {"kind": "danced"}), "events[0]: kind: 'danced' is not one of"),
        (body(EV, EV | {"item": "no-slash"}), "events[1]: item: 'no-slash' must be course-id/assignment-id"),
        (json.dumps({"events": [EV] * 1001}).encode(), "at most 1000 events"),
    ],
)
def test_bad_requests_are_named(raw, message):
    with pytest.raises(EventError, match=message.replace("[", r"\[").replace("]", r"\]")):
        events_from_request(raw, "p")


def test_statistics_hide_small_groups_and_other_courses():
    rows = [(f"l{i}", "c1/a", "graded", 0.5 + i / 100) for i in range(MIN_GROUP)]
    rows += [("l9", "c1/b", "opened", None), ("l1", "c2/x", "graded", 1.0)]
    stats = course_statistics(rows, "c1")
    assert [s["item"] for s in stats] == ["c1/a", "c1/b"]
    assert stats[0]["learners"] == MIN_GROUP and stats[0]["submitted"] == MIN_GROUP
    assert stats[0]["mean_score"] == pytest.approx(0.52)
    assert stats[1] == {"item": "c1/b", "learners": f"<{MIN_GROUP}"}


CATALOG = Catalog.load(str(Path(__file__).resolve().parents[3] / "courses"), strict=False)
NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"item": "made-up/notebook"}, "item: 'made-up/notebook' is not in the course catalogue"),
        ({"timestamp": 1e300}, "timestamp: 1e+300 is not between 2000-01-01 and tomorrow"),
        ({"timestamp": 0}, "timestamp: 0 is not between"),
        ({"timestamp": NOW + 2 * 86400}, "is not between 2000-01-01 and tomorrow"),
    ],
)
def test_junk_events_are_refused_one_by_one(change, message):
    good, junk = EV | {"timestamp": NOW - 60}, EV | {"event_id": "b"} | change
    kept, refused = screen(events_from_request(body(good, junk), "p"), CATALOG, now=NOW)
    assert [e.event_id for e in kept] == ["a"]
    assert len(refused) == 1 and refused[0].startswith("events[1]: ") and message in refused[0]


def test_over_long_ids_are_refused():
    with pytest.raises(EventError, match=re.escape("events[0]: event_id: 100000 characters, at most 128")):
        events_from_request(body(EV | {"event_id": "e" * 100_000}), "p")


class FakeHubHandler(EventsHandler):
    """The real handler, with the hub's token check replaced by a fixed token (unit test)."""

    def get_current_user(self):
        good = self.request.headers.get("Authorization") == "token good"
        return {"name": "alice", "groups": []} if good else None


def serve_events(service) -> tuple[HTTPServer, int]:
    app = web.Application([("/api/events", FakeHubHandler)], service=service)
    server = HTTPServer(app, max_body_size=2 * service.max_body_bytes)
    sock, *_ = bind_sockets(0, "127.0.0.1")
    server.add_sockets([sock])
    return server, sock.getsockname()[1]


async def exchange_headers(port: int, headers: str) -> bytes:
    """Send only the request head (no body) and read the answer: a server that waits for the body
    first answers nothing within the timeout."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(headers.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=5)
    finally:
        writer.close()


def events_service():
    return SimpleNamespace(
        log=logging.getLogger("test-recommender"), max_body_bytes=10_000, catalog=CATALOG, store=EventStore(), key=b"k"
    )


@pytest.mark.parametrize("auth", ["", "Authorization: token good\r\n"], ids=["anonymous", "logged-in"])
def test_an_oversized_post_is_refused_before_the_body_is_read(caplog, auth):
    service = events_service()

    async def scenario():
        server, port = serve_events(service)
        try:
            head = f"POST /api/events HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 104857600\r\n\r\n"
            return await exchange_headers(port, head)
        finally:
            server.stop()

    with caplog.at_level(logging.WARNING, "test-recommender"):
        answer = asyncio.run(scenario())
    assert answer.split(b" ")[1] == b"413", answer[:200]
    assert any("at most 10000 bytes" in r.getMessage() for r in caplog.records), "refusals are logged"
    assert not any("alice" in r.getMessage() for r in caplog.records), "no user names in the log"
    assert service.store.count() == 0


def test_a_batch_with_junk_keeps_the_good_events_and_logs_the_rest(caplog):
    service = events_service()
    good = EV | {"timestamp": time.time() - 60}

    async def post(*events, token="good"):
        server, port = serve_events(service)
        try:
            url, auth = f"http://127.0.0.1:{port}/api/events", {"Authorization": f"token {token}"}
            request = HTTPRequest(url, "POST", body=body(*events), headers=auth)
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
            return response.code, json.loads(response.body)
        finally:
            server.stop()

    with caplog.at_level(logging.WARNING, "test-recommender"):
        code, answer = asyncio.run(post(good, good | {"event_id": "b", "timestamp": 1e300}))
        assert code == 200 and answer["stored"] == 1 and "timestamp: 1e+300" in answer["refused"][0]
        code, answer = asyncio.run(post(good | {"item": "made-up/x"}))
        assert code == 400 and "not in the course catalogue" in answer["error"]
        code, answer = asyncio.run(post(good | {"event_id": "c"}, token="forged"))
        assert code == 403 and "log in through the hub" in answer["error"]
    assert sum("events[0]: item: 'made-up/x'" in r.getMessage() for r in caplog.records) == 1
    assert any("refused 403" in r.getMessage() for r in caplog.records)
    assert [e.event_id for e in service.store.interactions()] == ["a"]


class FullStore(EventStore):
    def add(self, events, batch=5000):
        raise StoreFull("/srv/mnss/state")


def test_events_onto_a_full_disk_get_507_naming_the_folder_so_the_sender_keeps_them(caplog):
    service = events_service()
    service.store = FullStore()

    async def post():
        server, port = serve_events(service)
        try:
            request = HTTPRequest(
                f"http://127.0.0.1:{port}/api/events", "POST", body=body(EV), headers={"Authorization": "token good"}
            )
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
            return response.code, json.loads(response.body)
        finally:
            server.stop()

    with caplog.at_level(logging.WARNING, "test-recommender"):
        code, answer = asyncio.run(post())
    assert code == 507 and "/srv/mnss/state" in answer["error"] and "磁盘已满" in answer["error"], answer
    assert any("refused 507" in r.getMessage() for r in caplog.records)
