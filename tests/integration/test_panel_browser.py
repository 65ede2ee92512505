"""The "My courses / Next up" panel on the real hub, in Chromium.

A learner of hospital-lan has finished lan-build (a graded event from their own token); the
instructor released vlan-isolation through the exchange. In JupyterLab (zh-CN) the learner opens
the panel and sees the course with its progress and vlan-isolation recommended with its reason;
one click fetches it through the exchange and opens the notebook. The recommender refuses
anyone who asks for another person's recommendations. Screenshots go to test-artifacts/.
"""

import os
import time

import pytest
import requests

from mnss_hub.accounts import AccountStore
from mnss_hub.hubclient import HubClient
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import ROOT, accounts_url, free_ports, running_hub, site_config
from tests.support.learner import release

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("local mode runs servers as root", allow_module_level=True)

COURSE, DONE, NEXT = "hospital-lan", "lan-build", "vlan-isolation"


def show_panel(page):
    """Open the right sidebar's panel; JupyterLab may restore its layout (and open it) meanwhile."""
    tab = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='mnss-courses-panel']")
    tab.wait_for(timeout=90_000)
    panel = page.locator("#mnss-courses-panel")
    for _ in range(4):
        if panel.is_visible():
            return panel
        tab.click()
        page.wait_for_timeout(1000)
    raise AssertionError("the panel did not open from its sidebar tab")


def test_learner_sees_courses_and_next_up_and_opens_one_in_the_browser(tmp_path):
    exchange_port, rec_port = free_ports(2)
    state = tmp_path / "state"
    config = site_config(
        state,
        courses={
            "enabled": True,
            "exchange_port": exchange_port,
            "catalog": str(ROOT / "courses"),
            "members": [{"course": COURSE, "instructors": ["teacher"], "learners": ["learner"]}],
        },
        recommender={"enabled": True, "port": rec_port, "retrain_seconds": 10, "flush_seconds": 1},
    )
    store = AccountStore(accounts_url(state))
    for user in ("teacher", "learner"):
        store.create(user, f"{user}-password-x1", must_change=False)

    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as page:
        teacher, learner = HubClient(url, timeout=120), HubClient(url, timeout=120)
        teacher.login("teacher", "teacher-password-x1")
        learner.login("learner", "learner-password-x1")
        api = url + "services/mnss-recommender/api/"

        now = time.time()
        events = [
            {"event_id": "p1", "item": f"{COURSE}/{DONE}", "kind": "opened", "timestamp": now - 120},
            {"event_id": "p2", "item": f"{COURSE}/{DONE}", "kind": "graded", "timestamp": now - 60, "score": 1.0},
        ]
        stored = requests.post(api + "events", json={"events": events}, headers=learner.headers, timeout=10)
        assert stored.status_code == 200, stored.text

        for who, other in ((learner, "teacher"), (teacher, "learner")):  # nobody sees another's
            for path in ("me", "recommendations"):
                refused = requests.get(f"{api}{path}?user={other}", headers=who.headers, timeout=10)
                assert refused.status_code == 403 and "only see your own" in refused.json()["error"]
        deadline = time.monotonic() + 40  # retrained every 10 s
        while time.monotonic() < deadline:
            me = requests.get(api + "me", headers=learner.headers, timeout=10).json()
            if me["trained_at"] and me["trained_at"] > now:
                break
            time.sleep(1)
        assert me["courses"] == [
            {"id": COURSE, "title_zh": "医院局域网基础", "title_en": "Hospital LAN basics", "total": 2, "done": 1}
        ], me
        assert f"{COURSE}/{NEXT}" in [r["item"] for r in me["recommendations"]], me
        assert requests.get(api + "me?user=learner", headers=learner.headers, timeout=10).status_code == 200

        release(tmp_path, url + "services/mnss-exchange/", teacher.token, COURSE, NEXT)

        page.goto(url + "hub/login")
        page.fill("#username_input", "learner")
        page.fill("#password_input", "learner-password-x1")
        page.click("#login_submit")
        page.wait_for_url("**/hub/portal", timeout=60_000)  # learners land on the portal
        page.goto(url + "hub/user-redirect/lab")
        page.wait_for_url("**/user/learner/lab**", timeout=120_000)
        panel = show_panel(page)
        course = panel.locator(f".mnss-course[data-course='{COURSE}']")
        course.wait_for(timeout=30_000)
        assert "医院局域网基础" in course.inner_text() and "已完成 1 / 2" in course.inner_text()
        card = panel.locator(f".mnss-rec[data-item='{COURSE}/{NEXT}']")
        assert card.locator(".mnss-rec-title").inner_text() == "用 VLAN 隔离访客网络与 PACS"
        assert card.locator(".mnss-rec-reason").inner_text().strip(), "each recommendation says why"
        assert panel.locator(".mnss-panel-title").inner_text() == "我的课程 / 下一步"
        screenshot(page, "panel-next-up-zh")

        button = card.locator(".mnss-rec-open")
        assert button.inner_text() == "获取并打开"
        button.click()
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        page.locator(f".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('{NEXT}.ipynb')").wait_for(timeout=30_000)
        assert card.locator(".mnss-panel-error").count() == 0
        assert button.inner_text() == "打开"
        screenshot(page, "panel-opened-notebook")

        fetched = learner._call("GET", f"user/learner/api/contents/{COURSE}/{NEXT}/{NEXT}.ipynb?content=0")
        assert fetched.json()["type"] == "notebook", "fetched through the exchange where nbgrader submit looks"
        other = requests.post(
            url + "user/learner/mnss/panel/open",
            json={"item": "python-basics/ward-strings-lists"},
            headers=learner.headers,
            timeout=120,
        )
        assert other.status_code == 502, "the exchange refuses a course the learner is not in"
        assert other.json()["error"]["zh"].startswith("获取作业失败") and "Traceback" not in other.text

        # The learner switches JupyterLab to English: the panel follows.
        learner._call(
            "PUT",
            "user/learner/lab/api/settings/@jupyterlab/translation-extension:plugin",
            expect=(200, 204),
            json={"raw": '{"locale": "en"}'},
        )
        page.reload()
        show_panel(page)
        course.wait_for(timeout=30_000)
        assert panel.locator(".mnss-panel-title").inner_text() == "My courses / Next up"
        assert "Hospital LAN basics" in course.inner_text() and "1 / 2 done" in course.inner_text()
        assert card.locator(".mnss-rec-title").inner_text() == "Isolate guest Wi-Fi from the PACS with VLANs"
        assert card.locator(".mnss-rec-open").inner_text() == "Open", "already fetched: open it"
        screenshot(page, "panel-next-up-en")
