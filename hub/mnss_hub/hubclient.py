"""A small client of the hub's REST API and of a user's Jupyter server, as a script would use them.

Used by the integration tests and benchmarks, and handy for administrators' scripts: get a token
with a password, start and stop a user's server, run code in a kernel and get its output.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import requests
import websocket


class HubError(RuntimeError):
    """The hub or a user's server answered with an error."""


@dataclass
class ExecutionResult:
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    results: list[dict] = field(default_factory=list)


@dataclass
class HubClient:
    url: str  # e.g. http://127.0.0.1:8000/ (ends with '/')
    token: str = ""
    timeout: float = 30

    @property
    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    def _call(self, method: str, path: str, expect=(200,), **kw) -> requests.Response:
        resp = requests.request(method, self.url + path, headers=self.headers, timeout=self.timeout, **kw)
        if resp.status_code not in expect:
            raise HubError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:300]}")
        return resp

    def login(self, username: str, password: str, note: str = "mnss hubclient") -> str:
        """Exchange a password for an API token of that user; keep and return it."""
        resp = requests.post(
            f"{self.url}hub/api/users/{username}/tokens",
            json={"auth": {"username": username, "password": password}, "note": note},
            timeout=self.timeout,
        )
        if resp.status_code != 201:
            raise HubError(f"login of {username!r} refused: HTTP {resp.status_code}")
        self.token = resp.json()["token"]
        return self.token

    def user(self, name: str) -> dict:
        return self._call("GET", f"hub/api/users/{name}").json()

    def create_user(self, name: str) -> dict:
        return self._call("POST", f"hub/api/users/{name}", expect=(201,)).json()

    def start_server(self, name: str, wait: float = 120) -> None:
        self._call("POST", f"hub/api/users/{name}/server", expect=(201, 202))
        self.wait_for(name, ready=True, timeout=wait)

    def stop_server(self, name: str, wait: float = 60) -> None:
        self._call("DELETE", f"hub/api/users/{name}/server", expect=(202, 204))
        self.wait_for(name, ready=False, timeout=wait)

    def wait_for(self, name: str, ready: bool, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.user(name).get("servers", {}).get("")
            if ready and server and server.get("ready"):
                return
            if not ready and not server:
                return
            time.sleep(0.2)
        raise HubError(f"server of {name!r} not {'ready' if ready else 'stopped'} after {timeout} s")

    def execute(self, name: str, code: str, timeout: float = 120, path: str | None = None) -> ExecutionResult:
        """Run `code` in a new kernel of the user's server; the kernel is shut down afterwards.

        With `path`, the kernel belongs to a session on that notebook, as when JupyterLab opens it.
        """
        if path:
            session = self._call(
                "POST",
                f"user/{name}/api/sessions",
                expect=(201,),
                json={"path": path, "name": path.rsplit("/", 1)[-1], "type": "notebook", "kernel": {"name": "python3"}},
            ).json()
            kernel_id, cleanup = session["kernel"]["id"], f"user/{name}/api/sessions/{session['id']}"
        else:
            kernel_id = self._call("POST", f"user/{name}/api/kernels", expect=(201,), json={"name": "python3"}).json()[
                "id"
            ]
            cleanup = f"user/{name}/api/kernels/{kernel_id}"
        try:
            return self._run_in_kernel(name, kernel_id, code, timeout)
        finally:
            self._call("DELETE", cleanup, expect=(204, 404))

    def _run_in_kernel(self, name: str, kernel_id: str, code: str, timeout: float) -> ExecutionResult:
        ws_url = self.url.replace("http", "ws", 1) + f"user/{name}/api/kernels/{kernel_id}/channels"
        ws = websocket.create_connection(
            ws_url, header=list(f"{k}: {v}" for k, v in self.headers.items()), timeout=timeout
        )
        msg_id, result = uuid.uuid4().hex, ExecutionResult()
        deadline = time.monotonic() + timeout
        try:
            ws.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "msg_type": "execute_request",
                            "username": name,
                            "session": uuid.uuid4().hex,
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": False,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": True,
                        },
                    }
                )
            )
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    setattr(result, content["name"], getattr(result, content["name"]) + content["text"])
                elif kind in ("execute_result", "display_data"):
                    result.results.append(content["data"])
                elif kind == "error":
                    result.error = f"{content['ename']}: {content['evalue']}"
                elif kind == "status" and content["execution_state"] == "idle":
                    return result
            raise HubError(f"code did not finish within {timeout} s")
        finally:
            ws.close()
