"""nbgrader's tools in a lab on the real hub: grading tools are off in every lab (grading is in the
course's formgrader service), authoring tools (Create Assignment, Validate) only for instructors;
learners see no nbgrader page at all (its texts are English only: they fetch from the portal or
the panel and submit with the notebook's 提交作业 button), though nbgrader's listing still works
through the exchange. Read from JupyterLab's own page config and the server's routes; in Chromium
the learner's menu bar has no Nbgrader, and an instructor's nbgrader tools speak Chinese."""

import json
import re

import pytest
import requests

from mnss_hub.hubclient import HubClient
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import course_site, create_accounts, logged_in, password, running_hub

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COURSE = "python-basics"
GRADING = {"@jupyter/nbgrader:course-list", "@jupyter/nbgrader:formgrader"}
AUTHORING = {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:validate-assignment"}
LEARNER_PAGES = {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu"}


def page_config(url: str, client: HubClient, user: str) -> dict:
    page = requests.get(f"{url}user/{user}/lab", headers=client.headers, timeout=60)
    assert page.status_code == 200, page.status_code
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page.text, re.S)
    return json.loads(found.group(1))


def test_grading_tools_off_everywhere_authoring_tools_for_instructors_only(tmp_path):
    config = course_site(tmp_path / "state", [{"course": COURSE, "instructors": ["teach"], "learners": ["nurse"]}])
    create_accounts(tmp_path / "state", ("teach", "nurse"))
    with running_hub(tmp_path, config) as (url, proc, log):
        clients = logged_in(url, ("teach", "nurse"))
        for user, client in clients.items():
            client.start_server(user)
        nurse, teach = page_config(url, clients["nurse"], "nurse"), page_config(url, clients["teach"], "teach")
        assert GRADING | AUTHORING | LEARNER_PAGES <= set(nurse["disabledExtensions"])
        assert GRADING <= set(teach["disabledExtensions"])
        assert not (AUTHORING | LEARNER_PAGES) & set(teach["disabledExtensions"])
        for user in ("nurse", "teach"):
            local = requests.get(f"{url}user/{user}/formgrader", headers=clients[user].headers, timeout=60)
            assert local.status_code == 404, (user, local.status_code)
        listed = {
            user: requests.get(
                f"{url}user/{user}/assignments", params={"course_id": COURSE}, headers=clients[user].headers, timeout=60
            )
            for user in ("nurse", "teach")
        }
        assert listed["teach"].status_code == 200 and listed["teach"].json()["success"], listed["teach"].text[:300]
        assert listed["nurse"].status_code == 404, "a learner's server loads the Assignment List's server extension"

        if chromium_path():
            with browser_page() as page:
                page.goto(url + "hub/login")
                page.fill("#username_input", "nurse")
                page.fill("#password_input", password("nurse"))
                page.click("#login_submit")
                page.wait_for_url("**/hub/portal", timeout=60_000)  # learners land on the portal
                page.goto(url + "hub/user-redirect/lab")
                page.wait_for_url("**/user/nurse/lab**", timeout=90_000)
                page.get_by_role("menuitem", name="文件").wait_for(timeout=60_000)
                menus = page.locator(".lm-MenuBar-content").inner_text()
                assert "Nbgrader" not in menus and "Create Assignment" not in page.inner_text("body"), menus
                page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=60_000)
                assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
                screenshot(page, "lab-learner-no-nbgrader")
            with browser_page() as page:
                instructor_tools_in_chinese(page, url)


def instructor_tools_in_chinese(page, url: str) -> None:
    """nbgrader writes English only: its menu, side bar, cell types and assignment list are shown
    in Chinese, while a notebook's own text is left alone."""
    page.goto(url + "hub/login")
    page.fill("#username_input", "teach")
    page.fill("#password_input", password("teach"))
    page.click("#login_submit")
    page.goto(url + "hub/user-redirect/lab")
    page.wait_for_url("**/user/teach/lab**", timeout=90_000)
    page.get_by_role("menuitem", name="作业 (nbgrader)").wait_for(timeout=60_000)
    assert "Nbgrader" not in page.locator(".lm-MenuBar-content").inner_text()
    page.locator(".jp-LauncherCard", has_text="Python 3").first.click()
    cell = page.locator(".jp-Notebook .jp-Cell").first
    cell.wait_for(timeout=60_000)
    editor = cell.locator(".cm-content")
    editor.click()  # a new notebook may still be taking focus: type into the cell's own editor
    editor.type("print('Create Assignment')")  # a notebook's own English stays as written
    cell.get_by_text("Create Assignment").wait_for(timeout=30_000)
    page.locator(".jp-SideBar .lm-TabBar-tab", has_text="创建作业").click()
    page.locator(".nbgrader-CellType select").first.wait_for(timeout=30_000)
    options = page.locator(".nbgrader-CellType select option").all_inner_texts()
    assert {"人工评分的答案", "自动评分的答案", "自动评分的测试", "只读"} <= set(options), options
    assert "类型：" in page.locator(".nbgrader-CellWidget").first.inner_text()
    assert "Create Assignment" in cell.inner_text()
    page.get_by_role("menuitem", name="作业 (nbgrader)").click()
    page.locator(".lm-Menu-itemLabel", has_text="作业列表").click()
    page.get_by_text("已发布的作业").wait_for(timeout=30_000)
    screenshot(page, "lab-instructor-nbgrader-zh")
    shown = page.locator("#nbgrader-assignment-list").inner_text() + page.locator(".jp-SideBar").last.inner_text()
    for english in ("Released assignments", "Create Assignment", "Assignment List", "Manually graded"):
        assert english not in shown, (english, shown)
