"""A restart brings the drawing back: draw in Chromium, save the notebook, restart JupyterLab,
reopen. The saved widget state shows the drawing before any cell runs (no "model not found"), and
running the cell again in the new kernel gives back the same drawing. Screenshots in test-artifacts/."""

import json
import shutil
import time

import pytest

from tests.support.browser import ROOT, browser_page, chromium_path, screenshot
from tests.support.labproc import notebook, open_and_run, running_lab

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

COUNT = """(() => { let best = 0; for (const el of document.querySelectorAll('.mnss-canvas div')) {
  if (el._cyreg && el._cyreg.cy) best = Math.max(best, el._cyreg.cy.nodes().length); } return best; })()"""


def saved_nodes(path) -> list[str]:
    try:
        models = json.loads(path.read_text())["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]
    except (ValueError, KeyError):
        return []
    drawings = [m["state"].get("mnss_drawing") for m in models["state"].values() if m["state"].get("mnss_drawing")]
    return [n["name"] for d in drawings for n in d["nodes"]]


def test_a_server_restart_brings_the_drawing_back(tmp_path):
    settings = tmp_path / "settings"
    settings.mkdir()
    shutil.copy(ROOT / "extensions/jupyter-config/lab-overrides.json", settings / "overrides.json")
    home = tmp_path / "home"
    home.mkdir()
    path = home / "keep.ipynb"
    path.write_text(json.dumps(notebook("from mnss_kernel.canvas import TopologyCanvas\nTopologyCanvas()")))

    with running_lab(home, settings_dir=settings) as url, browser_page() as page:
        open_and_run(page, url, "keep.ipynb", "first")
        page.keyboard.press("Shift+Enter")
        add = page.locator(".mnss-add")
        add.wait_for(timeout=90_000)
        for name in ("h1", "h2"):
            add.click()
            page.locator(".mnss-message", has_text=name).wait_for(timeout=15_000)
        page.locator(".jp-NotebookPanel-toolbar [data-command='docmanager:save']").click()
        deadline = time.monotonic() + 30
        while sorted(saved_nodes(path)) != ["h1", "h2"]:
            assert time.monotonic() < deadline, f"the notebook was not saved with the drawing: {saved_nodes(path)}"
            time.sleep(0.5)
        screenshot(page, "canvas-keep-drawn")

    with running_lab(home, settings_dir=settings) as url, browser_page() as page:
        open_and_run(page, url, "keep.ipynb", "second")
        page.locator(".mnss-canvas").wait_for(timeout=60_000)
        page.wait_for_function(f"{COUNT} >= 2", timeout=30_000)
        assert page.locator("text=model not found").count() == 0
        screenshot(page, "canvas-keep-reopened")
        page.keyboard.press("Shift+Enter")
        page.locator(".mnss-message", has_text="已从笔记本恢复").wait_for(timeout=90_000)
        page.wait_for_function(f"{COUNT} >= 2", timeout=30_000)
        screenshot(page, "canvas-keep-restored")
