"""Institutional sign-in in Chromium against a real OpenID Connect provider (oidc-provider, started
by the test on 127.0.0.1): an unlinked identity is asked for an invitation code on a bilingual page
that names its subject, the administrator links that subject to the real-name account, the person
reaches the hub as that account, and logout ends both the hub session and the provider's; an
identity that only claims the same name and preferred_username is linked to nobody. It redeems an
invitation instead: revoked and expired codes are refused naming why, a valid one opens the
registration form pre-filled from the invitation and the verified claims (and still checked), and
the new real-name account is linked by subject and signed in; its used code is refused to a third
person. A linked registration still waiting for approval is told so at sign-in, and gets in once
approved."""

import sqlite3
import subprocess
from urllib.parse import urlparse

import pytest
import yaml
from stdnum.cn import ric

from mnss_hub import siteconfig
from mnss_hub.accounts import AccountStore
from mnss_hub.people import SYSTEM, Actor, invitations, profiles, site as people_site, sso as people_sso
from mnss_hub.sso_links import LinkStore
from tests.support import oidcproc
from tests.support.browser import browser_page, chromium_path, fill_registration, screenshot
from tests.support.hubproc import VENV_BIN, accounts_url, create_accounts, running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)
if oidcproc.available():
    pytest.skip(oidcproc.available(), allow_module_level=True)

SUB_LI = "9f1c2d7e-4b5a-4c3e-8d21-0a6b5e7f3c11"  # fixed, opaque, as an institution's directory gives it
SUB_STRANGER = "27e8a0b4-6c1d-4f9e-b3a2-5d4c8e1f7a90"
SUB_THIRD = "5b0e9c3a-1f2d-4e6b-9a7c-3d8e2f1b4c60"
ACCOUNTS = {
    SUB_LI: {
        "preferred_username": "li.wei",
        "name": "李伟",
        "email": "li.wei@hospital.example",
        "email_verified": True,
    },
    # someone else whose display name and preferred_username copy Li Wei's (and who is invited below)
    SUB_STRANGER: {
        "preferred_username": "li.wei",
        "name": "李伟",
        "email": "fang.wang@hospital.example",
        "email_verified": True,
    },
    # an e-mail the provider did not verify is never pre-filled
    SUB_THIRD: {"name": "赵六", "email": "li.wei@hospital.example", "email_verified": False},
}
ZHAO = {
    **{"name": "赵六", "gender": "male", "id_number": "110101199003071233", "institution": "示例医院"},
    **{"department": "信息中心", "position": "staff", "title": "engineer", "mobile": "13711112222"},
    **{"email": "zhao.liu@hospital.example", "consent": "on"},
}
FEMALE_ID = "11010119900202124"
FEMALE_ID += ric.calc_check_digit(FEMALE_ID + "?")  # it reads the first 17 of 18 characters


def loopback_only(page) -> list[str]:
    """Abort every request that would leave the machine (the provider's dev pages link web fonts)."""
    blocked = []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    return blocked


def sign_in_at_provider(page, sub: str) -> None:
    """oidc-provider's development login form (the login is the sub), then its consent page."""
    page.fill("input[name=login]", sub)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.get_by_role("button", name="Continue").click()


