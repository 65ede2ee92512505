"""Running the hub as a service: what its log holds, how it stops, what it starts by itself."""

import os
import re
import signal
import stat
import subprocess
import time

import pytest
import requests

from mnss_hub.hubclient import HubClient
from tests.support.hubproc import (
    ROOT,
    VENV_BIN,
    end_hub,
    free_ports,
    launch_hub,
    processes_under,
    running_hub,
    site_config,
)
from tests.support.weblogin import first_login

pytestmark = [pytest.mark.integration]


def test_generated_admin_password_is_in_a_private_file_not_in_the_log(tmp_path):
    """Started as a service (stdout is a file, not a terminal): the log says where the one-time
    password is, never the password; the file is 0600 and the password in it logs in."""
    state = tmp_path / "state"
    config = site_config(state, auth={"initial_admin_password": ""})
    with running_hub(tmp_path, config) as (url, proc, log):
        path = state / "initial-admin-password"
        name, password = path.read_text().split()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        first_login(url, name, password, "admin-own-password-1")
        HubClient(url).login(name, "admin-own-password-1")
        text = log.read_text()
        assert password not in text
        assert f"one-time password is in {path}" in text
        assert f"log in at {url}hub/login" in text


def all_services(tmp_path, **sections):
    """Courses (exchange + a formgrader), recommender and culler; the hub checks its services every second."""
    extra = tmp_path / "hub.d"
    extra.mkdir()
    (extra / "checks.py").write_text("c.JupyterHub.service_check_interval = 1\n")
    ports = free_ports(2)
    return site_config(
        tmp_path / "state",
        hub={"extra_config_dir": str(extra), **sections.pop("hub", {})},
        courses={
            "enabled": True,
            "catalog": str(ROOT / "courses"),
            "exchange_port": ports[0],
            "members": [{"course": "hospital-lan", "instructors": ["teacher1"], "learners": ["nurse1"]}],
        },
        recommender={"enabled": True, "port": ports[1]},
        culler={"enabled": True},
        **sections,
    )


def login_page_until_up(url: str, proc, log, timeout: float = 150) -> list[tuple[int, str]]:
    """Every answer to the login address from the hub's start until the login form (status, text)."""
    seen = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1][0] != 200:
        assert time.monotonic() < deadline and proc.poll() is None, (seen[-3:], log.read_text()[-2000:])
        try:
            answer = requests.get(url + "hub/login", timeout=10)
            seen.append((answer.status_code, answer.content.decode("utf-8")))
        except requests.ConnectionError:  # the proxy is not listening yet
            pass
        time.sleep(0.2)
    return seen


def test_from_start_to_steady_state_the_login_address_and_service_checks(tmp_path):
    """`mnss-hub run` prints the login address at once, but the proxy routes to the hub only when
    its services have started (a minute or two with every course's formgrader). Asked in between,
    the address says in both languages that the platform is starting and reloads itself; it never
    says "page not found". Then the hub asks each service's URL every service_check_interval: every
    service answers, so the log has no 404 and no "Cannot connect" lines after several cycles."""
    config = all_services(tmp_path, hub={"log_level": "DEBUG"})
    url, proc, log = launch_hub(tmp_path, config)
    try:
        seen = login_page_until_up(url, proc, log)
        deadline = time.monotonic() + 30
        while log.read_text().count("service mnss-recommender running at") < 3:
            assert time.monotonic() < deadline, "the hub did not check its services within 30 s"
            time.sleep(0.5)
        text = log.read_text()
    finally:
        end_hub(tmp_path, config, proc)
    # For the first moment the hub does not answer the proxy's error requests either, and the
    # proxy says only its own bare "Not Found".
    starting = [page for status, page in seen if status != 200 and page != "Not Found"]
    assert starting, "no answer from the proxy while the hub's services started"
    for page in starting:
        assert 'id="mnss-starting"' in page and "MNSS Lab 正在启动" in page and "MNSS Lab is starting" in page
        assert "location.reload()" in page and "找不到页面" not in page
    assert 'id="username_input"' in seen[-1][1]
    assert "log in at" in text and "reloads itself" in text

    for name in ("mnss-exchange", "mnss-recommender", "formgrader-hospital-lan"):
        assert f"service {name} running at" in text
    noisy = [line for line in text.splitlines() if re.search(r"\b404\b.*/services/|Cannot connect to", line)]
    assert not noisy, "\n".join(noisy[:5])


def test_sigterm_stops_hub_services_and_servers_within_10_s(tmp_path):
    """SIGTERM to the hub alone (as a service manager sends it) with two servers running and
    every service on: within 10 s the hub is gone, its log has no traceback, and no proxy,
    service, server or kernel of it is left. The hub starts with SIGINT ignored, as it is when
    a shell starts it in the background; JupyterHub then waited 10 s per service before."""
    config = all_services(tmp_path)
    command = [
        "sh",
        "-c",
        'trap "" INT; exec "$@"',
        "sh",
        str(VENV_BIN / "mnss-hub"),
        "--config",
        str(tmp_path / "mnss.yaml"),
        "run",
        "--jupyterhub-config",
        str(ROOT / "jupyterhub_config.py"),
    ]
    with running_hub(tmp_path, config, command) as (url, proc, log):
        admin = HubClient(url)
        admin.login("admin", "admin-test-password")
        for name in ("nurse1", "teacher1"):
            admin.start_server(name)
        assert admin.execute("nurse1", "print(6 * 7)").stdout.strip() == "42"  # a kernel too
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hub still running 10 s after SIGTERM:\n{log.read_text()[-3000:]}")
        took = time.monotonic() - started
        left = processes_under(tmp_path.resolve())
        text = log.read_text()
    assert "Traceback" not in text, text[text.index("Traceback") - 200 :][:3000]
    assert not left, f"left after the hub stopped ({took:.1f} s): {left}"


def web_login(url: str, name: str, password: str) -> tuple[requests.Session, requests.Response]:
    web = requests.Session()
    form = web.get(url + "hub/login", timeout=10)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
    done = web.post(
        url + "hub/login",
        data={"username": name, "password": password, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text[:500]
    return web, done


def test_admins_land_on_the_hub_home_learners_in_their_lab(tmp_path):
    """An admin's login starts no lab (it would count against active_server_limit); a learner's
    login still leads into their lab, started for them."""
    config = site_config(tmp_path / "state", culler={"enabled": False})
    with running_hub(tmp_path, config) as (url, proc, log):
        added = subprocess.run(
            [str(VENV_BIN / "mnss-hub"), "--config", str(tmp_path / "mnss.yaml"), "add-user", "nurse1"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        one_time = added.stdout.split("(shown only now): ")[1].split()[0]
        first_login(url, "nurse1", one_time, "nurse1-own-password")
        learner_pw = "nurse1-own-password"
        api = HubClient(url)
        api.login("admin", "admin-test-password")

        web, login = web_login(url, "admin", "admin-test-password")
        assert login.headers["Location"].endswith("/hub/home")
        for path in ("hub/home", "hub/"):  # the landing page, and the hub's root, start nothing either
            assert web.get(url + path, timeout=30).status_code == 200
        time.sleep(1)
        assert api.user("admin")["servers"] == {}

        web, login = web_login(url, "nurse1", learner_pw)
        assert login.headers["Location"].endswith("/hub/spawn")
        lab = web.get(url + "hub/spawn", timeout=120)
        assert lab.status_code == 200
        api.wait_for("nurse1", ready=True, timeout=120)
        page = web.get(url + "user/nurse1/lab", timeout=60)
        assert page.status_code == 200 and "JupyterLab" in page.text
        api.stop_server("nurse1")
