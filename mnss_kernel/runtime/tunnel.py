"""The virtual-real tunnel: a lab's `gateway` node reaches a network outside the lab through the host.

Off unless the hub grants it: the site allows it per user or course, and the user's server then
gets the allowed destinations ($MNSS_TUNNEL_ALLOW, see ServerSettings). A lab with a gateway node
and no grant refuses to start before anything is built.

How: slirp4netns, outside the lab, gives the gateway a tap device (`out0`) whose traffic it carries
over the host's own sockets; it needs no root, so rootless labs have the tunnel as well as root's.
What passes is decided in the kernel, by the gateway's iptables (installed before the tap exists):
new TCP connections to an allowed prefix and port, and their replies; everything else leaving
through out0 is dropped and counted, and nothing may connect inwards. tc (htb) caps what the lab
sends through out0. When the lab stops, the rule counters are read and the session (user name,
lab, times, destinations reached, bytes, drops) is sent to the hub's audit log with the server's own
token (hub/mnss_hub/tunnel_sessions.py), and appended to the user's audit file, one JSON line each.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mnss_foundation.server_settings import ENV, ServerSettings

from ..catalog import role
from . import commands
from .shell import EngineError, batch, run

OUTSIDE = "out0"  # the gateway's outside device (slirp4netns's tap)
CIDR = "100.127.255.0/24"  # the tap's subnet (gateway .100, slirp .2); kept out of labs' usual 10/8
READY_TIMEOUT = 10.0
SESSIONS_API = "/mnss/tunnel-sessions"  # under $JUPYTERHUB_API_URL
REPORT_TRIES, REPORT_TIMEOUT = 3, 5.0  # a lab's stop waits at most this long for the hub
TUN = "/dev/net/tun"  # the tap device slirp4netns opens in the gateway's namespace

log = logging.getLogger("mnss.tunnel")


@dataclass(frozen=True)
class Grant:
    """What the hub allowed this user's labs: TCP destinations (prefix, port), a rate, where to audit."""

    allowed: tuple[tuple[str, int], ...]
    rate_mbit: float
    audit_log: Path
    user: str


def parse_allow(text: str) -> tuple[tuple[str, int], ...]:
    """'10.20.0.0/24:104,11112 192.0.2.7/32:2575' -> ((prefix, port), ...); a bad entry is named."""
    allowed = []
    for entry in text.split():
        prefix, sep, ports = entry.rpartition(":")
        try:
            net = ipaddress.IPv4Network(prefix if sep else "", strict=False)
            numbers = [int(p) for p in ports.split(",")]
        except ValueError:
            numbers, net = [], None
        if net is None or not numbers or not all(0 < p < 65536 for p in numbers):
            raise EngineError(
                f"${ENV['tunnel_allow']}: {entry!r} is not <IPv4 prefix>:<port>[,<port>...] "
                f"(e.g. 10.20.0.0/24:104,11112)",
                "tunnel_setting",
            )
        allowed += [(str(net), p) for p in numbers]
    return tuple(allowed)


def grant_from(settings: ServerSettings, user: str) -> Grant | None:
    """The grant these settings carry, or None when the tunnel is not allowed."""
    if not settings.tunnel_allow.strip():
        return None
    audit = settings.tunnel_audit_log or str(Path.home() / ".mnss" / "tunnel-audit.jsonl")
    return Grant(parse_allow(settings.tunnel_allow), settings.tunnel_rate_mbit, Path(audit), user)


def gateway_of(topology) -> str | None:
    """The name of the topology's gateway node, if it has one (validation allows at most one)."""
    return next((n.name for n in topology.nodes if role(n.kind) == "gateway"), None)


def check_allowed(topology, owner: str) -> Grant | None:
    """The grant for this topology's gateway; refuses (naming the node) when there is none.
    None for a topology without a gateway."""
    node = gateway_of(topology)
    if node is None:
        return None
    grant = grant_from(ServerSettings.from_env(), os.environ.get("JUPYTERHUB_USER") or owner)
    if grant is None:
        raise EngineError(node, "tunnel_disabled")
    return grant


def missing() -> str | None:
    """Why this system cannot run a tunnel, or None."""
    if shutil.which("slirp4netns") is None:
        return "a gateway node needs slirp4netns (Debian package slirp4netns), which is not installed"
    if os.geteuid() != 0 and not os.access(TUN, os.R_OK | os.W_OK):
        return (
            f"a gateway node without root needs {TUN} readable and writable by every user (mode 0666, "
            f"the usual default), which it is not here; ask the administrator to run chmod 0666 {TUN}"
        )
    return None


