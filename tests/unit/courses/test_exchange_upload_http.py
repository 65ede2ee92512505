"""Hostile uploads over HTTP to the exchange's real handlers (the hub's token check replaced by
a fixed user): the refusal names the problem with the right status, and nothing is stored."""

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from mnss_courses.exchange import archive
from mnss_courses.exchange.handlers import routes
from mnss_courses.exchange.policy import Membership
from mnss_courses.exchange.store import Store
from tests.support.files import tar_with_name
from tests.unit.courses.test_exchange_archive import gzip_bombed_pax_header

COURSE, AID = "hospital-lan", "lan-build"


class FixedUser:
    """Stands in for HubAuth: the token 'alice' is the learner alice; anything else is nobody."""

    access_scopes: set = set()

    async def get_user(self, handler, sync=False):
        good = handler.request.headers.get("Authorization") == "token alice"
        return {"kind": "user", "name": "alice", "scopes": [], "groups": []} if good else None


class Learners:
    async def of(self, user):
        return Membership(learner_of=frozenset({COURSE}))


def exchange(tmp_path):
    return SimpleNamespace(
        name="mnss-exchange",
        hub_auth=FixedUser(),
        memberships=Learners(),
        courses=[COURSE],
        store=Store(str(tmp_path / "store")),
        catalog_dir="",
        max_upload_bytes=2 * 1024 * 1024,
        discard_limit=20 * 1024 * 1024,
        limits=archive.Limits(),
        log=logging.getLogger("test-exchange"),
    )


def submit(service, body: bytes, token: str | None = "alice") -> tuple[int, dict]:
    async def scenario():
        server = HTTPServer(web.Application(routes("/services/mnss-exchange/", service)), max_body_size=1024 * 1024)
        sock, *_ = bind_sockets(0, "127.0.0.1")
        server.add_sockets([sock])
        try:
            url = f"http://127.0.0.1:{sock.getsockname()[1]}/services/mnss-exchange/api/courses/{COURSE}"
            headers = {"Authorization": f"token {token}"} if token else {}
            request = HTTPRequest(f"{url}/assignments/{AID}/submission", "POST", body=body, headers=headers)
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
            return response.code, json.loads(response.body)
        finally:
            server.stop()

    return asyncio.run(scenario())


def test_a_gzip_bombed_header_is_a_413(tmp_path):
    service = exchange(tmp_path)
    code, answer = submit(service, gzip_bombed_pax_header(64 * 1024 * 1024))
    assert code == 413 and "compressed-bomb header" in answer["error"]
    assert service.store.submissions(COURSE, student="alice") == []


@pytest.mark.parametrize("length", [300, 5000])
def test_over_long_member_names_are_a_400(tmp_path, length):
    service = exchange(tmp_path)
    code, answer = submit(service, tar_with_name("n" * length))
    assert code == 400 and "longer than" in answer["error"] and "bytes" in answer["error"]
    assert service.store.submissions(COURSE, student="alice") == []


def test_a_good_upload_is_stored(tmp_path):
    service = exchange(tmp_path)
    service.store.release(COURSE, AID, [(f"{AID}.ipynb", b"{}")], "teacher")
    code, answer = submit(service, archive.pack([(f"{AID}.ipynb", b"{}")]))
    assert code == 201, answer
    assert len(service.store.submissions(COURSE, student="alice")) == 1
