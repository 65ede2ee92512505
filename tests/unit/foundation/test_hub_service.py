"""HubServiceApp: the hub's variables as defaults, the config file, --generate-config, the stop."""

import asyncio
import os
import signal

import pytest
from traitlets import Unicode

from mnss_foundation.hub_service import HubServiceApp


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
