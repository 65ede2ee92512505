"""End what a disabled or removed account still holds in a running hub: its server and tokens.

Browser sessions need nothing from here: the authenticator re-checks the account on each request.
Servers and API tokens (OAuth tokens of servers and services included) live in the hub, so they
are ended through its REST API with the token of the `mnss-accounts` service, which has only the
scopes for that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from .hubapi import HubApiSession

SERVICE = "mnss-accounts"
TOKEN_ENV = "MNSS_ACCOUNTS_SERVICE_TOKEN"
SCOPES = ["read:users", "read:servers", "delete:servers", "tokens", "delete:users"]


class HubUnreachable(RuntimeError):
    """No hub answered at the API URL; nothing was ended there."""


@dataclass(frozen=True)
class Ended:
    server_stopped: bool
    tokens_revoked: int


class AccountSessions(HubApiSession):
    def _call(self, method: str, path: str, expect: tuple[int, ...]) -> requests.Response:
        try:
            resp = self.send(method, path)
        except requests.ConnectionError as err:
            raise HubUnreachable(f"no hub answers at {self.api_url}") from err
        if resp.status_code not in expect:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status_code}: {resp.text[:200]}")
        return resp

    def end(self, name: str, stop_wait: float = 60) -> Ended:
        """Stop the user's server and revoke every token they hold; a user the hub never saw is fine."""
        user = self._call("GET", f"users/{name}", (200, 404))
        if user.status_code == 404:
            return Ended(False, 0)
        stopped = False
        if user.json().get("servers", {}).get(""):
            self._call("DELETE", f"users/{name}/server", (202, 204))
            deadline = time.monotonic() + stop_wait
            while self._call("GET", f"users/{name}", (200,)).json().get("servers", {}).get(""):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server of {name!r} did not stop within {stop_wait:.0f} s")
                time.sleep(0.5)
            stopped = True
        tokens = self._call("GET", f"users/{name}/tokens", (200,)).json().get("api_tokens", [])
        for token in tokens:
            self._call("DELETE", f"users/{name}/tokens/{token['id']}", (204, 404))
        return Ended(stopped, len(tokens))

    def remove(self, name: str) -> None:
        """Delete the hub user (its server, tokens and group memberships go with it)."""
        self.end(name)
        self._call("DELETE", f"users/{name}", (204, 404))
