"""HubServiceApp: the hub's variables as defaults, the config file, --generate-config, the stop;
the health check every service answers, and the level its requests are logged at."""

import asyncio
import json
import logging
import os
import signal

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from traitlets import Unicode

from mnss_foundation.hub_service import HubServiceApp, health_route, log_level


class Demo(HubServiceApp):
    name = "demo"
    default_service_url = "http://127.0.0.1:9999"
    default_service_prefix = "/services/demo/"
    default_config_file = "demo_config.py"
    colour = Unicode("red", help="A setting of the demo.").tag(config=True)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_SERVICE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_come_from_the_hub_variables_else_the_subclass(clean_env):
    app = Demo()
    assert (app.service_url, app.service_prefix, app.api_token) == ("http://127.0.0.1:9999", "/services/demo/", "")
    assert app.listen_address() == ("127.0.0.1", 9999)
    clean_env.setenv("JUPYTERHUB_SERVICE_URL", "http://10.1.2.3:8123")
    clean_env.setenv("JUPYTERHUB_SERVICE_PREFIX", "/services/x/")
    clean_env.setenv("JUPYTERHUB_API_TOKEN", "tok")
    app = Demo()
    assert (app.listen_address(), app.service_prefix, app.api_token) == (("10.1.2.3", 8123), "/services/x/", "tok")


def test_the_config_file_is_loaded_when_it_exists(clean_env, tmp_path):
    clean_env.chdir(tmp_path)
    Demo.clear_instance()
    app = Demo()
    app.initialize([])
    assert app.colour == "red"  # no file: nothing loaded, no error
    (tmp_path / "demo_config.py").write_text("c.Demo.colour = 'blue'\n")
    app = Demo()
    app.initialize([])
    assert app.colour == "blue"


def test_generate_config_prints_every_setting_and_exits(clean_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        Demo().initialize(["--Demo.generate_config=True"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "c.Demo.colour" in out and "JUPYTERHUB_SERVICE_URL" in out


def test_until_stopped_returns_on_sigterm():
    async def run():
        waiting = asyncio.create_task(Demo().until_stopped())
        await asyncio.sleep(0)  # the handlers are in place once the task ran
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(waiting, 5)

    asyncio.run(run())


class Refused(web.RequestHandler):
    def get(self, status):
        self.set_status(int(status))
        self.finish("")


def test_the_health_check_answers_up_and_is_logged_quietly():
    """The hub's check of the prefix (with or without its slash) gets "ok" with no token and is
    logged at debug; a refusal is a warning and a failure an error, other answers info."""
    log = logging.getLogger("test-health")
    logged = []

    def log_function(handler):
        logged.append((handler.request.path, handler.get_status(), log_level(handler, log).__name__))

    async def scenario():
        routes = [health_route("/services/demo/", "demo"), (r"/services/demo/status/(\d+)", Refused)]
        server = HTTPServer(web.Application(routes, log_function=log_function))
        sock, *_ = bind_sockets(0, "127.0.0.1")
        server.add_sockets([sock])
        base = f"http://127.0.0.1:{sock.getsockname()[1]}/services/demo"
        try:
            answers = [await AsyncHTTPClient().fetch(base + path, raise_error=False) for path in ("/", "")]
            for status in (200, 404, 503):
                await AsyncHTTPClient().fetch(f"{base}/status/{status}", raise_error=False)
            return answers
        finally:
            server.stop()

    answers = asyncio.run(scenario())
    assert [(a.code, json.loads(a.body)) for a in answers] == [(200, {"service": "demo", "status": "ok"})] * 2
    assert answers[0].headers["Cache-Control"] == "no-store"
    assert logged == [
        ("/services/demo/", 200, "debug"),
        ("/services/demo", 200, "debug"),
        ("/services/demo/status/200", 200, "info"),
        ("/services/demo/status/404", 404, "warning"),
        ("/services/demo/status/503", 503, "error"),
    ]
