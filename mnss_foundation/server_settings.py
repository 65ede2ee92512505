"""What the hub tells a learner's server, as environment variables: one contract for the hub that
writes them (spawners, services) and for the server's extensions, kernels and engine that read them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

#: The variable of each setting. Names are kept: images and scripts read some of them too.
ENV = {
    "recommender_url": "MNSS_RECOMMENDER_URL",
    "activity_flush_seconds": "MNSS_ACTIVITY_FLUSH_SECONDS",
    "exchange_url": "MNSS_EXCHANGE_URL",
    "courses_dir": "MNSS_COURSES_DIR",
    "max_nodes": "MNSS_MAX_NODES",
    "max_links": "MNSS_MAX_LINKS",
    "lab_pids_limit": "MNSS_LAB_PIDS_LIMIT",
    "lab_mem_limit": "MNSS_LAB_MEM_LIMIT",
    "lab_language": "MNSS_LAB_LANGUAGE",
    "formgrader_urls": "MNSS_FORMGRADER_URLS",
    "tunnel_allow": "MNSS_TUNNEL_ALLOW",
    "tunnel_rate_mbit": "MNSS_TUNNEL_RATE_MBIT",
    "tunnel_audit_log": "MNSS_TUNNEL_AUDIT_LOG",
}


class SettingsError(ValueError):
    """A variable the hub should have set is malformed; the message names it and its value."""


@dataclass(frozen=True)
class ServerSettings:
    recommender_url: str = ""  # base URL of the recommender service; empty: activity is not recorded
    activity_flush_seconds: float = 30.0  # how often the server sends its buffered learning events
    exchange_url: str = ""  # base URL of the mnss-exchange service; empty: no exchange
    courses_dir: str = ""  # the installed courses as the server sees them (tutorials are copied from there)
    max_nodes: int = 0  # largest emulation the user may run; 0: no limit
    max_links: int = 0
    lab_pids_limit: int = 0  # processes one lab may run (mnss_kernel.runtime.limits); 0: no limit
    lab_mem_limit: int = 0  # bytes of memory one lab may use; 0: no limit
    lab_language: str = ""  # the JupyterLab language of a first start ('zh-CN' or 'en')
    # "<course>=<url> ..." of the formgraders of the courses the user teaches (instructors only)
    formgrader_urls: str = ""
    # The virtual-real tunnel (a lab's `gateway` node), for users the site allows it only:
    # "<prefix>:<port>[,<port>] ..." TCP destinations a gateway may reach; empty: no tunnel at all.
    tunnel_allow: str = ""
    tunnel_rate_mbit: float = 10.0  # rate of the gateway's outside link, per lab
    tunnel_audit_log: str = ""  # JSON-lines file of the tunnel sessions; empty: ~/.mnss/tunnel-audit.jsonl

    def to_env(self) -> dict[str, str]:
        """The variables of the settings that differ from the defaults (so partial settings merge)."""
        default = ServerSettings()
        return {
            ENV[f.name]: _text(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV[f.name], "").strip()
            if not raw:
                continue
            kind = type(getattr(cls(), f.name))
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise SettingsError(f"${ENV[f.name]}={raw!r} is not {_expected(kind)}") from None
            if kind is int and values[f.name] < 0:
                raise SettingsError(f"${ENV[f.name]}={raw!r} must not be negative")
            if kind is float and not 0 < values[f.name] < float("inf"):
                raise SettingsError(f"${ENV[f.name]}={raw!r} must be a positive number")
        return cls(**values)

    def formgrader_url(self, course: str) -> str:
        """Base URL of the course's formgrader service as this server reaches it; "" if not known."""
        for entry in self.formgrader_urls.split():
            name, _, url = entry.partition("=")
            if name == course and url:
                return url if url.endswith("/") else url + "/"
        return ""

    @staticmethod
    def formgrader_entries(urls: Mapping[str, str]) -> str:
        """The `formgrader_urls` text of {course: url}."""
        return " ".join(f"{course}={url}" for course, url in sorted(urls.items()))

    def recommender_api(self, name: str) -> str:
        """URL of the recommender's api/<name> (events, me, ...); empty when there is no recommender."""
        return f"{self.recommender_url.rstrip('/')}/api/{name}" if self.recommender_url else ""


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _expected(kind: type) -> str:
    return {int: "a whole number", float: "a number"}.get(kind, "text")
