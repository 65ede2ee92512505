"""A bare JupyterLab server for browser tests of notebook widgets (no hub in between)."""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from .hubproc import VENV_BIN, free_ports, stop_process_group, wait_until_answers

TOKEN = "canvas-test"
LANGUAGE_SETTING = ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"


def notebook(*cells: str) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
            for src in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@contextmanager
def running_lab(home: Path, locale: str = "zh_CN", settings_dir: Path | None = None):
    """JupyterLab on a free loopback port, HOME=`home` with `locale` chosen as the user's language
    (as the language menu stores it), the settings overrides in `settings_dir` if given; yields the
    base URL. Stopped with its kernels afterwards."""
    setting = home / LANGUAGE_SETTING
    setting.parent.mkdir(parents=True, exist_ok=True)
    setting.write_text(json.dumps({"locale": locale}))
    (port,) = free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MNSS_"))} | {"HOME": str(home)}
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "jupyter"),
                "lab",
                "--no-browser",
                "--allow-root",
                f"--port={port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={home}",
                *([f"--LabApp.app_settings_dir={settings_dir}"] if settings_dir else []),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_answers(proc, log, f"{url}api/status?token={TOKEN}", "JupyterLab", 90)
        yield url
    finally:
        stop_process_group(proc)


def open_and_run(page, url: str, name: str, workspace: str) -> None:
    """Open a notebook in a fresh workspace and run its cells one by one."""
    page.goto(f"{url}lab/workspaces/{workspace}/tree/{name}?token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.wait_for_timeout(1500)  # a fresh kernel can drop the very first execution
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
