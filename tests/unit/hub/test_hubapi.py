"""HubApiSession and its two users talk to the hub's API with the token, below the API URL; a hub
that refuses or is not there is named (against a tiny HTTP server on loopback)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mnss_hub.hubapi import HubApiSession
from mnss_hub.portal.groups import CourseGroups, GroupError
from mnss_hub.sessions import AccountSessions, HubUnreachable


class FakeHub(BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):
        FakeHub.seen.append((self.command, self.path, self.headers.get("Authorization")))
        if "broken" in self.path:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"hub trouble")
            return
        body = json.dumps({"properties": {"enrolment_requests": ["ann"]}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeHub.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_port}/hub/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_send_uses_the_token_below_the_api_url(hub):
    response = HubApiSession(hub, "tok", timeout=5).send("GET", "users/ann")
    assert response.status_code == 200
    assert FakeHub.seen == [("GET", "/hub/api/users/ann", "token tok")]


def test_course_groups_read_through_it_and_name_a_refusal(hub):
    groups = CourseGroups(hub, "tok")
    assert groups.timeout == 15 and groups.requests_of("lan") == ["ann"]
    assert FakeHub.seen[-1][1] == "/hub/api/groups/lan-learners"
    with pytest.raises(GroupError, match="GET groups/broken-learners: HTTP 500: hub trouble"):
        groups.requests_of("broken")


def test_account_sessions_name_a_hub_that_is_not_there():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nobody listens there
    with pytest.raises(HubUnreachable, match=f"no hub answers at http://127.0.0.1:{port}/hub/api/"):
        AccountSessions(f"http://127.0.0.1:{port}/hub/api", "tok", timeout=5).end("ann")
