"""Course membership, read from the hub's groups with the service's own token.

The service's role can read group membership of users in the course groups and nothing else
(`read:users:groups!group=<course>-learners`, ...), so a user outside every course is simply
invisible to it (the hub answers 403/404, which means: no courses). Answers are cached for a
few seconds so a class fetching at once does not hammer the hub; a change of groups takes
effect after at most `ttl` seconds.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.web import HTTPError

from .policy import Membership


class Memberships:
    def __init__(self, api_url: str, token: str, courses: list[str], ttl: float = 10, log=None):
        self.api_url = api_url.rstrip("/") + "/"
        self.token = token
        self.courses = list(courses)
        self.ttl = ttl
        self.log = log
        self._cache: dict[str, tuple[float, Membership]] = {}

    async def of(self, user: str) -> Membership:
        hit = self._cache.get(user)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        member = Membership.from_groups(await self._groups(user), self.courses)
        self._cache[user] = (time.monotonic(), member)
        return member

    async def _groups(self, user: str) -> list[str]:
        request = HTTPRequest(
            self.api_url + "users/" + quote(user, safe=""),
            headers={"Authorization": f"token {self.token}"},
            request_timeout=15,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as err:
            raise HTTPError(502, f"cannot reach the hub to read course membership: {err}") from None
        if response.code in (403, 404):  # outside every course group: the hub hides them from us
            return []
        if response.code != 200:
            if self.log:
                self.log.error("hub answered %s reading groups of %s: %s", response.code, user, response.body[:200])
            raise HTTPError(502, f"the hub answered HTTP {response.code} when asked for course membership")
        return list(json.loads(response.body).get("groups") or [])
