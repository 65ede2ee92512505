"""Institution admins and completed deletions on the MNSS admin pages, in Chromium on a real hub
with one course and two hospitals, where registrations wait for approval.

An institution admin (named in the site config) imports and creates invitations for their own
hospital only, downloads its links and approves its pending registration; every attempt on the
other hospital (sheet row, forged create, revoke, approve) is refused with 403, naming why in both
languages, and lands in the audit log. The person registered through an invitation carrying a
course finds it enrolled on the portal. A person's deletion request is completed by the hub admin
on the accounts page: a reason is required, then the personal data is erased, the account cannot
sign in and its hub user and tokens are gone, and the audit log says so. A hub admin sees a mobile
in full on the accounts page only with a reason (audited, not cached); an institution admin
cannot. The hub admin reads the audit log in the browser, and verifying it there names an entry
changed in the database. JupyterHub's own admin page can no longer make a hub user who has no
account (and so could never sign in)."""

import csv
import io
import re
import sqlite3
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import requests
import yaml
from stdnum.cn import ric

from mnss_hub import siteconfig
from mnss_hub.accounts import AccountStore
from mnss_hub.hubclient import HubClient, HubError
from mnss_hub.people import ADMIN, SYSTEM, Actor, NotFound, invitations, profiles, site as people_site
from mnss_hub.people.directory import DEFAULT_FILE
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import accounts_url, course_site, create_accounts, password, running_hub
from tests.support.weblogin import post_login, set_password, xsrf_of

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

COURSE = "hospital-lan"
OWN, OTHER = "示例医院", "第二医院"
ADMIN_PW = "admin-test-password"


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "?")  # it reads the first 17 of 18 characters


def person(name: str, first17: str, mobile: str, email: str, institution: str = OWN, department: str = "信息中心"):
    return {
        "name": name,
        "gender": "male" if int(first17[16]) % 2 else "female",
        "id_number": id_number(first17),
        "institution": institution,
        "department": department,
        "position": "staff",
        "title": "engineer",
        "mobile": mobile,
        "email": email,
        "consent": "1",
    }


ZHANG = person("张三", "11010119900101123", "13812345678", "zhang.san@example.org")
QIAN = person("钱七", "11010119850505432", "13700001111", "qian.qi@example.org")
SUN = person("孙八", "11010119800303345", "13600002222", "sun.ba@example.org", OTHER, "信息科")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("instadmin")
    directory = yaml.safe_load(DEFAULT_FILE.read_text("utf-8"))
    directory["institutions"].append(
        {"name": OTHER, "name_en": "Second Hospital", "departments": [{"name": "信息科", "name_en": "IT"}]}
    )
    (work / "directory.yaml").write_text(yaml.safe_dump(directory, allow_unicode=True), "utf-8")
    state = work / "state"
    config = course_site(
        state,
        [{"course": COURSE, "instructors": ["teach"]}],
        accounts={
            "approval": "institution_admin",
            "directory_file": str(work / "directory.yaml"),
            "institution_admins": {"inst.admin": OWN},
        },
    )
    create_accounts(state, ("inst.admin", "teach"))
    with running_hub(work, config, up_timeout=180) as (url, proc, log):
        store = people_site.open_store(siteconfig.complete(siteconfig.validate(config)))
        try:
            yield SimpleNamespace(url=url, state=state, log=log, store=store)
        finally:
            store.close()


def sign_in(page, url: str, name: str, secret: str) -> None:
    page.goto(url + "hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", secret)
    with page.expect_navigation():
        page.click("#login_submit")


def submit(page, selector: str) -> int:
    with page.expect_navigation() as nav:
        page.click(selector)
    return nav.value.status


def forged_post(page, url: str, path: str, form: dict) -> requests.Response:
    """A POST the page offers no button for, sent with the page's own session and xsrf token."""
    xsrf = page.locator('input[name="_xsrf"]').first.get_attribute("value")
    return page.request.post(url + path, form={"_xsrf": xsrf, **form})


def register_over_http(url: str, link: str, form: dict) -> dict:
    web = requests.Session()
    page = web.get(link, timeout=30)
    code = re.search(r'name="code" value="([^"]+)"', page.text).group(1)
    done = web.post(url + "hub/register", data={"_xsrf": xsrf_of(page), "code": code, **form}, timeout=30)
    assert done.status_code == 200, done.text[:2000]
    return {
        "username": re.search(r'id="mnss-username">([^<]+)<', done.text).group(1),
        "one_time": re.search(r'id="mnss-one-time">([^<]+)<', done.text).group(1),
    }


