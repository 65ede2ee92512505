"""Hub pages in Chinese show no English beyond proper names: the login page, the top bar and the
home page of an instructor, read as Chromium renders them (only visible text counts)."""

import re

import pytest

from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import course_site, create_accounts, password, running_hub

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

COURSE = "python-basics"
# Proper names and the language switch, which names the other language in that language.
ALLOWED = {"MNSS", "Lab", "JupyterLab", "English", "teach", COURSE}


def english_words(text: str) -> list[str]:
    for name in sorted(ALLOWED, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


def test_chinese_hub_pages_have_no_english_text(tmp_path):
    config = course_site(tmp_path / "state", [{"course": COURSE, "instructors": ["teach"]}])
    create_accounts(tmp_path / "state", ("teach",))
    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as page:
        page.goto(url + "hub/login")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        page.fill("#username_input", "teach")
        page.fill("#password_input", password("teach"))
        page.click("#login_submit")
        page.wait_for_load_state()
        page.goto(url + "hub/home")
        page.locator("#mnss-grading").wait_for()
        screenshot(page, "hub-home-zh")
        assert english_words(page.inner_text("body")) == [], page.inner_text("body")
        assert page.get_attribute("#jupyterhub-logo img", "alt") == "MNSS Lab"
        assert page.request.get(url + "hub/logo").headers["content-type"].startswith("image/svg")
        page.click("#mnss-lang-switch")  # and the same page in English: its labels, no Chinese left
        body = page.inner_text("body")
        assert "Home" in body and "Log out" in body and not re.search(r"[\u4e00-\u9fff]", body.replace("中文", "")), body
