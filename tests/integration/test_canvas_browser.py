"""A learner in Chromium: draw two hosts and a switch on the canvas, connect them by clicking,
run the network, see 0 % loss in the page, stop it. Screenshots go to test-artifacts/."""

import os

import pytest

from mnss_hub.hubclient import HubClient
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("running the drawn network needs root (local mode runs servers as root)", allow_module_level=True)

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "from mnss_kernel.canvas import TopologyCanvas\ncanvas = TopologyCanvas()\ncanvas",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}

# Where cytoscape drew a node, in page coordinates (cytoscape keeps its instance on its container).
NODE_POSITION = """name => {
  for (const el of document.querySelectorAll('.mnss-canvas div')) {
    if (el._cyreg && el._cyreg.cy) {
      const box = el.getBoundingClientRect(), p = el._cyreg.cy.getElementById(name).renderedPosition();
      return {x: box.x + p.x, y: box.y + p.y, found: el._cyreg.cy.getElementById(name).length};
    }
  }
  return null;
}"""


def click_node(page, name):
    page.wait_for_function(
        f"(() => {{ const f = {NODE_POSITION}; const p = f('{name}'); return p && p.found; }})()", timeout=30_000
    )
    spot = page.evaluate(NODE_POSITION, name)
    page.mouse.click(spot["x"], spot["y"])


def test_draw_connect_run_ping_stop_in_the_browser(tmp_path):
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log), browser_page() as page:
        admin = HubClient(url)
        admin.login("admin", "admin-test-password")
        admin.start_server("admin")
        admin._call(
            "PUT",
            "user/admin/api/contents/canvas.ipynb",
            expect=(200, 201),
            json={"type": "notebook", "content": NOTEBOOK},
        )

        page.goto(url + "hub/login")
        page.fill("#username_input", "admin")
        page.fill("#password_input", "admin-test-password")
        page.click("#login_submit")
        page.wait_for_url("**/user/admin/lab**", timeout=90_000)
        page.goto(url + "user/admin/lab/tree/canvas.ipynb")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
        page.wait_for_timeout(2000)  # a fresh kernel can drop the very first execution
        page.locator(".jp-Cell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")
        page.locator(".mnss-canvas").wait_for(timeout=60_000)

        add = page.locator(".mnss-add")
        add.click()
        page.locator(".mnss-message", has_text="h1").wait_for()
        add.click()
        page.locator(".mnss-message", has_text="h2").wait_for()
        page.locator(".mnss-kind select").select_option(label="交换机")
        add.click()
        page.locator(".mnss-message", has_text="s1").wait_for()
        screenshot(page, "canvas-drawn")

        page.locator(".mnss-connect").click()
        for a, b in (("h1", "s1"), ("h2", "s1")):
            click_node(page, a)
            page.locator(".mnss-message", has_text=a).wait_for()
            click_node(page, b)
            page.locator(".mnss-message", has_text=f"{a} — {b}").wait_for(timeout=15_000)
        page.locator(".mnss-connect").click()
        screenshot(page, "canvas-connected")

        page.locator(".mnss-run").click()
        page.locator(".mnss-message", has_text="网络运行中").wait_for(timeout=60_000)
        page.locator(".mnss-ping-all").click()
        page.locator(".mnss-heatmap").wait_for(timeout=60_000)
        cells = [c.get_attribute("data-loss") for c in page.locator("rect.mnss-loss").all()]
        screenshot(page, "canvas-ping-matrix")
        assert sorted(c for c in cells if c) == ["0", "0"], cells
        assert page.locator(".mnss-message", has_text="2/2").count() == 1

        page.locator(".mnss-stop").click()
        page.locator(".mnss-message", has_text="网络已停止").wait_for(timeout=60_000)
        screenshot(page, "canvas-stopped")
        state = admin.execute(
            "admin",
            "import subprocess; print(subprocess.run(['ip','netns','list'],"
            "capture_output=True,text=True).stdout.count('mnss-admin-'))",
        )
        assert state.stdout.strip() == "0", "the canvas's network must be gone after Stop"
