"""Local mode, on a real hub: an admin who stops a server from /hub/mnss-admin/servers while its
user runs a lab is told so (how many labs and nodes) and asked to confirm; the server keeps running
until the admin confirms, then it stops and the lab is gone. A server without a lab stops at once;
a learner may not use the page. In Chromium the confirmation is shown in Chinese (screenshot), and
a notebook left open with unsaved edits in the user's JupyterLab is saved before the stop."""

import json
import os
import time

import pytest
import requests

from mnss_hub.hubclient import HubClient
from mnss_kernel.runtime import registry
from tests.support.browser import browser_page, chromium_path, screenshot, sign_in
from tests.support.english import english_words
from tests.support.hubproc import create_accounts, lab_records, password, running_hub, site_config
from tests.support.learner import run_in_kept_kernel
from tests.support.weblogin import post_login, xsrf_of

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="local-mode labs need root"),
]

BUSY, IDLE = "ward8", "ward9"
THREE_NODES = """
from mnss_kernel.runtime.lab import Lab
from mnss_kernel import templates
running = Lab(templates.TEMPLATES["star"].build(2)).start()
print("UP", len(running.topology.nodes))
"""


def utf8(web: requests.Session) -> requests.Session:
    web.hooks["response"].append(lambda r, *a, **k: setattr(r, "encoding", "utf-8"))
    return web


def stop(web, url, user, **extra):
    page = web.get(url + "hub/mnss-admin/servers", timeout=30)
    return web.post(
        url + "hub/mnss-admin/servers",
        data={"_xsrf": xsrf_of(page), "user": user, **extra},
        allow_redirects=False,
        timeout=120,
    )


def running(admin: HubClient, user: str) -> bool:
    return bool(admin.user(user).get("servers", {}).get(""))


def test_stopping_a_server_with_a_running_lab_asks_first(tmp_path):
    owner = registry.owner_for(BUSY)
    create_accounts(tmp_path / "state", ("nurse",))
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log):
        admin = HubClient(url, timeout=120)
        admin.login("admin", "admin-test-password")
        for user in (BUSY, IDLE):
            admin.create_user(user)
            admin.start_server(user)
        try:
            result = run_in_kept_kernel(admin, BUSY, THREE_NODES)
            assert "UP 3" in result.stdout, result

            web = utf8(requests.Session())
            assert post_login(web, url, "admin", "admin-test-password").status_code == 302
            listing = web.get(url + "hub/mnss-admin/servers", timeout=30)
            assert listing.status_code == 200
            busy_row = listing.text.split(f'data-user="{BUSY}"')[1].split("</tr>")[0]
            assert "1 个（3 个节点）" in busy_row and "1 (3 nodes)" in busy_row
            assert "—" in listing.text.split(f'data-user="{IDLE}"')[1].split("</tr>")[0]

            asked = stop(web, url, BUSY)
            assert asked.status_code == 200 and 'id="mnss-confirm-stop"' in asked.text
            warning = asked.text.split('id="mnss-confirm-stop"')[1].split("</form>")[0]
            assert f"{BUSY} 正在运行 1 个实验（共 3 个节点）" in warning and "is running 1 lab(s) (3 nodes" in warning
            assert running(admin, BUSY) and len(lab_records(tmp_path / "state", BUSY)) == 1  # nothing stopped yet

            assert stop(web, url, IDLE).status_code == 302  # no lab: no question
            admin.wait_for(IDLE, ready=False, timeout=30)

            confirmed = stop(web, url, BUSY, confirm="yes")
            assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"servers?done={BUSY}")
            admin.wait_for(BUSY, ready=False, timeout=30)
            deadline = time.monotonic() + 10
            while lab_records(tmp_path / "state", BUSY) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert lab_records(tmp_path / "state", BUSY) == []

            nurse = utf8(requests.Session())
            assert post_login(nurse, url, "nurse", password("nurse")).status_code == 302
            assert nurse.get(url + "hub/mnss-admin/servers", timeout=30).status_code == 403
        finally:
            registry.end_all(owner)


EDIT = "print('typed, never saved by hand')"