class Tunnel:
    """The running tunnel of one lab's gateway; `close()` ends it and returns its audit record."""

    def __init__(self, grant: Grant, lab: str, node: str, netns: str, place):
        self.grant, self.lab, self.node, self.netns, self.place = grant, lab, node, netns, place
        self.started = datetime.now(UTC)
        self._slirp: subprocess.Popen | None = None
        self._exit_w: int | None = None
        self._said = None  # slirp4netns's output (a temporary file)

    def start(self) -> Tunnel:
        in_gw = self.place.in_netns
        rules = commands.tunnel_rules(OUTSIDE, self.grant.allowed)
        run(in_gw(self.netns, commands.restore_rules()), stdin=rules, what=f"tunnel rules of {self.node}")
        ready_r, ready_w = os.pipe()
        exit_r, self._exit_w = os.pipe()
        userns = commands.userns_path(self.place.pid) if self.place.userns else None
        argv = commands.slirp(commands.netns_path(self.place.pid, self.netns), userns, OUTSIDE, CIDR, ready_w, exit_r)
        self._said = tempfile.TemporaryFile()  # what slirp4netns says (a pipe could fill and stall it)
        try:
            self._slirp = subprocess.Popen(
                argv,
                pass_fds=(ready_w, exit_r),
                stdin=subprocess.DEVNULL,
                stdout=self._said,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # lives exactly as long as its exit pipe, not by signals
            )
        finally:
            os.close(ready_w)
            os.close(exit_r)
        try:
            try:
                ready = select.select([ready_r], [], [], READY_TIMEOUT)[0]
                said = os.read(ready_r, 16) if ready else b""
            finally:
                os.close(ready_r)
            if not said:
                raise EngineError(f"{self.node}: the tunnel (slirp4netns) did not come up: {self._last_words()}")
            lines = commands.qdiscs_add(OUTSIDE, self.grant.rate_mbit, ())
            batch(lines, self.netns, tool=commands.TC, what=f"rate of the tunnel of {self.node}")
        except BaseException:
            self._end_slirp()  # the lab's stop does not know this tunnel yet
            self._said.close()
            raise
        log.info("tunnel of %s (lab %s) up for %s: %s", self.node, self.lab, self.grant.user, self.allowed_text())
        return self

    def allowed_text(self) -> list[str]:
        return [f"{prefix}:{port}" for prefix, port in self.grant.allowed]

    def _last_words(self) -> str:
        self._end_slirp()
        self._said.seek(0)
        words = self._said.read().decode(errors="replace").strip()[-300:]
        self._said.close()
        return words or "no answer"

    def _end_slirp(self) -> None:
        if self._exit_w is not None:
            os.close(self._exit_w)
            self._exit_w = None
        if self._slirp is not None and self._slirp.poll() is None:
            try:
                self._slirp.wait(5)
            except subprocess.TimeoutExpired:
                self._slirp.kill()
                self._slirp.wait(5)

    def close(self) -> dict:
        """Read the counters, end slirp4netns, append the session to the audit log; the record."""
        in_gw = self.place.in_netns
        counters = run(in_gw(self.netns, commands.rule_counters()), check=False).stdout
        drops = run(in_gw(self.netns, commands.recent_list(commands.TUNNEL_DROPS)), check=False).stdout
        self._end_slirp()
        self._said.close()
        record = session_record(self, counters, drops, datetime.now(UTC))
        append_audit(self.grant.audit_log, record)
        report(record)
        return record


_COUNTED = re.compile(r'^\[(\d+):(\d+)\] -A (\w+) .*--comment "?' + commands.TUNNEL_TAG + r':([^"\s]+)"?')
_DROPPED_AT = re.compile(r"src=(\S+)")


def counted(iptables_save: str) -> dict[str, tuple[int, int]]:
    """{tag: (packets, bytes)} summed over chains, from `iptables-save -c` output."""
    totals: dict[str, tuple[int, int]] = {}
    for line in iptables_save.splitlines():
        match = _COUNTED.match(line)
        if match:
            packets, size = totals.get(match[4], (0, 0))
            totals[match[4]] = (packets + int(match[1]), size + int(match[2]))
    return totals


def session_record(tunnel: Tunnel, iptables_save: str, recent: str, ended: datetime) -> dict:
    """The audit record of a session: no personal data but the user name."""
    tags = counted(iptables_save)
    allowed = {tag: value for tag, value in tags.items() if tag.startswith("allow:")}
    drop_in, drop_out = tags.get("drop-in", (0, 0)), tags.get("drop-out", (0, 0))
    return {
        "event": "tunnel_session",
        "user": tunnel.grant.user,
        "lab": tunnel.lab,
        "gateway": tunnel.node,
        "started": tunnel.started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "allowed": tunnel.allowed_text(),
        "rate_mbit": tunnel.grant.rate_mbit,
        "connections": [
            {"to": tag.removeprefix("allow:"), "opened": packets} for tag, (packets, _) in allowed.items() if packets
        ],
        "bytes_out": tags.get("out", (0, 0))[1] + sum(size for _, size in allowed.values()),
        "bytes_in": tags.get("in", (0, 0))[1],
        "dropped": {
            "packets": drop_in[0] + drop_out[0],
            "bytes": drop_in[1] + drop_out[1],
            "to": sorted(set(_DROPPED_AT.findall(recent))),
        },
    }


def append_audit(path: Path, record: dict) -> None:
    """One JSON line per session, appended (the file and its folder private to the user); also
    logged, so the server's log (the hub's, in local mode) has it too."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    log.warning("tunnel session: %s", line)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def report(record: dict, environ=os.environ) -> bool:
    """Send the session to the hub's audit log with this server's token; whether the hub recorded it.
    A hub that is down or busy is asked again; a refusal is logged with the hub's reason. Outside a
    hub (no $JUPYTERHUB_API_URL or token) the audit file and the log alone keep the session."""
    api, token = environ.get("JUPYTERHUB_API_URL", ""), environ.get("JUPYTERHUB_API_TOKEN", "")
    if not (api and token):
        return False
    request = urllib.request.Request(
        api.rstrip("/") + SESSIONS_API,
        data=json.dumps(record, ensure_ascii=False).encode("utf-8"),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    why = ""
    for attempt in range(REPORT_TRIES):
        time.sleep(attempt)  # 0, 1, 2 s
        try:
            with urllib.request.urlopen(request, timeout=REPORT_TIMEOUT) as answer:
                log.info("tunnel session of lab %s: audit entry %s of the hub", record["lab"], json.load(answer)["seq"])
                return True
        except urllib.error.HTTPError as err:
            why = f"{err.code} {err.read().decode(errors='replace')[-300:]}"
            if err.code < 500:  # refused: asking again changes nothing
                break
        except (OSError, ValueError) as err:
            why = str(err)
    log.error(
        "the hub did not record the tunnel session of lab %s (%s): only the audit file and this log have it",
        record["lab"],
        why,
    )
    return False
