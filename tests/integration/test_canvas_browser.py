"""A learner in Chromium: draw two hosts and a switch on the canvas, connect them by clicking,
run the network, see 0 % loss in the page, stop it; and on a running network with a seeded fault,
press 诊断 and read the right top suspect in Chinese. One hub and one page serve both tests.
Screenshots go to test-artifacts/."""

import os
import time

import pytest

from mnss_hub.hubclient import HubClient
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("running the drawn network needs root (local mode runs servers as root)", allow_module_level=True)


def notebook(source: str) -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


NOTEBOOK = notebook("from mnss_kernel.canvas import TopologyCanvas\ncanvas = TopologyCanvas()\ncanvas")

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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A hub with the admin's server started and a Chromium page signed in as the admin."""
    tmp = tmp_path_factory.mktemp("canvas-browser")
    with running_hub(tmp, site_config(tmp / "state")) as (url, proc, log), browser_page() as page:
        admin = HubClient(url)
        admin.login("admin", "admin-test-password")
        admin.start_server("admin")
        page.goto(url + "hub/login")
        page.fill("#username_input", "admin")
        page.fill("#password_input", "admin-test-password")
        page.click("#login_submit")
        page.wait_for_url("**/user/admin/lab**", timeout=90_000)
        yield url, admin, page


def open_and_run(lab, name: str, content: dict):
    """Put the notebook on the server, open it in JupyterLab and run its one cell; the page."""
    url, admin, page = lab
    admin._call(
        "PUT", f"user/admin/api/contents/{name}", expect=(200, 201), json={"type": "notebook", "content": content}
    )
    page.goto(url + f"user/admin/lab/tree/{name}?reset")  # only this notebook: none kept open from before
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.wait_for_timeout(2000)  # a fresh kernel can drop the very first execution
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")
    page.locator(".mnss-canvas").wait_for(timeout=60_000)
    return page


def lab_namespaces(admin) -> str:
    state = admin.execute(
        "admin",
        "import subprocess; print(subprocess.run(['ip','netns','list'],"
        "capture_output=True,text=True).stdout.count('mnss-admin-'))",
    )
    return state.stdout.strip()


def test_draw_connect_run_ping_stop_in_the_browser(lab):
    """Drawn by clicks, run, pinged at 0 % loss, stopped with nothing left."""
    admin = lab[1]
    page = open_and_run(lab, "canvas.ipynb", NOTEBOOK)

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
    assert lab_namespaces(admin) == "0", "the canvas's network must be gone after Stop"


# A ward behind a router with the EMR server; h1's default gateway is set to an address that is no
# router (a mistyped DHCP option), which the canvas shows as nothing: every node and link is up.
SEEDED = """from mnss_kernel import faults
from mnss_kernel.canvas import TopologyCanvas
ward = {"name": "ward-emr", "nodes": [{"name": "h1", "kind": "nurse_station"}, {"name": "h2", "kind": "workstation"},
        {"name": "s1", "kind": "switch"}, {"name": "r1", "kind": "router"}, {"name": "emr1", "kind": "emr"}],
        "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}, {"a": "s1", "b": "r1"}, {"a": "r1", "b": "emr1"}]}
canvas = TopologyCanvas(ward, key="diagnose")
canvas.run()
faults.WrongGateway("h1", faults.wrong_gateway_for(canvas.lab.plan, "h1")).inject(canvas.lab)
canvas"""


def test_the_diagnose_button_names_a_seeded_wrong_gateway_first_in_chinese(lab):
    """The fault is put in from the notebook, out of sight of the canvas; 诊断 reads it back."""
    admin = lab[1]
    page = open_and_run(lab, "diagnose.ipynb", notebook(SEEDED))
    page.locator(".mnss-message", has_text="网络运行中").wait_for(timeout=60_000)
    started = time.monotonic()
    page.locator(".mnss-diagnose").click()
    first = page.locator(".mnss-diagnosis tr.mnss-suspect").first
    first.wait_for(timeout=60_000)
    took = time.monotonic() - started
    screenshot(page, "canvas-diagnosis")
    assert first.get_attribute("data-kind") == "wrong_gateway", first.inner_text()
    row = first.inner_text()
    assert "网关配置错误" in row and "h1 的默认网关为" in row and "计划为 10.0.0.1" in row, row
    assert "h1 上 ip route" in row, f"the evidence is shown: {row}"
    assert page.locator(".mnss-message", has_text="诊断完成").count() == 1
    assert page.locator(".mnss-diagnosis th", has_text="证据").count() == 1
    print(f"diagnosis in the browser: {took:.1f} s")
    page.locator(".mnss-stop").click()
    page.locator(".mnss-message", has_text="网络已停止").wait_for(timeout=60_000)
    assert lab_namespaces(admin) == "0", "the canvas's network must be gone after Stop"
