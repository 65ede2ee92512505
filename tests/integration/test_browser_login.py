"""A person in Chromium: sign in on the login page, start the lab from the hub home, get JupyterLab in Chinese."""

import os

import pytest

from mnss_hub.hubclient import HubClient
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import create_accounts, password, running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)


def test_admin_signs_in_in_the_browser_and_gets_chinese_jupyterlab(tmp_path):
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log), browser_page() as page:
        page.goto(url + "hub/login")
        assert page.locator("h1").inner_text() == "登录 MNSS 实验平台"
        # the "not isolated" banner only where servers share the hub's user (a hub not root)
        assert page.locator("#mnss-local-mode").is_visible() is (os.geteuid() != 0)
        screenshot(page, "hub-login-zh")
        page.click("#mnss-lang-switch")
        assert page.locator("h1").inner_text() == "Sign in to MNSS Lab"
        page.click("#mnss-lang-switch")

        page.fill("#username_input", "admin")
        page.fill("#password_input", "admin-test-password")
        page.click("#login_submit")
        page.wait_for_url("**/hub/home", timeout=30_000)  # an admin's lab starts only when asked for
        page.click("#start")
        page.wait_for_url("**/user/admin/lab**", timeout=90_000)
        menu = page.locator("#jp-MainMenu")
        menu.wait_for(timeout=90_000)
        page.get_by_role("menuitem", name="文件").wait_for(timeout=30_000)
        screenshot(page, "jupyterlab-zh")
        HubClient(url).login("admin", "admin-test-password")


def test_english_chosen_on_the_login_page_is_a_new_learners_jupyterlab_language(tmp_path):
    """The site's default is Chinese; a new learner who switches the login page to English gets
    JupyterLab in English from the first start."""
    create_accounts(tmp_path / "state", ("nurse",))
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log), browser_page() as page:
        page.goto(url + "hub/login")
        page.click("#mnss-lang-switch")
        assert page.locator("h1").inner_text() == "Sign in to MNSS Lab"
        page.fill("#username_input", "nurse")
        page.fill("#password_input", password("nurse"))
        page.click("#login_submit")
        page.wait_for_url("**/user/nurse/lab**", timeout=90_000)
        page.get_by_role("menuitem", name="File").wait_for(timeout=90_000)
        assert page.get_by_role("menuitem", name="文件").count() == 0
        screenshot(page, "jupyterlab-en-new-learner")