def open_with_unsaved_edit(lab, url: str, user: str) -> None:
    """The user signs in, opens draft.ipynb in JupyterLab, types into its cell and does not save."""
    sign_in(lab, url, user, password(user))
    lab.goto(url + f"user/{user}/lab/tree/draft.ipynb")
    editor = lab.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
    editor.wait_for(timeout=120_000)
    editor.click()
    lab.keyboard.type(EDIT)
    lab.locator(".jp-NotebookPanel .jp-mod-dirty, .jp-DirtyIcon, .lm-TabBar-tab.jp-mod-dirty").first.wait_for()


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (make test installs it)")
def jupyterhub_admin_page_in_chinese(page, url: str) -> None:
    """JupyterHub's own admin page (a React bundle in English) reads in Chinese and English comes
    back with the switch (its refused Add Users: test_institution_admin_browser.py); a page that
    does not exist says so in Chinese too."""
    names = {"JupyterHub", "admin", BUSY, "English", "MNSS", "Lab"}
    page.bring_to_front()
    page.goto(url + "hub/admin")
    page.locator(f'[data-testid="user-row-{BUSY}"]').wait_for()
    shown = page.inner_text("#react-admin-hook")
    assert "最近活动" in shown and ("秒前" in shown or "分钟前" in shown), shown
    assert english_words(shown, names) == [], shown
    assert page.get_attribute("input[name=user_search]", "placeholder") == "搜索用户"
    screenshot(page, "jupyterhub-admin-zh")
    page.click("#mnss-lang-switch")
    page.locator("text=Start All").wait_for()  # the bundle's own English, back again
    page.click("#mnss-lang-switch")
    page.locator("text=全部启动").wait_for()
    page.goto(url + "hub/no-such-page")
    shown = page.inner_text(".error")
    assert "找不到页面" in shown and english_words(shown) == [], shown


def test_the_confirmation_is_in_chinese_and_open_work_is_saved(tmp_path):
    owner = registry.owner_for(BUSY)
    create_accounts(tmp_path / "state", (BUSY,))
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log), browser_page() as page:
        admin = HubClient(url, timeout=120)
        admin.login("admin", "admin-test-password")
        admin.create_user(BUSY)
        admin.start_server(BUSY)
        try:
            assert "UP 3" in run_in_kept_kernel(admin, BUSY, THREE_NODES).stdout
            cell = {"cell_type": "code", "source": "", "metadata": {}, "outputs": [], "execution_count": None}
            kernel_spec = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
            notebook = {"cells": [cell], "metadata": kernel_spec, "nbformat": 4, "nbformat_minor": 5}
            admin._call(
                "PUT",
                f"user/{BUSY}/api/contents/draft.ipynb",
                expect=(201,),
                json={"type": "notebook", "format": "json", "content": notebook},
            )
            sign_in(page, url, "admin", "admin-test-password")
            lab = page.context.browser.new_context(locale="zh-CN").new_page()  # the user, in a browser of their own
            open_with_unsaved_edit(lab, url, BUSY)
            page.bring_to_front()
            page.goto(url + "hub/mnss-admin/servers")
            page.click(f'.mnss-server[data-user="{BUSY}"] .mnss-stop')
            page.locator("#mnss-confirm-stop").wait_for()
            shown = page.inner_text("#mnss-servers")
            assert "正在运行 1 个实验" in shown and english_words(shown, {"JupyterHub", BUSY}) == [], shown
            screenshot(page, "admin-servers-confirm-stop-zh")
            page.click("#mnss-confirm")
            page.locator("#mnss-notice").wait_for()
            assert f"已停止 {BUSY} 的服务器" in page.inner_text("#mnss-notice")
            admin.wait_for(BUSY, ready=False, timeout=60)
            said = [line for line in log.read_text().splitlines() if "save before stop" in line]
            assert said and "1 answered, 1 document(s) saved" in said[-1], said
            saved = json.loads((tmp_path / "state" / "homes" / BUSY / "draft.ipynb").read_text("utf-8"))
            assert "".join(saved["cells"][0]["source"]) == EDIT  # saved by the stop, not by hand
            # the page was told what the server saved: its tab is clean, the learner has a notice
            lab.bring_to_front()
            assert lab.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0
            assert lab.locator(".jp-Notification-Status-Text").inner_text() == "1"
            screenshot(lab, "lab-saved-before-stop-zh")
            jupyterhub_admin_page_in_chinese(page, url)
        finally:
            registry.end_all(owner)
