"""Who may use the virtual-real tunnel, and to where: the site config's `tunnel` section turned into
what a user's server is told (ServerSettings tunnel_*), for the permitted users only. The engine
(mnss_kernel.runtime.tunnel) refuses a lab with a gateway node when its server was told nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from mnss_courses.exchange.names import INSTRUCTORS_SUFFIX, LEARNERS_SUFFIX


def problems(section: dict) -> list[str]:
    """What the schema cannot see in the `tunnel` section, each naming its key."""
    found = []
    for i, entry in enumerate(section.get("allow", [])):
        try:
            ipaddress.IPv4Network(entry["to"])
        except ValueError as err:
            found.append(f"tunnel.allow.{i}.to: {entry['to']!r} is not an IPv4 prefix like 10.20.30.0/24 ({err})")
    if section.get("enabled") and not section.get("allow"):
        found.append("tunnel.allow: empty while tunnel.enabled is true; name the destinations a gateway may reach")
    return found


def allow_text(allow: Iterable[dict]) -> str:
    """The allow list as the server reads it: '<prefix>:<port>[,<port>] ...'."""
    return " ".join(f"{ipaddress.IPv4Network(e['to'])}:{','.join(str(p) for p in e['ports'])}" for e in allow)


def course_groups(courses: Iterable[str]) -> set[str]:
    """The hub groups of the named courses: their learners and their instructors."""
    return {f"{c}{suffix}" for c in courses for suffix in (LEARNERS_SUFFIX, INSTRUCTORS_SUFFIX)}


def permitted(enabled: bool, users: Iterable[str], courses: Iterable[str], user: str, groups: Iterable[str]) -> bool:
    """Whether `user` (in hub groups `groups`) may use the tunnel: named, or in a named course."""
    if not enabled:
        return False
    return user in set(users) or bool(course_groups(courses) & set(groups))
