"""A session to the hub's REST API with a token: the URL, the token and the timeout in one place,
for the hub's own helpers (course groups, ending an account's sessions)."""

from __future__ import annotations

import requests


class HubApiSession:
    def __init__(self, api_url: str, token: str, timeout: float = 30):
        self.api_url = api_url.rstrip("/") + "/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.timeout = timeout

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        """`method` on `path` below the API URL (e.g. "users/ann"); errors are the caller's to name."""
        return self.session.request(method, self.api_url + path, timeout=self.timeout, **kwargs)
