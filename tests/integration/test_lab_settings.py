"""JupyterLab settings every server starts from, as `pip install` puts them into the venv."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from tests.support.hubproc import ROOT, VENV_BIN, free_ports

pytestmark = [pytest.mark.integration]

NOTIFICATION = "@jupyterlab/apputils-extension:notification"


@pytest.fixture(scope="module")
def installed_prefix(tmp_path_factory) -> Path:
    """The package's data files as an install puts them under a prefix: the wheel is built and its
    `.data/data/` tree unpacked (installing it with this venv's pip would first uninstall the
    package the test suite itself runs from)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(work)],
        check=True,
        timeout=300,
        cwd=work,
    )
    wheel = next(work.glob("mnss_lab-*.whl"))
    prefix = work / "prefix"
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            head, _, rest = name.partition(".data/data/")
            if rest and "/" not in head:
                target = prefix / rest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    return prefix


def test_install_puts_the_news_prompt_off_into_the_lab_overrides(installed_prefix):
    overrides = json.loads((installed_prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides[NOTIFICATION]["fetchNews"] == "false"
    assert overrides[NOTIFICATION]["checkForUpdates"] is False


def test_a_running_server_reports_the_news_prompt_off(installed_prefix, tmp_path):
    """JupyterLab's own settings API, on a real server reading those overrides (no user settings)."""
    port, token = free_ports(1)[0], "lab-settings-test"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MNSS_"))}, "HOME": str(tmp_path)}
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "jupyter"),
                "lab",
                "--no-browser",
                "--allow-root",
                f"--port={port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={tmp_path}",
                f"--LabApp.app_settings_dir={installed_prefix / 'share/jupyter/lab/settings'}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/lab/api/settings/{NOTIFICATION}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s:\n" + log.read_text()[-3000:]
            try:
                reply = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert reply.status_code == 200, reply.text[:500]
        # The overrides become the schema's defaults (the page merges them with the user's settings).
        properties = reply.json()["schema"]["properties"]
        assert properties["fetchNews"]["default"] == "false"
        assert properties["checkForUpdates"]["default"] is False
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