def refused_entries(store) -> list:
    with store.begin() as conn:
        return [e for e in reversed(store.audit.entries(conn, limit=1000)) if e.action == "refused"]  # oldest first


def test_an_institution_admin_manages_only_their_own_hospital(hub):
    url, store = hub.url, hub.store
    system = Actor("cli:test", SYSTEM)
    other = invitations.create_invitation(store, system, invitations.InvitationRequest(OTHER, "孙八", "信息科"))
    sun = profiles.register(store, other.code, SUN)
    other_open = invitations.create_invitation(store, system, invitations.InvitationRequest(OTHER))
    assert sun.status == "pending"
    with browser_page() as page:
        sign_in(page, url, "inst.admin", password("inst.admin"))
        page.click("text=邀请与账号")
        page.wait_for_url("**/hub/mnss-admin/invitations")
        assert OWN in page.locator("#mnss-scope").inner_text()
        assert page.locator("#mnss-institution option").evaluate_all("os => os.map(o => o.value)") == [OWN]
        offered = page.locator("#mnss-department option").evaluate_all("os => os.map(o => o.value)")
        assert offered[0] == "" and "信息中心" in offered and "信息科" not in offered, offered  # own departments only
        assert not page.locator(f'#mnss-invitations tr[data-id="{other.invitation.id}"]').count()

        # a sheet of the own hospital with a course: imported
        own_sheet = "姓名,科室,课程\n张三,信息中心,hospital-lan\n李四,护理部,\n"
        page.set_input_files(
            "#mnss-sheet", files=[{"name": "own.csv", "mimeType": "text/csv", "buffer": own_sheet.encode()}]
        )
        assert submit(page, "#mnss-import") == 200
        links = page.locator(".mnss-invitation-link").all_inner_texts()
        assert len(links) == 2
        screenshot(page, "institution-admin-imported")

        # a row of the other hospital: the whole sheet is refused (403), naming the cell
        before = len(refused_entries(store))
        page.set_input_files(
            "#mnss-sheet",
            files=[{"name": "other.csv", "mimeType": "text/csv", "buffer": f"姓名,机构\n周九,{OTHER}\n".encode()}],
        )
        assert submit(page, "#mnss-import") == 403
        error = page.locator("[data-error]").first
        assert "机构" in error.inner_text() and "不是您所管理的机构" in error.inner_text()
        assert "Institution" in error.locator('[lang="en"]').text_content()
        screenshot(page, "institution-admin-refused")

        # a refused one-invitation form keeps what was typed and chosen
        page.fill('input[name="name"]', "赵六")
        page.select_option("#mnss-department", "护理部")
        page.fill("#mnss-courses", "hospital-lan!")  # not a course id
        assert submit(page, "#mnss-create") == 400
        assert "课程" in page.locator("[data-error]").first.inner_text()
        assert page.input_value('input[name="name"]') == "赵六" and page.input_value("#mnss-department") == "护理部"
        assert page.input_value("#mnss-courses") == "hospital-lan!"

        # forged requests about the other hospital: create, revoke
        created = forged_post(
            page, url, "hub/mnss-admin/invitations", {"action": "create", "institution": OTHER, "name": "周九"}
        )
        assert created.status == 403 and "不是您所管理的机构" in created.text()
        revoked = forged_post(
            page, url, "hub/mnss-admin/invitations", {"action": "revoke", "id": str(other_open.invitation.id)}
        )
        assert revoked.status == 403 and OTHER in revoked.text()
        assert invitations.list_invitations(store, system, institution=OTHER, state="open").total == 1

        # the links download holds the own hospital's open invitations only
        download = page.request.get(url + "hub/mnss-admin/invitations/links.csv?reason=send%20to%20staff")
        rows = list(csv.reader(io.StringIO(download.text())))
        assert download.status == 200 and len(rows) == 3 and {r[2] for r in rows[1:]} == {OWN}

        # the person registers through the invitation with the course; it waits for approval
        zhang = register_over_http(url, links[0], ZHANG)
        assert post_login(requests.Session(), url, zhang["username"], zhang["one_time"]).status_code == 403

        page.goto(url + "hub/mnss-admin/accounts")
        assert page.locator("tr[data-username]").count() == 1, "only the own hospital's accounts"
        assert not page.locator("#mnss-deletions").count(), "deletions are for hub admins"
        row = page.locator(f'tr[data-username="{zhang["username"]}"]')
        assert row.get_attribute("data-status") == "pending"
        assert submit(page, f'tr[data-username="{zhang["username"]}"] .mnss-approve') == 200
        assert page.locator(f'tr[data-username="{zhang["username"]}"]').get_attribute("data-status") == "active"
        approve_other = forged_post(
            page, url, "hub/mnss-admin/accounts", {"action": "approve", "username": sun.username}
        )
        assert approve_other.status == 403
        assert profiles.status_of(store, sun.username) == "pending"
        screenshot(page, "institution-admin-accounts")

    refused = refused_entries(store)[before:]
    assert [e.detail["attempt"] for e in refused] == [
        "import_invitation",
        "create_invitation",
        "revoke_invitation",
        "approve",
    ]
    assert all(e.actor == "inst.admin" and e.detail["institution"] == OWN for e in refused)
    assert store.verify_audit() is None

    # approved: the one-time password is replaced, and the invitation's course is on the portal
    web = requests.Session()
    form_page = post_login(web, url, zhang["username"], zhang["one_time"])
    assert set_password(web, url, form_page, "zhang-own-password").status_code == 302
    with browser_page() as page:
        sign_in(page, url, zhang["username"], "zhang-own-password")
        page.goto(url + "hub/portal")
        course = page.locator(f'.mnss-course[data-course="{COURSE}"]')
        assert course.locator(".mnss-enrolled").count() == 1
        assert page.locator(".mnss-enrolled").count() == 1, "only the invited course"
        screenshot(page, "portal-invited-course")


