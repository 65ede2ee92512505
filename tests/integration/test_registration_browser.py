"""Invitation-only real-name registration in Chromium, from the admin's sheet to a disabled account:
the admin imports 3 invitations from an .xlsx; a person registers through one, each bad field
refused by name; the one-time password must be replaced; used, revoked and expired invitations
are refused; disabling the account on the accounts page stops its server and revokes its tokens."""

import io
import sqlite3

import openpyxl
import pytest
from stdnum.cn import ric

from mnss_hub.hubclient import HubClient, HubError
from tests.support.browser import browser_page, chromium_path, fill_registration, screenshot
from tests.support.hubproc import running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)

ADMIN_PW = "admin-test-password"


def id_number(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17)


MALE_ID = id_number("11010119900101123")  # 17th digit odd: male
BAD_ID = MALE_ID[:-1] + ("0" if MALE_ID[-1] != "0" else "1")  # wrong check digit


def invitation_sheet(path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "机构", "科室"])
    for name, department in (("张三", "信息中心"), ("李四", "护理部"), ("王五", "放射科")):
        sheet.append([name, "示例医院", department])
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(buf.getvalue())


def field_errors(page, field: str) -> str:
    """What the person sees under a field, in the page's language (Chinese here)."""
    return " ".join(page.locator(f'[data-error-field="{field}"]').all_inner_texts())


def field_errors_en(page, field: str) -> str:
    """The same messages in English, shown after the language switch."""
    return " ".join(page.locator(f'[data-error-field="{field}"] [lang="en"]').all_text_contents())


def fill_form(page, **values) -> None:
    fill_registration(page, **values)
    with page.expect_navigation():
        page.click("#register_submit")


def test_an_invited_person_registers_changes_the_password_and_is_disabled_by_the_admin(tmp_path):
    sheet = tmp_path / "invitations.xlsx"
    invitation_sheet(sheet)
    state = tmp_path / "state"
    config = site_config(state, culler={"enabled": False})
    with running_hub(tmp_path, config) as (url, proc, log), browser_page() as admin:
        admin.goto(url + "hub/login")
        admin.fill("#username_input", "admin")
        admin.fill("#password_input", ADMIN_PW)
        admin.click("#login_submit")
        admin.wait_for_url("**/hub/home")
        admin.click("text=邀请与账号")
        admin.wait_for_url("**/hub/mnss-admin/invitations")
        admin.set_input_files("#mnss-sheet", str(sheet))
        with admin.expect_navigation():
            admin.click("#mnss-import")
        links = admin.locator(".mnss-invitation-link").all_inner_texts()
        assert len(links) == 3 and all("/hub/register?code=" in link for link in links)
        screenshot(admin, "admin-invitations-imported")

        person = admin.context.browser.new_context(locale="zh-CN").new_page()
        person.goto(links[0])
        assert person.locator("#f-name").input_value() == "张三"  # pre-filled from the sheet
        fill_form(person, id_number=BAD_ID, mobile="12345", email="zhang.san@example.org", gender="male")
        assert "身份证号码" in field_errors(person, "id_number") and "ID number" in field_errors_en(person, "id_number")
        assert "手机" in field_errors(person, "mobile") and "obile" in field_errors_en(person, "mobile")
        screenshot(person, "register-field-errors")
        fill_form(person, id_number=MALE_ID, mobile="13812345678", email="zhang.san@example.org", gender="female")
        assert field_errors(person, "gender"), "a gender contradicting the ID number must be refused"
        assert not field_errors(person, "id_number") and not field_errors(person, "mobile")
        fill_form(person, id_number=MALE_ID, mobile="13812345678", email="zhang.san@example.org", gender="male")
        username = person.locator("#mnss-username").inner_text()
        one_time = person.locator("#mnss-one-time").inner_text()
        assert username == "zhang.san"
        screenshot(person, "register-done")

        person.click("text=前往登录")
        person.fill("#username_input", username)
        person.fill("#password_input", one_time)
        person.click("#login_submit")
        person.wait_for_selector("#set_password_submit")  # the one-time password opens nothing else
        person.fill("#new_password", "zhang-own-password")
        person.fill("#repeat_password", "zhang-own-password")
        person.click("#set_password_submit")
        person.wait_for_url(f"**/user/{username}/lab**", timeout=120_000)
        hub = HubClient(url)
        hub.login("admin", ADMIN_PW)
        own = HubClient(url)
        own.login(username, "zhang-own-password")
        with pytest.raises(HubError):
            HubClient(url).login(username, one_time)

        # the person's own data: masked on the page, in full in their download; a deletion request
        person.goto(url + "hub/my-data")
        assert "1101**********" in person.locator("#mnss-my-data").inner_text()
        own_data = person.context.request.get(url + "hub/my-data?download=1").json()
        assert own_data["id_number"] == MALE_ID and own_data["mobile"].endswith("13812345678")
        with person.expect_navigation():
            person.click("#mnss-request-deletion")
        assert person.locator("#mnss-notice").is_visible()

        # used, revoked and expired invitations are refused
        for link, reason in ((links[0], "已被使用"),):
            person.goto(link)
            assert reason in person.locator("[data-refusal]").inner_text()
        admin.goto(url + "hub/mnss-admin/invitations")
        with admin.expect_navigation():
            admin.locator('tr[data-state="open"] .mnss-revoke').first.click()
        assert admin.locator('tr[data-state="revoked"]').count() == 1
        revoked = [link for link in links[1:]]
        with sqlite3.connect(state / "people.sqlite") as db:  # time passes for the third one
            db.execute(
                "UPDATE mnss_invitations SET expires_at = '2000-01-01 00:00:00' WHERE revoked_at IS NULL"
                " AND used_at IS NULL"
            )
        texts = []
        for link in revoked:
            person.goto(link)
            texts.append(person.locator("[data-refusal]").inner_text())
        assert any("撤销" in text for text in texts) and any("过期" in text for text in texts), texts

        admin.goto(url + "hub/mnss-admin/accounts")
        row = admin.locator(f'tr[data-username="{username}"]')
        assert "**********" in row.inner_text() and MALE_ID not in admin.content()
        with admin.expect_navigation():
            row.locator(".mnss-disable").click()
        assert admin.locator("#mnss-notice").is_visible()
        screenshot(admin, "admin-accounts-disabled")
        assert hub.user(username)["servers"] == {}
        assert hub._call("GET", f"hub/api/users/{username}/tokens").json()["api_tokens"] == []
        with pytest.raises(HubError):
            own.user(username)
        person.goto(url + "hub/home")
        assert "/hub/login" in person.url, "the disabled person's browser session must end"

    # invitation codes are secrets: the access log scrubs them
    assert not any(link.split("code=")[1] in log.read_text() for link in links)
    # no ID number or mobile in clear in the hub's log or in any file of its state
    for path in [log, *state.rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert MALE_ID.encode() not in data and b"13812345678" not in data, path
