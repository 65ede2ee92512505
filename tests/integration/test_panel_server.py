"""The panel's API in a real Jupyter server (no hub): when recommendations are off or the
recommender cannot be reached, the page gets a bilingual message, not a stack trace; items that
are not course ids are refused before anything is fetched."""

import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
import requests

from tests.support.hubproc import free_ports, stop_process_group, wait_until_answers

pytestmark = [pytest.mark.integration]

TOKEN = "panel-test-token"


@contextmanager
def jupyter_server(tmp_path, **env):
    (port,) = free_ports(1)
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "MNSS_", "JUPYTER_"))}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={home}",
            "--allow-root",
        ],
        env={**clean, "HOME": str(home), **env},
        stdout=open(tmp_path / "server.log", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answers(proc, tmp_path / "server.log", url + "api", "jupyter server", 60)
        yield url
    finally:
        stop_process_group(proc)


def get(url, path, **kw):
    return requests.get(url + path, headers={"Authorization": f"token {TOKEN}"}, timeout=30, **kw)


def test_recommender_down_and_disabled_are_told_in_both_languages(tmp_path):
    (closed,) = free_ports(1)  # nothing listens here: the recommender is "down"
    recommender = f"http://127.0.0.1:{closed}/services/mnss-recommender/"
    with jupyter_server(tmp_path, MNSS_RECOMMENDER_URL=recommender, JUPYTERHUB_API_TOKEN="x") as url:
        down = get(url, "mnss/panel")
        assert down.status_code == 503
        error = down.json()["error"]
        assert "推荐服务暂时无法连接" in error["zh"] and "cannot be reached" in error["en"]
        assert "Traceback" not in down.text

        bad = requests.post(
            url + "mnss/panel/open",
            json={"item": "../../etc/passwd"},
            headers={"Authorization": f"token {TOKEN}"},
            timeout=30,
        )
        assert bad.status_code == 400 and "无效的课程条目" in bad.json()["error"]["zh"]

        anonymous = requests.get(url + "mnss/panel", timeout=10)
        assert anonymous.status_code == 403, "the panel's API needs the server's own login"


def test_disabled_recommendations_are_told(tmp_path):
    (tmp_path / "a").mkdir()
    with jupyter_server(tmp_path / "a") as url:
        off = get(url, "mnss/panel")
        assert (
            off.status_code == 503 and off.json()["error"]["en"] == "Recommendations are not enabled on this platform."
        )
