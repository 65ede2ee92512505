"""The portal on a real hub: a learner lands on the catalog in Chinese (five categories), enrols in
an open course, opens an assignment and a tutorial with one click (the lab starts with the notebook fetched through
the exchange) and sees it "in progress", then "submitted"; next up comes from the recommender.
Enrolment follows the course's policy: an approval course takes a request that its instructor
approves, and refuses a one-click enrolment.

The catalog is a copy of the repository's with python-basics switched to `enrolment: approval`.
"""

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import requests

from tests.support import hubproc
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import ROOT, course_site, create_accounts, free_ports, logged_in, password, running_hub
from tests.support.learner import nbgrader_in_server, release
from tests.support.weblogin import post_login, xsrf_of

pytestmark = hubproc.LOCAL_HUB_MARKS

OPEN, APPROVAL, ASSIGNMENT = "hospital-lan", "python-basics", "lan-build"
CATEGORIES = ["系统", "网络", "编程", "数据", "人工智能"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("portal")
    # The catalog must be readable by the learners' own accounts (pytest's folder is root's alone).
    shared = Path(tempfile.mkdtemp(prefix="mnss-portal-"))
    shared.chmod(0o755)
    catalog = shared / "courses"
    shutil.copytree(ROOT / "courses", catalog)
    try:
        yield from _hub(work, catalog)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _hub(work: Path, catalog: Path):
    meta = catalog / APPROVAL / "course.yaml"
    meta.write_text(meta.read_text("utf-8") + "enrolment: approval\n", "utf-8")
    state = work / "state"
    (rec_port,) = free_ports(1)
    config = course_site(
        state,
        [{"course": OPEN, "instructors": ["teach"]}, {"course": APPROVAL, "instructors": ["teach"]}],
        courses={"catalog": str(catalog)},
        recommender={"enabled": True, "port": rec_port, "retrain_seconds": 10, "flush_seconds": 1},
    )
    create_accounts(state, ("teach", "nurse", "clerk"))
    with running_hub(work, config, up_timeout=180) as (url, proc, log):
        clients = logged_in(url, ("teach",))  # nurse and clerk exist in the hub once they log in
        release(work, url + "services/mnss-exchange/", clients["teach"].token, OPEN, ASSIGNMENT)
        yield SimpleNamespace(url=url, state=state, clients=clients, log=log)


def session(hub, user: str) -> requests.Session:
    web = requests.Session()
    assert post_login(web, hub.url, user, password(user)).status_code == 302
    return web


def learners(hub, course: str) -> list[str]:
    """The course's learners group as its instructor reads it (the instructor role may)."""
    got = requests.get(f"{hub.url}hub/api/groups/{course}-learners", headers=hub.clients["teach"].headers, timeout=10)
    assert got.status_code == 200, got.text
    return got.json()["users"]


def test_approval_course_takes_a_request_its_instructor_approves(hub):
    clerk = session(hub, "clerk")
    course = f"{hub.url}hub/portal/course/{APPROVAL}"
    page = clerk.get(course, timeout=10)
    assert page.status_code == 200 and 'value="request"' in page.text, page.text[-2000:]
    refused = clerk.post(course, data={"action": "enrol", "_xsrf": xsrf_of(page)}, timeout=10)
    assert refused.status_code == 403, refused.text[:300]
    asked = clerk.post(course, data={"action": "request", "_xsrf": xsrf_of(page)}, allow_redirects=False, timeout=30)
    assert asked.status_code == 302, asked.text[:300]
    assert "clerk" not in learners(hub, APPROVAL)
    assert "等待讲师批准" in clerk.get(course, timeout=10).content.decode("utf-8")
    # another learner cannot approve it
    forged = clerk.post(course, data={"action": "approve", "user": "clerk", "_xsrf": xsrf_of(page)}, timeout=10)
    assert forged.status_code == 403 and "clerk" not in learners(hub, APPROVAL)
    teach = session(hub, "teach")
    page = teach.get(course, timeout=10)
    assert 'data-user="clerk"' in page.text, page.text[-2000:]
    approved = teach.post(
        course, data={"action": "approve", "user": "clerk", "_xsrf": xsrf_of(page)}, allow_redirects=False, timeout=30
    )
    assert approved.status_code == 302, approved.text[:300]
    assert "clerk" in learners(hub, APPROVAL)
    assert 'id="mnss-enrolled"' in clerk.get(course, timeout=10).text
    assert 'data-user="clerk"' not in teach.get(course, timeout=10).text


def item_state(page, item: str) -> str:
    return page.get_attribute(f'.mnss-item[data-item="{item}"]', "data-state")


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (make test installs it)")
def test_learner_enrols_and_opens_an_assignment_with_one_click(hub):
    url = hub.url
    with browser_page() as page:
        page.goto(url + "hub/login")
        page.fill("#username_input", "nurse")
        page.fill("#password_input", password("nurse"))
        page.click("#login_submit")
        page.wait_for_url("**/hub/portal", timeout=30_000)
        headings = page.locator(".mnss-category h3").all_inner_texts()
        assert [h.strip() for h in headings] == CATEGORIES, headings
        assert page.locator(".mnss-course").count() == len(list((ROOT / "courses").glob("*/course.yaml")))
        assert "学时" in page.inner_text(f'.mnss-course[data-course="{OPEN}"]')
        screenshot(page, "portal-catalog-zh")

        page.click(f'.mnss-course[data-course="{OPEN}"] a')
        page.wait_for_url(f"**/hub/portal/course/{OPEN}")
        assert item_state(page, ASSIGNMENT) == "not-started"
        page.click("#mnss-enrol")
        page.locator("#mnss-notice").wait_for()
        assert "选课成功" in page.inner_text("#mnss-notice")
        assert "nurse" in learners(hub, OPEN)
        screenshot(page, "portal-course-enrolled-zh")

        page.click(f'.mnss-item[data-item="{ASSIGNMENT}"] .mnss-open')
        page.wait_for_url("**/user/nurse/lab/tree/**", timeout=180_000)
        page.locator(".jp-NotebookPanel").first.wait_for(timeout=120_000)
        home = hub.state / "homes" / "nurse"
        fetched = sorted(home.glob(f"**/{ASSIGNMENT}/*.ipynb"))
        assert fetched, f"no fetched notebook under {home}"
        assert fetched[0].name in page.url or ASSIGNMENT in page.url, page.url
        screenshot(page, "portal-assignment-open-in-lab")

        page.goto(f"{url}hub/portal/course/{OPEN}")
        assert item_state(page, ASSIGNMENT) == "in-progress"
        assert "进行中" in page.inner_text(f'.mnss-item[data-item="{ASSIGNMENT}"] .mnss-state')
        screenshot(page, "portal-course-in-progress-zh")

        nurse = logged_in(url, ("nurse",))["nurse"]
        done = nbgrader_in_server(nurse, "nurse", "submit", ASSIGNMENT, f"--course={OPEN}")
        assert done["rc"] == 0, done["out"]
        page.reload()
        assert item_state(page, ASSIGNMENT) == "submitted"
        assert "已提交" in page.inner_text(f'.mnss-item[data-item="{ASSIGNMENT}"] .mnss-state')
        screenshot(page, "portal-course-submitted-zh")

        page.click('.mnss-item[data-kind="tutorial"] .mnss-open')  # a tutorial: copied into the home
        page.wait_for_url("**/user/nurse/lab/tree/**", timeout=60_000)
        assert (home / OPEN / "tutorials").is_dir() and OPEN + "/tutorials/" in page.url, page.url
        # the text with its figure (attached to the notebook, drawn by JupyterLab), the experiment beside it
        figure = page.locator('.jp-RenderedMarkdown img[alt^="一个病区局域网"]')
        figure.wait_for(timeout=60_000)
        figure.scroll_into_view_if_needed()
        drawn = "img => img.complete && img.naturalWidth > 0"
        try:
            page.wait_for_function(drawn, arg=figure.element_handle(), timeout=20_000)
        except Exception:
            raise AssertionError(figure.evaluate("img => img.outerHTML.slice(0, 300)")) from None
        copy = nbformat.read(home / OPEN / "tutorials" / "lan-basics.ipynb", as_version=4)
        assert any("ward-lan.png" in c.get("attachments", {}) for c in copy.cells if c.cell_type == "markdown")
        assert any("TopologyCanvas(" in c.source for c in copy.cells if c.cell_type == "code")
        screenshot(page, "portal-tutorial-open-in-lab")

        # next up, from the recommender through a token the hub minted for the learner
        page.goto(url + "hub/portal")
        recommended = page.locator("#mnss-next-up .mnss-recommendation")
        assert recommended.count() > 0, page.inner_text("#mnss-next-up")
        assert "/" in recommended.first.get_attribute("data-item")
        screenshot(page, "portal-next-up-zh")
