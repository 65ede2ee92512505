"""An instructor in Chromium: the hub home links to their course's formgrader, which opens and
lists the course's assignments; a learner's home has no such link. Screenshots go to
test-artifacts/."""

import pytest

from tests.support import browser
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.english import english_words
from tests.support.hubproc import course_site, create_accounts, password, running_hub

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

COURSE = "python-basics"


def sign_in(page, url: str, user: str) -> None:
    browser.sign_in(page, url, user, password(user))


def nbgrader_pages_in_chinese(page, assignments: set[str]) -> None:
    """nbgrader's own pages (English templates and scripts) read in Chinese; the switch on the page
    brings nbgrader's English back."""
    names = {"nbgrader", COURSE, *assignments}
    for title in ("管理作业", "手动评分"):
        page.click(f".nav-pills >> text={title}")
        page.locator("#main-table tr:not(:has-text('Loading'))").first.wait_for(timeout=60_000)
        assert page.inner_text(".page-header h1 >> nth=1") == title
        shown = text = page.evaluate("document.querySelector('.container-fluid').innerText")
        for name in sorted(names, key=len, reverse=True):  # ids stay as they are: the course, its assignments
            text = text.replace(name, " ")
        assert english_words(text) == [], shown
        screenshot(page, f"formgrader-nbgrader-{title}-zh")
    page.click("#mnss-lang-switch")
    page.locator(".nav-pills >> text=Manual Grading").wait_for()
    page.click("#mnss-lang-switch")
    page.locator(".nav-pills >> text=手动评分").wait_for()


def test_the_instructor_reaches_the_formgrader_from_the_hub_home(tmp_path):
    config = course_site(tmp_path / "state", [{"course": COURSE, "instructors": ["teach"], "learners": ["nurse"]}])
    create_accounts(tmp_path / "state", ("teach", "nurse"))
    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as page:
        sign_in(page, url, "teach")
        page.goto(url + "hub/home")
        link = page.locator("#mnss-grading a.mnss-round")
        assert link.count() == 1 and "评分：面向医院信息科的 Python 入门" in link.inner_text()  # course.yaml's title
        assert page.locator("#mnss-grading h2").inner_text() == "批改作业"
        screenshot(page, "hub-home-instructor-zh")
        link.click()  # the course's round in Chinese, in the course's formgrader service
        page.wait_for_url(f"**/services/formgrader-{COURSE}/mnss/round", timeout=60_000)
        row = page.locator('.mnss-assignment[data-assignment="ward-strings-lists"]')
        assert row.get_attribute("data-state") == "draft" and "草稿" in row.inner_text()
        assert "Release" not in row.inner_text() and "发布" in row.inner_text()
        assert row.locator(".mnss-title").inner_text() == "字符串与列表：病区床位数据 ward-strings-lists"  # course.yaml
        screenshot(page, "formgrader-round-zh")
        assignments = set(page.locator(".mnss-assignment").evaluate_all("rows => rows.map(r => r.dataset.assignment)"))
        text = page.inner_text("body")  # ids and names stay as they are: the course, its assignments, tools
        for name in sorted({"nbgrader", "CSV", "English", COURSE, *assignments}, key=len, reverse=True):
            text = text.replace(name, " ")
        assert english_words(text) == [], page.inner_text("body")
        page.click("#mnss-lang-switch")
        assert "Release" in row.inner_text() and "draft" in row.inner_text()
        assert row.locator(".mnss-title").inner_text() == "Strings and lists: ward and bed data ward-strings-lists"
        page.click("#mnss-lang-switch")
        page.click("#mnss-nbgrader")  # nbgrader's own formgrader stays, for grading by hand
        page.wait_for_url(f"**/services/formgrader-{COURSE}/formgrader**", timeout=60_000)
        page.get_by_text("ward-strings-lists").first.wait_for(timeout=60_000)
        screenshot(page, "formgrader-manage-assignments")
        nbgrader_pages_in_chinese(page, assignments)
        page.goto(url + f"services/formgrader-{COURSE}/lab")
        assert "grading only" in page.content()
        screenshot(page, "formgrader-lab-refused")

    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as page:
        sign_in(page, url, "nurse")
        page.goto(url + "hub/home")
        page.locator("#start").wait_for()
        assert page.locator("#mnss-grading").count() == 0