def test_the_admin_completes_a_deletion_request_on_the_accounts_page(hub):
    url, store = hub.url, hub.store
    system = Actor("cli:test", SYSTEM)
    issued = invitations.create_invitation(store, system, invitations.InvitationRequest(OWN, "钱七", "信息中心"))
    qian = register_over_http(url, issued.link(url), QIAN)
    name = qian["username"]
    profiles.approve(store, system, name)
    AccountStore(accounts_url(hub.state)).set_disabled(name, False)
    web = requests.Session()
    assert set_password(web, url, post_login(web, url, name, qian["one_time"]), "qian-own-password").status_code == 302
    own = HubClient(url)
    own.login(name, "qian-own-password")
    my_data = web.get(url + "hub/my-data", timeout=30)
    asked = web.post(url + "hub/my-data", data={"_xsrf": xsrf_of(my_data), "reason": "leaving"}, timeout=30)
    assert asked.status_code == 200

    with browser_page() as page:
        sign_in(page, url, "admin", ADMIN_PW)
        page.goto(url + "hub/mnss-admin/accounts")
        row = page.locator(f'#mnss-deletions tr[data-deletion="{name}"]')
        assert "钱七" in row.inner_text()
        assert submit(page, f'#mnss-deletions tr[data-deletion="{name}"] .mnss-complete-deletion') == 400
        assert "理由" in page.locator("[data-error]").inner_text()
        assert profiles.status_of(store, name) == "active", "nothing changes without a reason"
        page.fill(f'#mnss-deletions tr[data-deletion="{name}"] .mnss-deletion-reason', "本人申请 / requested")
        assert submit(page, f'#mnss-deletions tr[data-deletion="{name}"] .mnss-complete-deletion') == 200
        assert page.locator("#mnss-notice").is_visible()
        assert not page.locator(f'tr[data-username="{name}"], tr[data-deletion="{name}"]').count()
        screenshot(page, "admin-deletion-completed")

    with pytest.raises(NotFound):
        profiles.get_profile(store, system, name)
    assert profiles.status_of(store, name) is None
    with pytest.raises(HubError):
        HubClient(url).login(name, "qian-own-password")
    assert post_login(requests.Session(), url, name, "qian-own-password").status_code == 403
    admin = HubClient(url)
    admin.login("admin", ADMIN_PW)
    assert admin._call("GET", f"hub/api/users/{name}", expect=(404,)).status_code == 404
    with pytest.raises(HubError):
        own.user(name)  # the person's token went with the user
    with store.begin() as conn:
        entries = store.audit.entries(conn, subject=f"profile {name}", limit=100)
    assert entries[0].action == "delete_profile" and entries[0].actor == "admin"
    assert entries[0].reason == "本人申请 / requested"
    assert store.verify_audit() is None
    with sqlite3.connect(hub.state / "people.sqlite") as db:
        assert db.execute("SELECT count(*) FROM mnss_profiles WHERE name = '钱七'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM mnss_invitations WHERE name = '钱七'").fetchone()[0] == 0


