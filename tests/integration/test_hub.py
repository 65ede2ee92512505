"""The real hub and proxy, started by `mnss-hub run` as a sysadmin would, used through its APIs."""

import os
import re
import subprocess
import time

import pytest
import requests

from mnss_hub.hubclient import HubClient, HubError
from tests.support.hubproc import ROOT, VENV_BIN, running_hub, site_config

pytestmark = [pytest.mark.integration]

ADMIN_PW = "admin-test-password"


@pytest.fixture
def hub(tmp_path):
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log):
        yield url


def test_login_page_is_bilingual_and_warns_about_local_mode_only_without_isolation(hub):
    """The login page carries Chinese and English text; the local-mode "not isolated" warning only
    where servers run as the hub's own user (a hub not root); as root each has its own account."""
    page = requests.get(hub + "hub/login", timeout=10).content.decode("utf-8")
    assert "登录 MNSS 实验平台" in page and "Sign in to MNSS Lab" in page
    shared = os.geteuid() != 0
    assert ('id="mnss-local-mode"' in page) is shared and ("not isolated" in page) is shared


def test_wrong_password_is_refused(hub):
    with pytest.raises(HubError, match="refused: HTTP 403"):
        HubClient(hub).login("admin", "wrong-password-x")
    with pytest.raises(HubError, match="refused: HTTP 403"):
        HubClient(hub).login("nobody", ADMIN_PW)


def test_admin_logs_in_spawns_runs_code_and_stops(hub, tmp_path):
    """Token by password, start the server, execute code through the kernel API, stop it."""
    client = HubClient(hub)
    client.login("admin", ADMIN_PW)
    client.start_server("admin")
    lab = requests.get(hub + "user/admin/lab", headers=client.headers, timeout=30)
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    result = client.execute("admin", "import os, sys; print(os.getcwd()); print(6 * 7)")
    assert result.error is None
    cwd, answer = result.stdout.split()
    # the home state_dir/homes/admin; a server under its own account sees it in its mount namespace
    assert cwd == ("/run/mnss-home/mnss-u-admin" if os.geteuid() == 0 else str(tmp_path / "state" / "homes" / "admin"))
    assert answer == "42"
    failing = client.execute("admin", "1 / 0")
    assert failing.error.startswith("ZeroDivisionError")
    client.stop_server("admin")
    assert client.user("admin")["servers"] == {}


def test_new_users_get_chinese_jupyterlab_by_default(hub, tmp_path):
    client = HubClient(hub)
    client.login("admin", ADMIN_PW)
    client.start_server("admin")
    result = client.execute(
        "admin",
        "import jupyterlab_language_pack_zh_CN as p, pathlib, json\n"
        "s = pathlib.Path.home() / '.jupyter/lab/user-settings/@jupyterlab/"
        "translation-extension/plugin.jupyterlab-settings'\n"
        "print(json.loads(s.read_text())['locale'])",
    )
    assert result.error is None and result.stdout.strip() == "zh_CN"
    client.stop_server("admin")


