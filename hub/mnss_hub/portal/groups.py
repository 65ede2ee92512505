"""Course membership changes, through the hub's REST API with the `mnss-portal` service's token.

Membership is the hub group `<course>-learners` (what the exchange reads). Approval requests
wait in that group's properties (`enrolment_requests`), so they live in the hub's database with
the membership they are about. The token may change only the course groups (scopes
`groups!group=...` per course), nothing else. Calls are blocking: run them off the hub's loop.
"""

from __future__ import annotations

from urllib.parse import quote

import requests

from ..hubapi import HubApiSession

SERVICE = "mnss-portal"
TOKEN_ENV = "MNSS_PORTAL_SERVICE_TOKEN"
REQUESTS = "enrolment_requests"


def learners_group(course: str) -> str:
    return f"{course}-learners"


def instructors_group(course: str) -> str:
    return f"{course}-instructors"


def scopes(courses: list[str]) -> list[str]:
    """Read and change the learners groups of the served courses; nothing else."""
    return [f"{scope}!group={learners_group(cid)}" for cid in courses for scope in ("groups", "read:groups")]


class GroupError(RuntimeError):
    """The hub refused or could not be reached; nothing was changed."""


class CourseGroups(HubApiSession):
    def __init__(self, api_url: str, token: str, timeout: float = 15):
        super().__init__(api_url, token, timeout)

    def _call(self, method: str, group: str, tail: str = "", **kwargs) -> dict:
        try:
            resp = self.send(method, f"groups/{quote(group, safe='')}{tail}", **kwargs)
        except requests.RequestException as err:
            raise GroupError(f"{method} groups/{group}{tail}: {err}") from err
        if resp.status_code >= 300:
            raise GroupError(f"{method} groups/{group}{tail}: HTTP {resp.status_code}: {resp.text[:200]}")
        return resp.json() if resp.content else {}

    def requests_of(self, course: str) -> list[str]:
        group = self._call("GET", learners_group(course))
        return list((group.get("properties") or {}).get(REQUESTS, []))

    def _set_requests(self, course: str, names: list[str]) -> None:
        props = self._call("GET", learners_group(course)).get("properties") or {}
        self._call("PUT", learners_group(course), "/properties", json={**props, REQUESTS: sorted(set(names))})

    def enrol(self, course: str, user: str) -> None:
        """Add `user` to the course's learners, and drop a request of theirs if one waited."""
        self._call("POST", learners_group(course), "/users", json={"users": [user]})
        waiting = self.requests_of(course)
        if user in waiting:
            self._set_requests(course, [n for n in waiting if n != user])

    def request(self, course: str, user: str) -> None:
        self._set_requests(course, [*self.requests_of(course), user])

    def decline(self, course: str, user: str) -> None:
        self._set_requests(course, [n for n in self.requests_of(course) if n != user])
