"""/hub/api/mnss/tunnel-sessions: a user's server reports each closed session of the virtual-real
tunnel, and the hub appends it to its hash-chained audit log (people/audit.py), where the learner
cannot change it afterwards; the copy in the learner's home is theirs to keep.

Who: the token's owner, never a name from the body (a body naming someone else is refused). Only
tokens holding SCOPE may report: apply.py gives it to the users and course groups the site lets
use the tunnel, and asks for it in every server's token (the hub keeps it only for those users).
What: the engine's session record (mnss_kernel.runtime.tunnel.session_record), checked against
SCHEMA; every problem is named. The counters are the server's own report: in a rootless lab they
come from rules in the learner's own namespace (README, "The virtual-real tunnel").
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import jsonschema
from jupyterhub.apihandlers import APIHandler
from tornado import web

from .people import StorageFull, profiles

SCOPE = "custom:mnss-tunnel-sessions:write"
ACTION = "tunnel_session"
MAX_BODY = 64 * 1024  # a session record is about 1 KiB; the drop list is bounded by the schema

_COUNT = {"type": "integer", "minimum": 0}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_TIME = {"type": "string", "format": "date-time", "maxLength": 40}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "event",
        "user",
        "lab",
        "gateway",
        "started",
        "ended",
        "allowed",
        "rate_mbit",
        "connections",
        "bytes_out",
        "bytes_in",
        "dropped",
    ],
    "properties": {
        "event": {"const": ACTION},
        "user": _NAME,
        "lab": _NAME,
        "gateway": _NAME,
        "started": _TIME,
        "ended": _TIME,
        "allowed": {"type": "array", "maxItems": 256, "items": {"type": "string", "maxLength": 30}},
        "rate_mbit": {"type": "number", "exclusiveMinimum": 0},
        "connections": {
            "type": "array",
            "maxItems": 256,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["to", "opened"],
                "properties": {"to": {"type": "string", "maxLength": 30}, "opened": _COUNT},
            },
        },
        "bytes_out": _COUNT,
        "bytes_in": _COUNT,
        "dropped": {
            "type": "object",
            "additionalProperties": False,
            "required": ["packets", "bytes", "to"],
            "properties": {
                "packets": _COUNT,
                "bytes": _COUNT,
                # the kernel's `recent` list keeps at most 200 addresses by default
                "to": {"type": "array", "maxItems": 1000, "items": {"type": "string", "format": "ipv4"}},
            },
        },
    },
}
_CHECKER = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def problems(record) -> list[str]:
    """Everything wrong with a reported session, each naming its field; empty when it may be recorded."""
    found = [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(record)'}: {error.message}"
        for error in sorted(_CHECKER.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if found:
        return found
    try:
        started, ended = datetime.fromisoformat(record["started"]), datetime.fromisoformat(record["ended"])
    except ValueError as err:
        return [f"started/ended: not a time ({err})"]
    return [f"ended: {record['ended']} is before started ({record['started']})"] if ended < started else []


def detail(record: dict) -> dict:
    """The audit entry's detail: the session flat, one value per key, as the audit page shows it."""
    dropped = record["dropped"]
    return {
        "lab": record["lab"],
        "gateway": record["gateway"],
        "started": record["started"],
        "ended": record["ended"],
        "allowed": " ".join(record["allowed"]),
        "rate_mbit": record["rate_mbit"],
        "connections": " ".join(f"{c['to']}×{c['opened']}" for c in record["connections"]),
        "bytes_out": record["bytes_out"],
        "bytes_in": record["bytes_in"],
        "dropped_packets": dropped["packets"],
        "dropped_bytes": dropped["bytes"],
        "dropped_to": " ".join(dropped["to"]),
    }


def record_session(store, user: str, record: dict):
    """Append the session to the audit log in one transaction; the entry."""
    with store.begin() as conn:
        return store.audit.append(
            conn,
            at=store.now(),
            actor=user,
            action=ACTION,
            subject=profiles.subject(user),
            detail=detail(record),
        )


class TunnelSessions(APIHandler):
    async def post(self):
        user = self.current_user
        # checked here, not with @needs_scope, which wants the scope defined when this module loads
        if user is None or getattr(user, "kind", "") != "user" or not self.has_scope(SCOPE):
            raise web.HTTPError(
                403, "此令牌不可报告虚实通道会话 / this token may not report sessions of the virtual-real tunnel"
            )
        if len(self.request.body) > MAX_BODY:
            raise web.HTTPError(413, f"会话记录过大 / the session record is over {MAX_BODY} bytes")
        try:
            record = json.loads(self.request.body or b"null")
        except ValueError as err:
            raise web.HTTPError(400, f"不是 JSON / not JSON: {err}") from None
        wrong = problems(record)
        if wrong:
            raise web.HTTPError(400, "会话记录有误 / the session record is wrong: " + "; ".join(wrong))
        if record["user"] != user.name:
            raise web.HTTPError(
                403, f"user: {record['user']!r} 不是此令牌的用户 / is not this token's user ({user.name})"
            )
        pages = getattr(self.authenticator, "people_site", None) and self.authenticator.people_pages
        if not pages:
            raise web.HTTPError(503, "此平台没有审计日志 / this hub keeps no audit log (no people store)")
        try:
            entry = await asyncio.to_thread(record_session, pages.store, user.name, record)
        except StorageFull as err:
            raise web.HTTPError(507, str(err)) from None
        self.log.info("tunnel session of %s (lab %s) recorded as audit entry %d", user.name, record["lab"], entry.seq)
        self.set_status(201)
        self.finish({"seq": entry.seq})


def handlers() -> list[tuple]:
    return [(r"/api/mnss/tunnel-sessions", TunnelSessions)]
