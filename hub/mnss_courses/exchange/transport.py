"""The client's HTTP calls to the exchange service: one place for URLs, the token and errors."""

from __future__ import annotations

from urllib.parse import quote

import requests


class ServiceError(Exception):
    """The service refused or could not be reached; `status` is 0 when there was no answer."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{message} (HTTP {status})" if status else message)
        self.status = status
        self.message = message


def path(*segments: str) -> str:
    """URL path from segments, each quoted whole so no id can add or climb a level."""
    return "/".join(quote(s, safe="") for s in segments)


class ServiceClient:
    def __init__(self, base_url: str, token: str, timeout: float = 300):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        url_path: str,
        *,
        params: dict | None = None,
        data: bytes | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/gzip"
        url = self.base_url + "api/" + url_path
        try:
            response = requests.request(
                method, url, params=params, data=data, headers=headers, timeout=(10, self.timeout)
            )
        except requests.RequestException as err:
            raise ServiceError(0, f"cannot reach the exchange service at {self.base_url}: {err}") from None
        if response.status_code not in expect:
            try:
                message = response.json().get("error") or response.reason
            except ValueError:
                message = response.text.strip()[:300] or response.reason
            raise ServiceError(response.status_code, message)
        return response

    def json(self, method: str, url_path: str, **kwargs) -> dict:
        return self.request(method, url_path, **kwargs).json()

    def download(self, url_path: str, **kwargs) -> bytes:
        return self.request("GET", url_path, **kwargs).content
