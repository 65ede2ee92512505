"""The web face of an EMR or intranet server: GET / answers a small JSON document, and its probe."""

from __future__ import annotations

import http.client
import json
import socketserver
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .rows import Deadline, check_target, describe_error, row
from .tcp import IDLE_TIMEOUT, RunningServer, start_socketserver

SERVICE = "http"
DEFAULT_PORT = 8080
MAX_BODY = 1 << 16


class _Server(ThreadingHTTPServer):
    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, a DNS query that can hang inside a lab
        # namespace with no resolver; the name is only used for CGI, so skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server_version = "MNSS-Lab-HTTP/1.0"
    timeout = IDLE_TIMEOUT

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if self.path.split("?", 1)[0] == "/":
            status, doc = 200, {"service": SERVICE, "server": "mnss-lab", "status": "ok"}
        else:
            status, doc = 404, {"service": SERVICE, "error": "not found", "path": self.path}
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # stdout/stderr stay quiet; READY is the contract
        pass


def start_http_server(host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> RunningServer:
    return start_socketserver(_Server, host, port, _Handler)


def http_get(host: str, port: int, path: str = "/", timeout: float = 5.0) -> dict:
    """GET a page; ok for any status below 400. rtt_ms covers connect to the last body byte."""
    check_target(host, port, timeout)
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    deadline = Deadline(timeout)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "mnss-lab-probe"})
        sock = conn.sock  # getresponse() may drop conn.sock; the response keeps reading from it
        sock.settimeout(deadline.remaining())
        response = conn.getresponse()
        sock.settimeout(deadline.remaining())
        body = response.read(MAX_BODY)
        rtt = deadline.elapsed_ms()
    except (OSError, http.client.HTTPException) as exc:
        return row(SERVICE, host, port, False, None, _http_error(exc, timeout))
    finally:
        conn.close()
    ok = response.status < 400
    return row(SERVICE, host, port, ok, rtt, f"HTTP {response.status} {response.reason}{_describe_body(body)}")


def _http_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, http.client.HTTPException) and not isinstance(exc, OSError):
        return f"not an HTTP reply ({type(exc).__name__}: {exc})"
    return describe_error(exc, timeout)


def _describe_body(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return f", {len(body)} bytes"
    if isinstance(doc, dict) and "service" in doc:
        return f", service={doc['service']}"
    return f", {len(body)} bytes of JSON"
