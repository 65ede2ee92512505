"""JupyterLab settings every server starts from, as `pip install` puts them into the venv."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from tests.support.hubproc import ROOT
from tests.support.labproc import TOKEN, running_lab

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
    """JupyterLab's own settings API, on a real server reading those overrides (no notification settings of its own)."""
    with running_lab(tmp_path, settings_dir=installed_prefix / "share/jupyter/lab/settings") as url:
        reply = requests.get(
            f"{url}lab/api/settings/{NOTIFICATION}", headers={"Authorization": f"token {TOKEN}"}, timeout=5
        )
    assert reply.status_code == 200, reply.text[:500]
    # The overrides become the schema's defaults (the page merges them with the user's settings).
    properties = reply.json()["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False
