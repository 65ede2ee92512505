"""The learning record on a real hub and recommender: a learner's graded events (sent with their
own token, as their server does) become the record at /hub/record with scores, time on task and
the course's credit hours; the certificate PDF carries the real name from the people store, both
course titles, the hours and a verification id; the CSV and Excel exports hold the same; a hub
admin sees hours per person and year (page and Excel), a learner may not; the page in Chinese is
screenshotted in Chromium.
"""

import csv
import io
import re
import subprocess
import time
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import requests
from openpyxl import load_workbook

from mnss_courses import bundle
from tests.support import people
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import (
    ROOT,
    create_accounts,
    hub_folders,
    logged_in,
    password,
    running_hub,
    site_config,
)
from tests.support.weblogin import post_login

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COURSE, TITLE = "hospital-lan", ("医院局域网基础", "Hospital LAN basics")
HOURS = bundle.load(ROOT / "courses" / COURSE).meta["credit_hours"]  # what completing it earns
OTHER = "python-basics"
LEARNER, REAL_NAME, PLAIN = "zhangsan", "张三", "lisi"
YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def post_events(api: str, client, rows: list[tuple], tag: str) -> None:
    now = time.time()
    events = [
        {"event_id": f"{tag}{n}", "item": item, "kind": kind, "timestamp": now - 300 + n, **extra}
        for n, (item, kind, extra) in enumerate(rows)
    ]
    stored = requests.post(api + "events", json={"events": events}, headers=client.headers, timeout=10)
    assert stored.status_code == 200 and stored.json()["stored"] == len(events), stored.text


def web_session(url: str, user: str) -> requests.Session:
    web = requests.Session()
    assert post_login(web, url, user, password(user)).status_code == 302
    return web


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work, state, rec_port = hub_folders(tmp_path_factory, "record")
    config = site_config(
        state,
        recommender={"enabled": True, "port": rec_port, "catalog": str(ROOT / "courses"), "retrain_seconds": 600},
    )
    state.mkdir(parents=True)
    people.register_profile(config, LEARNER, REAL_NAME, "zhang.san@example.cn")
    create_accounts(state, (LEARNER, PLAIN))
    with running_hub(work, config) as (url, proc, log):
        for user in (LEARNER, PLAIN):  # a first sign-in makes the hub user (no course group does here)
            web_session(url, user)
        clients = logged_in(url, (LEARNER, PLAIN))
        api = url + "services/mnss-recommender/api/"
        post_events(
            api,
            clients[LEARNER],
            [
                (f"{COURSE}/lan-build", "opened", {}),
                (f"{COURSE}/lan-build", "closed", {"duration": 1500}),
                (f"{COURSE}/lan-build", "graded", {"score": 0.9}),
                (f"{COURSE}/vlan-isolation", "graded", {"score": 0.5}),  # below the pass mark ...
                (f"{COURSE}/vlan-isolation", "graded", {"score": 0.75}),  # ... passed on resubmission
                (f"{OTHER}/ward-strings-lists", "graded", {"score": 1.0}),  # one of python-basics' assignments
            ],
            "z",
        )
        post_events(api, clients[PLAIN], [(f"{COURSE}/lan-build", "graded", {"score": 0.4})], "l")
        yield SimpleNamespace(url=url, log=log, work=work, clients=clients, api=api)


def test_the_record_page_shows_scores_time_and_credit_hours(hub):
    web = web_session(hub.url, LEARNER)
    page = web.get(hub.url + "hub/record", timeout=30)
    assert page.status_code == 200, page.text
    text = page.content.decode("utf-8")
    assert "我的学习档案" in text and REAL_NAME in text
    assert TITLE[0] in text and "已完成" in text and f"record/certificate/{COURSE}.pdf" in text
    assert ">90%<" in text and ">75%<" in text and ">25<" in text  # best scores; 1500 s = 25 minutes
    assert f"<td>{YEAR}</td>" in text and f'id="mnss-total-hours">{HOURS:g}<' in text
    assert f"record/certificate/{OTHER}.pdf" not in text  # python-basics is not completed
    assert 'href="/hub/record"' in text  # the nav item


def test_the_recommender_answers_only_for_the_caller(hub):
    own = requests.get(hub.api + "record", headers=hub.clients[PLAIN].headers, timeout=10)
    assert own.status_code == 200 and own.json()["user"] == PLAIN and own.json()["total_hours"] == 0
    other = requests.get(hub.api + f"record?user={LEARNER}", headers=hub.clients[PLAIN].headers, timeout=10)
    assert other.status_code == 403
    staff = requests.post(hub.api + "record/staff", json={"users": [LEARNER]}, headers=hub.clients[PLAIN].headers)
    assert staff.status_code == 403, "only hub admins see the staff's hours"