ZHOU = person("周九", "11010119950707567", "13900003333", "zhou.jiu@example.org")


def reveal_in_row(page, name: str, field: str, reason: str, shot: str = ""):
    """Open a row's 查看完整信息, pick the field, give the reason (screenshot `shot`), send; the
    navigation's response."""
    row = page.locator(f'tr[data-username="{name}"]')
    row.locator(".mnss-reveal summary").click()
    row.locator(".mnss-reveal-field").select_option(field)
    row.locator(".mnss-reveal-reason").fill(reason)
    if shot:
        screenshot(page, shot)
    with page.expect_navigation() as nav:
        row.locator(".mnss-reveal-submit").click()
    return nav.value


def test_the_admin_sees_a_value_in_full_only_with_a_reason_and_it_is_audited(hub):
    url, store = hub.url, hub.store
    system = Actor("cli:test", SYSTEM)
    issued = invitations.create_invitation(store, system, invitations.InvitationRequest(OWN, "周九", "信息中心"))
    name = profiles.register(store, issued.code, ZHOU).username
    clear = (ZHOU["id_number"], ZHOU["mobile"])

    with browser_page() as page:
        sign_in(page, url, "admin", ADMIN_PW)
        page.goto(url + "hub/mnss-admin/accounts?q=" + name)
        row = page.locator(f'tr[data-username="{name}"]')
        assert "139****3333" in row.inner_text() and not any(value in page.content() for value in clear)

        refused = reveal_in_row(page, name, "mobile", "  ")
        assert refused.status == 400
        assert "理由" in page.locator("[data-error]").inner_text()
        assert not page.locator("#mnss-revealed").count()
        screenshot(page, "admin-reveal-needs-reason")

        shown = reveal_in_row(page, name, "mobile", "回电核实 / call back", shot="admin-reveal-form")
        assert shown.status == 200 and shown.headers["cache-control"] == "no-store"
        assert page.locator("#mnss-revealed-value").inner_text() == "+86" + ZHOU["mobile"]
        assert "手机号码" in page.locator("#mnss-revealed").inner_text()
        assert ZHOU["id_number"] not in page.content(), "only the field asked for"
        screenshot(page, "admin-reveal-mobile")

        wrong = forged_post(
            page, url, "hub/mnss-admin/accounts", {"action": "reveal", "username": name, "field": "x", "reason": "r"}
        )
        assert wrong.status == 400 and "要查看的信息" in wrong.text() and "Item to see" in wrong.text()

    with store.begin() as conn:
        reveals = [e for e in store.audit.entries(conn, subject=f"profile {name}", limit=100) if e.action == "reveal"]
    assert [(e.actor, e.reason, e.detail) for e in reveals] == [("admin", "回电核实 / call back", {"field": "mobile"})]

    # an institution admin's role may not: no control on the page, and a forged request is 403, audited
    with browser_page() as page:
        sign_in(page, url, "inst.admin", password("inst.admin"))
        page.goto(url + "hub/mnss-admin/accounts?q=" + name)
        assert page.locator(f'tr[data-username="{name}"]').count() == 1
        assert not page.locator(".mnss-reveal").count()
        ask = {"action": "reveal", "username": name, "field": "mobile", "reason": "r"}
        forged = forged_post(page, url, "hub/mnss-admin/accounts", ask)
        assert forged.status == 403 and ZHOU["mobile"] not in forged.text()
        assert "不能查看完整的个人信息" in forged.text()
    last = refused_entries(store)[-1]
    assert (last.actor, last.detail["attempt"]) == ("inst.admin", "reveal")
    assert store.verify_audit() is None
    assert not any(value in hub.log.read_text() for value in clear), "no clear value in the hub log"


WU = person("吴十", "11010119880808789", "13500004444", "wu.shi@example.org")


