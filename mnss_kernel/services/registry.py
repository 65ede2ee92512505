"""Which service runs on which catalog kind, on which port, and which probe checks it.

The kinds come from the catalog's `service` field, so adding a hospital kind there is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..catalog import KINDS
from . import dicom_scp, echo, hl7, sqldb, web
from .connect import tcp_connect
from .dicom_scu import dicom_echo, dicom_store
from .echo import tcp_echo
from .hl7 import hl7_send
from .tcp import RunningServer
from .web import http_get

Probe = Callable[..., dict]


@dataclass(frozen=True)
class ServiceSpec:
    """A server the engine can start on a node, and how to check it from another node."""

    name: str
    default_port: int
    kinds: tuple[str, ...]  # catalog kinds that run this server
    probe: Probe  # the cheap, ping-like check
    start: Callable[..., RunningServer]  # start(host, port, **options) in this process
    client_kinds: tuple[str, ...] = ()  # catalog kinds that are clients of it (modality -> PACS)


def _kinds(service: str) -> tuple[str, ...]:
    return tuple(k.name for k in KINDS.values() if k.service == service)


SERVICES: dict[str, ServiceSpec] = {
    s.name: s
    for s in [
        ServiceSpec(
            "dicom-scp",
            dicom_scp.DEFAULT_PORT,
            _kinds("dicom-scp"),
            dicom_echo,
            dicom_scp.start_pacs,
            _kinds("dicom-scu"),
        ),
        ServiceSpec("hl7-mllp", hl7.DEFAULT_PORT, _kinds("hl7-mllp"), hl7_send, hl7.start_hl7_server),
        ServiceSpec("http", web.DEFAULT_PORT, _kinds("http"), http_get, web.start_http_server),
        ServiceSpec("tcp-echo", echo.DEFAULT_PORT, _kinds("tcp-echo"), tcp_echo, echo.start_echo_server),
        ServiceSpec("mysql", sqldb.DEFAULT_PORT, _kinds("mysql"), sqldb.sql_query, sqldb.start_sql_server),
    ]
}

# Probe names for the CLI; a service name also works and means that service's default probe.
PROBES: dict[str, Probe] = {
    "dicom-echo": dicom_echo,
    "dicom-store": dicom_store,
    "hl7": hl7_send,
    "http": http_get,
    "tcp-echo": tcp_echo,
    "sql": sqldb.sql_query,
    "tcp": tcp_connect,  # any listener: the connection opens (no protocol spoken)
}
PROBE_ALIASES = {name: next(k for k, f in PROBES.items() if f is spec.probe) for name, spec in SERVICES.items()}


def probe(name: str) -> Probe:
    """A probe by probe name or service name."""
    return PROBES[PROBE_ALIASES.get(name, name)]
