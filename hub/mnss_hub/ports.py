"""Ports the hub's processes listen on, and the clashes among them.

Two processes given the same port do not fail at once: the second one to start dies with
"Address already in use" after the hub has written state, or a managed service restarts
forever. So the applied configuration is checked as a whole before anything starts.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from traitlets.config import Config

# Which site config key sets the port of each kind of listener, for messages an admin can act on.
SERVICE_KEYS = {
    "mnss-exchange": "courses.exchange_port",
    "mnss-recommender": "recommender.port",
}
FORMGRADER_KEY = "courses.exchange_port + 10 + the course's index"


def _service_key(name: str) -> str:
    if name.startswith("formgrader-"):
        return FORMGRADER_KEY
    return SERVICE_KEYS.get(name, "its url")


def listeners(c: Config) -> list[tuple[str, int]]:
    """(who, port) for the proxy, the hub, the proxy's API and every service with a URL."""
    found = [
        ("the proxy (hub.port)", urlsplit(c.JupyterHub.bind_url).port),
        ("the hub (hub.hub_port)", c.JupyterHub.hub_port),
        ("the proxy's API (hub.proxy_api_port)", urlsplit(c.ConfigurableHTTPProxy.api_url).port),
    ]
    services = c.JupyterHub.services if "services" in c.JupyterHub else []
    for service in services:
        if service.get("url"):
            found.append(
                (f"service {service['name']} ({_service_key(service['name'])})", urlsplit(service["url"]).port)
            )
    return [(who, port) for who, port in found if port]


def clashes(c: Config) -> list[str]:
    """One line per port claimed by more than one listener, naming each of them."""
    by_port: dict[int, list[str]] = defaultdict(list)
    for who, port in listeners(c):
        by_port[port].append(who)
    return [
        f"port {port} is used by {' and by '.join(users)}; each needs a port of its own"
        for port, users in sorted(by_port.items())
        if len(users) > 1
    ]