def test_sso_login_linking_and_logout_against_a_real_provider(tmp_path):
    state = tmp_path / "state"
    config = site_config(state)
    url = f"http://127.0.0.1:{config['hub']['port']}/"
    create_accounts(state, ("li.wei", "wang.fang"))
    with oidcproc.running_provider(tmp_path / "idp", url, ACCOUNTS) as idp:
        config["auth"] = {
            "type": "oidc",
            "oidc": {
                "issuer": idp.issuer,
                "client_id": idp.client_id,
                "client_secret_file": str(idp.secret_file),
                "callback_url": url + "hub/oauth_callback",
                "display_name": "Test IdP",
                "scopes": ["openid", "profile", "email"],
            },
        }
        with running_hub(tmp_path / "hub", config) as (url, proc, log), browser_page() as page:
            config_text = (tmp_path / "hub" / "mnss.yaml").read_text()
            assert idp.secret_file.read_text().strip() not in config_text
            blocked = loopback_only(page)

            # 1. Not linked yet: asked for an invitation code, with the identity to give the administrator.
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            assert "Test IdP" in page.locator("#mnss-sso-login").inner_text()
            page.click("#mnss-sso-login")
            page.wait_for_url(f"{idp.issuer}/**")
            sign_in_at_provider(page, SUB_LI)
            asking = page.locator("#mnss-sso-invitation")
            asking.wait_for(timeout=30_000)
            assert asking.inner_text() == "首次登录：请输入邀请码"
            assert page.locator("#mnss-sso-identity").inner_text() == f"issuer: {idp.issuer}\nsub: {SUB_LI}"
            screenshot(page, "sso-invitation-zh")

            # 2. The administrator links that subject to the real-name account (any spelling of its name).
            linked = subprocess.run(
                [
                    str(VENV_BIN / "mnss-hub"),
                    "--config",
                    str(tmp_path / "hub" / "mnss.yaml"),
                    "sso",
                    "link",
                    "Li.Wei",
                    "--sub",
                    SUB_LI,
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert linked.returncode == 0, linked.stderr
            assert LinkStore(accounts_url(state)).username_for(idp.issuer, SUB_LI) == "li.wei"

            # 3. Signed in at the provider already: straight through to the hub home as li.wei.
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            page.click("#mnss-sso-login")
            page.wait_for_url(url + "hub/home", timeout=30_000)
            assert page.locator("nav span.me-1").inner_text() == "li.wei"
            assert page.locator("a[href$='change-password']").count() == 0, "no password to change with SSO"
            screenshot(page, "sso-home")

            # 4. Logout ends the hub session, then the provider's (RP-initiated logout).
            page.click("#logout")
            page.wait_for_url(f"{idp.issuer}/session/end**")
            page.get_by_role("button", name="Yes, sign me out").click()
            page.wait_for_url(url + "hub/login", timeout=30_000)
            page.goto(url + "hub/home")
            assert urlparse(page.url).path == "/hub/login", "the hub session must be gone"
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            page.click("#mnss-sso-login")
            page.locator("input[name=login]").wait_for(timeout=30_000)  # the provider asks again

            # 5. Another person claiming the same name and preferred_username is linked to nobody.
            sign_in_at_provider(page, SUB_STRANGER)
            page.locator("#mnss-sso-invitation").wait_for(timeout=30_000)
            assert SUB_STRANGER in page.locator("#mnss-sso-identity").inner_text()
            assert [link.subject for link in LinkStore(accounts_url(state)).all()] == [SUB_LI]

            # 6. They redeem an invitation: revoked and expired codes are refused naming why.
            store = people_site.open_store(siteconfig.complete(siteconfig.validate(config)))
            system = Actor("cli:test", SYSTEM)
            request = invitations.InvitationRequest("示例医院", "王芳", "信息中心")
            good, revoked, expired = (invitations.create_invitation(store, system, request) for _ in range(3))
            invitations.revoke_invitation(store, system, revoked.invitation.id, "test")
            with sqlite3.connect(state / "people.sqlite") as db:
                db.execute(
                    "UPDATE mnss_invitations SET expires_at = '2000-01-01 00:00:00' WHERE id = ?",
                    (expired.invitation.id,),
                )
            for issued, zh, en in ((revoked, "撤销", "revoked"), (expired, "过期", "expired")):
                page.fill("#mnss-code", issued.code)
                with page.expect_navigation():
                    page.click("#mnss-code-submit")
                refusal = page.locator("[data-refusal]")
                assert zh in refusal.inner_text(), refusal.inner_text()
                assert en in refusal.locator('[lang="en"]').text_content()
            screenshot(page, "sso-invitation-refused")

            # A valid code: the form is pre-filled from the invitation and the verified claims,
            # and checked like any registration.
            page.fill("#mnss-code", good.code)
            with page.expect_navigation():
                page.click("#mnss-code-submit")
            assert page.locator("#f-name").input_value() == "王芳", "the invitation's name, not the display name"
            assert page.locator("#f-email").input_value() == "fang.wang@hospital.example"
            wrong_id = FEMALE_ID[:-1] + ("0" if FEMALE_ID[-1] != "0" else "1")
            fill_registration(page, "female", id_number=wrong_id, mobile="13912345678")  # the email: from the claims
            with page.expect_navigation():
                page.click("#register_submit")
            assert "身份证号码" in " ".join(page.locator('[data-error-field="id_number"]').all_inner_texts())
            page.fill("#f-id_number", FEMALE_ID)
            page.check('input[name="consent"]')
            with page.expect_navigation():
                page.click("#register_submit")
            page.wait_for_url(url + "hub/**", timeout=30_000)
            assert page.locator("nav span.me-1").inner_text() == "fang.wang"
            screenshot(page, "sso-registered")
            assert LinkStore(accounts_url(state)).username_for(idp.issuer, SUB_STRANGER) == "fang.wang"
            assert people_sso.linked_username(store, idp.issuer, SUB_STRANGER) == "fang.wang"
            assert invitations.list_invitations(store, system, state="used").items[0].used_by == "fang.wang"

            # 7. A third person opens the used invitation's link: it leads to the provider's sign-in
            #    and back with the code filled in, which is refused as used.
            page.click("#logout")
            page.wait_for_url(f"{idp.issuer}/session/end**")
            page.get_by_role("button", name="Yes, sign me out").click()
            page.wait_for_url(url + "hub/login", timeout=30_000)
            page.goto(good.link(url))
            sign_in_at_provider(page, SUB_THIRD)
            page.locator("#mnss-sso-invitation").wait_for(timeout=30_000)
            assert page.locator("#mnss-code").input_value() == good.code
            with page.expect_navigation():
                page.click("#mnss-code-submit")
            assert "已被使用" in page.locator("[data-refusal]").inner_text()
            assert LinkStore(accounts_url(state)).username_for(idp.issuer, SUB_THIRD) is None
            store.close()

            # 8. A registration waiting for an institution admin's approval (registered where the
            #    policy asks for it, held back and linked as SSO registration leaves it): the person
            #    is told to wait, not that the account is gone; once approved they sign in.
            site = siteconfig.complete(siteconfig.validate(config))
            site["accounts"]["approval"] = "institution_admin"
            waiting = people_site.open_store(site)
            issued = invitations.create_invitation(waiting, system, invitations.InvitationRequest("示例医院", "赵六"))
            assert profiles.register(waiting, issued.code, ZHAO, username="zhao.liu").status == "pending"
            accounts = AccountStore(accounts_url(state))
            accounts.create("zhao.liu", "not-used-with-sso-0", must_change=False)
            accounts.set_disabled("zhao.liu", True)
            LinkStore(accounts_url(state)).link(idp.issuer, SUB_THIRD, "zhao.liu", how="invitation")
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            page.click("#mnss-sso-login")  # still signed in at the provider
            refused = page.locator("#mnss-sso-refused")
            refused.wait_for(timeout=30_000)
            assert refused.get_attribute("data-reason") == "pending"
            assert refused.inner_text() == "账号待审核"
            assert "once your institution's administrator approves" in page.content()
            screenshot(page, "sso-pending")
            profiles.approve(waiting, system, "zhao.liu")
            accounts.set_disabled("zhao.liu", False)
            waiting.close()
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            page.click("#mnss-sso-login")
            page.wait_for_url(url + "hub/home", timeout=30_000)
            assert page.locator("nav span.me-1").inner_text() == "zhao.liu"

            hub_log = log.read_text()
            assert "User logged in: li.wei" in hub_log
            assert "User logged in: fang.wang (registered through SSO)" in hub_log
            assert FEMALE_ID not in hub_log and "13912345678" not in hub_log
            codes = [invitations.normalize_code(i.code) for i in (good, revoked, expired)]
            assert not any(code in invitations.normalize_code(hub_log) for code in codes), "codes are secrets"
            assert all(urlparse(u).hostname not in ("127.0.0.1", "localhost") for u in blocked)
    assert yaml.safe_load(config_text)["auth"]["type"] == "oidc"