def test_the_admin_reads_the_audit_log_and_verifying_finds_a_changed_entry(hub):
    url, store = hub.url, hub.store
    system = Actor("cli:test", SYSTEM)
    issued = invitations.create_invitation(store, system, invitations.InvitationRequest(OWN, "吴十", "信息中心"))
    name = profiles.register(store, issued.code, WU).username
    profiles.reveal(store, Actor("admin", ADMIN), name, "id_number", "核对身份 / identity check")
    with store.begin() as conn:
        seq = store.audit.entries(conn, subject=f"profile {name}", limit=1)[0].seq

    with browser_page() as page:
        sign_in(page, url, "admin", ADMIN_PW)
        page.goto(url + "hub/mnss-admin/accounts")
        page.click("#mnss-audit-link")
        page.wait_for_url("**/hub/mnss-admin/audit")
        page.fill('input[name="q"]', name)
        assert submit(page, "button:has-text('筛选')") == 200
        rows = page.locator("#mnss-audit tr[data-seq]")
        assert [rows.nth(i).get_attribute("data-action") for i in range(rows.count())] == ["reveal", "register"]
        newest = page.locator(f'#mnss-audit tr[data-seq="{seq}"]')
        assert "查看完整信息" in newest.inner_text() and "核对身份 / identity check" in newest.inner_text()
        assert WU["id_number"] not in page.content() and WU["mobile"] not in page.content()
        assert submit(page, "#mnss-audit-verify") == 200
        assert page.locator("#mnss-audit-status").get_attribute("data-broken") == ""
        assert "审计日志完整" in page.locator("#mnss-audit-status").inner_text()

        # someone with database access rewrites the reason of that entry: verifying names it
        with sqlite3.connect(hub.state / "people.sqlite") as db:
            db.execute("UPDATE mnss_audit_log SET reason = 'routine' WHERE seq = ?", (seq,))
        try:
            page.goto(url + f"hub/mnss-admin/audit?q={name}&verify=1")
            status = page.locator("#mnss-audit-status")
            assert status.get_attribute("data-broken") == str(seq)
            assert f"第 {seq} 条已被修改" in status.inner_text()
            assert f"entry {seq} is changed" in status.locator('[lang="en"]').text_content()
            assert "身份证号码" in page.locator(f'#mnss-audit tr[data-seq="{seq}"]').inner_text()
            screenshot(page, "admin-audit-tampered")
            page.click("#mnss-lang-switch")  # the same page in English
            assert f"entry {seq} is changed" in status.inner_text()
            assert "saw in full" in page.locator(f'#mnss-audit tr[data-seq="{seq}"]').inner_text()
            screenshot(page, "admin-audit-tampered-en")
        finally:
            with sqlite3.connect(hub.state / "people.sqlite") as db:
                db.execute("UPDATE mnss_audit_log SET reason = ? WHERE seq = ?", ("核对身份 / identity check", seq))
        assert store.verify_audit() is None

    # the log spans every institution: an institution admin gets 403
    web = requests.Session()
    assert post_login(web, url, "inst.admin", password("inst.admin")).status_code == 302
    assert web.get(url + "hub/mnss-admin/audit", timeout=30).status_code == 403


def add_users_on_the_admin_page(page, url: str, name: str):
    """JupyterHub's own admin page, Add Users: type the name, submit; the API's answer."""
    page.goto(url + "hub/admin#/add-users")
    page.fill("#add-user-textarea", name)
    page.locator("#add-user-textarea").blur()  # the page reads the names when the box loses focus

    def creating(response) -> bool:  # the page sends its xsrf token in the query
        return urlparse(response.url).path == "/hub/api/users" and response.request.method == "POST"

    with page.expect_response(creating) as answer:
        page.click("#submit")
    return answer.value


def test_the_hub_admin_page_makes_no_user_who_could_never_sign_in(hub):
    url = hub.url
    AccountStore(accounts_url(hub.state)).create("nurse8", "nurse8-own-password", must_change=False)
    with browser_page() as page:
        sign_in(page, url, "admin", ADMIN_PW)
        refused = add_users_on_the_admin_page(page, url, "nurse9")
        assert refused.status == 400
        message = refused.json()["message"]
        assert "nurse9: 没有账号" in message and "Invitations & accounts" in message
        page.get_by_text("本平台的账号只通过邀请创建").wait_for()  # the page's "Failed to create user." says why
        screenshot(page, "hub-admin-add-user-refused")
        page.click("#mnss-lang-switch")
        page.get_by_text("accounts on this platform are created by invitation only").wait_for()
        page.click("#mnss-lang-switch")
        made = add_users_on_the_admin_page(page, url, "nurse8")  # has an account: made as before
        assert made.status == 201
    admin = HubClient(url)
    admin.login("admin", ADMIN_PW)
    assert admin._call("GET", "hub/api/users/nurse9", expect=(404,)).status_code == 404
    assert admin.user("nurse8")["name"] == "nurse8"
    # token-authenticated calls (services, scripts) are not the admin page: unchanged
    admin.create_user("script.user")
    admin._call("DELETE", "hub/api/users/script.user", expect=(204,))
