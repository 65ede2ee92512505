"""mnss_hub.hubapp: after a restart the proxy gets the running servers' routes before the managed
services start, so running labs are not 404 while a formgrader starts; the hub's own route still
waits for the services (the hub answers once they are up)."""

import asyncio
from types import SimpleNamespace

from jupyterhub import app as stock

from mnss_hub import hubapp


def server(ready: bool):
    return SimpleNamespace(ready=ready)


USERS = {
    "ann": SimpleNamespace(name="ann", spawners={"": server(True), "second": server(False)}),
    "bob": SimpleNamespace(name="bob", spawners={"": server(True)}),
    "cat": SimpleNamespace(name="cat", spawners={}),
}


class Proxy:
    def __init__(self, said, fail_for=()):
        self.said, self.fail_for = said, fail_for

    async def add_user(self, user, name):
        if user.name in self.fail_for:
            raise ConnectionError("proxy API not answering yet")
        self.said.append(("route", user.name, name))

    async def check_routes(self, users, services):
        self.said.append(("all routes",))


def start_all(monkeypatch, said, proxy, names=("mnss-exchange", "formgrader-x")):
    hub = hubapp.JupyterHub()
    hub._service_map = {name: object() for name in names}
    hub.proxy = proxy
    monkeypatch.setattr(hubapp.JupyterHub, "users", USERS, raising=False)

    async def start(self, name, service, ssl_context=None):
        said.append(("start", name))
        return True

    monkeypatch.setattr(stock.JupyterHub, "start_service", start)

    async def run():
        return [await hub.start_service(name, hub._service_map[name]) for name in names]

    return asyncio.run(asyncio.wait_for(run(), 5))


def test_running_servers_get_their_routes_before_any_service_starts(monkeypatch):
    said = []
    assert start_all(monkeypatch, said, Proxy(said)) == [True, True]
    assert said[:2] == [("route", "ann", ""), ("route", "bob", "")]  # ready servers only, once
    assert sorted(said[2:]) == [("start", "formgrader-x"), ("start", "mnss-exchange")]


def test_a_route_that_cannot_be_put_back_early_does_not_stop_the_services(monkeypatch):
    said = []
    assert start_all(monkeypatch, said, Proxy(said, fail_for={"ann"})) == [True, True]
    assert said[0] == ("route", "bob", "") and ("start", "mnss-exchange") in said