def test_certificate_pdf_has_the_real_name_titles_hours_and_id(hub, tmp_path):
    web = web_session(hub.url, LEARNER)
    got = web.get(hub.url + f"hub/record/certificate/{COURSE}.pdf", timeout=60)
    assert got.status_code == 200 and got.headers["Content-Type"] == "application/pdf", got.text[:300]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(got.content)
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert REAL_NAME in text and TITLE[0] in text and TITLE[1] in text, text
    assert f"Credit hours: {HOURS:g}" in text and f"MNSS-{YEAR}" in text, text
    vid = re.search(r"MNSS-\d{8}-[0-9A-F]{12}", text)[0]
    verify = hub.url + "hub/record/verify"
    check = requests.get(verify, params={"user": LEARNER, "course": COURSE, "id": vid}, timeout=30)
    assert check.status_code == 200 and "证书有效" in check.content.decode(), "anyone may verify, signed in or not"
    assert f"record/verify?user={LEARNER}&course={COURSE}&id={vid}" in text.replace("\n", ""), text
    forged = requests.get(verify, params={"user": PLAIN, "course": COURSE, "id": vid}, timeout=30)
    assert forged.status_code == 404 and "无法验证" in forged.content.decode()
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", pdf, tmp_path / "certificate"], check=True)
    assert (tmp_path / "certificate.png").stat().st_size > 10_000

    refused = web.get(hub.url + f"hub/record/certificate/{OTHER}.pdf", timeout=30)
    assert refused.status_code == 409 and "尚未完成" in refused.content.decode() and "not completed" in refused.text

    plain = web_session(hub.url, PLAIN).get(hub.url + f"hub/record/certificate/{COURSE}.pdf", timeout=30)
    assert plain.status_code == 409, "lisi failed lan-build: no certificate"


def test_csv_and_excel_exports(hub):
    web = web_session(hub.url, LEARNER)
    got = web.get(hub.url + "hub/record/export.csv", timeout=30)
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    by_item = {r[2]: r for r in rows[1:]}
    assert by_item["lan-build"][5] == "90.0" and by_item["lan-build"][7] == "25.0"
    assert by_item["vlan-isolation"][9] == str(float(HOURS)) and by_item["ward-strings-lists"][9] == "0.0"
    book = load_workbook(io.BytesIO(web.get(hub.url + "hub/record/export.xlsx", timeout=30).content))
    assert list(book["学时 Hours"].iter_rows(values_only=True))[1:] == [(YEAR, HOURS)]


def test_the_training_office_sees_hours_per_person_and_year(hub):
    web = requests.Session()
    assert post_login(web, hub.url, "admin", "admin-test-password").status_code == 302
    page = web.get(hub.url + "hub/record/institution", timeout=30)
    assert page.status_code == 200, page.text
    text = page.content.decode("utf-8")
    assert f'data-user="{LEARNER}"' in text and REAL_NAME in text and "示例医院" in text
    sheet = load_workbook(io.BytesIO(web.get(hub.url + "hub/record/institution?format=xlsx", timeout=30).content))
    rows = {r[0]: r for r in sheet.active.iter_rows(values_only=True)}
    assert rows[LEARNER][1] == REAL_NAME and rows[LEARNER][-1] == HOURS and rows[PLAIN][-1] == 0
    assert str(YEAR) in rows["用户名 Username"]
    refused = web_session(hub.url, LEARNER).get(hub.url + "hub/record/institution", timeout=30)
    assert refused.status_code == 403


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="needs Debian's chromium")
def test_record_page_in_chinese_screenshot(hub):
    with browser_page("zh-CN") as page:
        page.goto(hub.url + "hub/login")
        page.fill("#username_input", LEARNER)
        page.fill("#password_input", password(LEARNER))
        page.click("#login_submit")
        page.wait_for_load_state()
        page.goto(hub.url + "hub/record")
        assert page.locator("h1").inner_text() == "我的学习档案"
        assert page.locator(f"#course-{COURSE} .mnss-completed").is_visible()
        assert "学时" in page.locator("#mnss-hours").inner_text()
        screenshot(page, "learning-record-zh")
        # no English on the Chinese page but proper names (the local-mode banner is another page's)
        names = ("MNSS", "Lab", "English", LEARNER, "Excel", "CSV", "PDF", "VLAN", "PACS", "Python")
        text = page.locator("#mnss-record").inner_text() + page.locator("nav").inner_text()
        for name in names:
            text = text.replace(name, " ")
        assert re.findall(r"[A-Za-z]{2,}", text) == [], text
        page.click("#mnss-lang-switch")
        assert page.locator("h1").inner_text() == "My learning record"