def test_change_password_form(hub):
    """A logged-in user replaces the one-time password through the web form."""
    web = requests.Session()
    form = web.get(hub + "hub/login", timeout=10)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
    login = web.post(
        hub + "hub/login",
        data={"username": "admin", "password": ADMIN_PW, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302
    page = web.get(hub + "hub/change-password", timeout=10)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    short = web.post(
        hub + "hub/change-password",
        timeout=30,
        data={"_xsrf": xsrf, "old_password": ADMIN_PW, "new_password": "short", "repeat_password": "short"},
    )
    assert short.status_code == 400 and 'data-message="password-too-short"' in short.text
    done = web.post(
        hub + "hub/change-password",
        timeout=30,
        data={
            "_xsrf": xsrf,
            "old_password": ADMIN_PW,
            "new_password": "brand-new-pass-1",
            "repeat_password": "brand-new-pass-1",
        },
    )
    assert done.status_code == 200 and 'data-message="password-changed"' in done.text
    HubClient(hub).login("admin", "brand-new-pass-1")
    with pytest.raises(HubError):
        HubClient(hub).login("admin", ADMIN_PW)


def test_restart_keeps_users_and_tokens(tmp_path):
    """Stop the hub, start it again on the same state: users and API tokens still work."""
    config = site_config(tmp_path / "state")
    with running_hub(tmp_path, config) as (url, proc, log):
        admin = HubClient(url)
        admin.login("admin", ADMIN_PW)
        admin.create_user("learner1")
        token = admin.token
    with running_hub(tmp_path, config) as (url, proc, log):
        again = HubClient(url, token=token)
        assert again.user("learner1")["name"] == "learner1"
        assert again.user("admin")["admin"] is True
        assert log.read_text().count("Created admin account") == 1, "admin must be created only once"


@pytest.mark.parametrize(
    "yaml_text, expected",
    [
        ("hub:\n  prot: 8000\n", "hub.prot: unknown key (did you mean 'port'?)"),
        ("hub:\n  port: '8000x'\n", "hub.port: '8000x' is a string, expected integer"),
        ("mode: kubernetes\n", "mode: 'kubernetes' is not allowed; allowed values: local, docker, swarm"),
        ("spawn:\n  start_timeout: 1\n", "spawn.start_timeout: 1 is out of range; must be >= 10"),
    ],
)
def test_broken_config_stops_start_up_fast(tmp_path, yaml_text, expected):
    """`mnss-hub run` (what `make run` calls) exits at once, names the key, and creates nothing."""
    path = tmp_path / "mnss.yaml"
    path.write_text(yaml_text + "\n# state\n", "utf-8")
    started = time.monotonic()
    done = subprocess.run(
        [
            str(VENV_BIN / "mnss-hub"),
            "--config",
            str(path),
            "run",
            "--jupyterhub-config",
            str(ROOT / "jupyterhub_config.py"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert expected in done.stderr
    assert time.monotonic() - started < 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnss.yaml"]


def test_jupyterhub_itself_refuses_a_broken_config(tmp_path):
    """Started directly with jupyterhub_config.py (bypassing mnss-hub), a bad file still stops it."""
    path = tmp_path / "mnss.yaml"
    path.write_text("hub:\n  port: -1\n", "utf-8")
    done = subprocess.run(
        [str(VENV_BIN / "jupyterhub"), "--config", str(ROOT / "jupyterhub_config.py")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"MNSS_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode != 0
    assert "hub.port: -1 is out of range; must be >= 1" in done.stderr + done.stdout


MININET_IN_A_NOTEBOOK = """
from mininet.net import Mininet
from mininet.topo import LinearTopo
from mininet.nodelib import LinuxBridge
net = Mininet(topo=LinearTopo(2, 1), switch=LinuxBridge, controller=None, autoSetMacs=True)
try:
    net.start()
    print("loss", net.pingAll(timeout=2))
finally:
    net.stop()
"""


@pytest.fixture
def bridged_mininet_traffic_passes():
    """Stock Mininet bridges in the host's namespace: where dockerd turned on br_netfilter and set
    the FORWARD policy to DROP, their frames would be filtered. Let Mininet's own ports (s<N>-eth<M>)
    through for this test only; the MNSS engine needs nothing like it (its bridges live in namespaces)."""
    rule = ["FORWARD", "-m", "physdev", "--physdev-is-bridged", "--physdev-in", "s+", "-j", "ACCEPT"]
    added = subprocess.run(["iptables", "-I", *rule], capture_output=True).returncode == 0
    yield
    if added:
        subprocess.run(["iptables", "-D", *rule], capture_output=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="Mininet needs root; local mode runs as root without own accounts")
def test_learner_runs_a_mininet_topology_from_a_notebook(tmp_path, bridged_mininet_traffic_passes):
    """In local mode with `local.own_accounts: false` (servers as the hub's user, root), a notebook
    kernel can build, ping and tear down a real stock Mininet network."""
    config = site_config(tmp_path / "state", local={"own_accounts": False})
    with running_hub(tmp_path, config) as (hub, proc, log):
        client = HubClient(hub)
        client.login("admin", ADMIN_PW)
        client.start_server("admin")
        result = client.execute("admin", MININET_IN_A_NOTEBOOK, timeout=120)
        client.stop_server("admin")
    assert result.error is None, result.stderr
    assert "loss 0.0" in result.stdout
    leftovers = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert "s1-eth" not in leftovers and "h1-eth" not in leftovers
