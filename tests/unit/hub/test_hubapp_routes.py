"""mnss_hub.hubapp: after a restart the proxy gets the hub's and the running servers' routes
before the managed services start, so running labs are not 404 while a formgrader starts."""

import asyncio
from unittest import mock

from jupyterhub import app as stock

from mnss_hub import hubapp


def start_services(hub, names):
    return asyncio.run(asyncio.wait_for(_all(hub, names), 5))


async def _all(hub, names):
    return [await hub.start_service(name, hub._service_map[name]) for name in names]


def test_routes_go_back_before_any_service_starts(monkeypatch):
    said = []
    hub = hubapp.JupyterHub()
    hub._service_map = {"mnss-exchange": object(), "formgrader-x": object()}
    monkeypatch.setattr(hubapp.JupyterHub, "users", {"alice": "running"}, raising=False)

    async def check_routes(users, services):
        said.append(("routes", dict(users), sorted(services)))

    async def start(self, name, service, ssl_context=None):
        said.append(("start", name))
        return True

    hub.proxy = mock.Mock(check_routes=check_routes)
    monkeypatch.setattr(stock.JupyterHub, "start_service", start)
    assert start_services(hub, ["mnss-exchange", "formgrader-x"]) == [True, True]
    assert said[0] == ("routes", {"alice": "running"}, ["formgrader-x", "mnss-exchange"])
    assert sorted(said[1:]) == [("start", "formgrader-x"), ("start", "mnss-exchange")]
    assert [s for s in said if s[0] == "routes"] == [said[0]]  # once, not per service


def test_a_failed_early_route_check_does_not_stop_the_services(monkeypatch):
    hub = hubapp.JupyterHub()
    hub._service_map = {"mnss-exchange": object()}
    monkeypatch.setattr(hubapp.JupyterHub, "users", {}, raising=False)

    async def check_routes(users, services):
        raise ConnectionError("proxy API not answering yet")

    async def start(self, name, service, ssl_context=None):
        return True

    hub.proxy = mock.Mock(check_routes=check_routes)
    monkeypatch.setattr(stock.JupyterHub, "start_service", start)
    assert start_services(hub, ["mnss-exchange"]) == [True]
