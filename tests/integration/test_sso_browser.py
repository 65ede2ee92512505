"""Institutional sign-in in Chromium against a real OpenID Connect provider (oidc-provider, started
by the test on 127.0.0.1): an unlinked identity is refused with the bilingual page that names its
subject, the administrator links that subject to the real-name account, the person reaches the hub
as that account, and logout ends both the hub session and the provider's; an identity that only
claims the same preferred_username stays refused until it brings an invitation code, which the
`link_by_invitation` hook (here a stand-in for the invitations module) turns into its account."""

import subprocess
from urllib.parse import urlparse

import pytest
import yaml

from mnss_hub.sso_links import LinkStore
from tests.support import oidcproc
from tests.support.browser import browser_page, chromium_path, screenshot
from tests.support.hubproc import VENV_BIN, create_accounts, running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

if chromium_path() is None:
    pytest.skip("Chromium is not installed (make test installs it)", allow_module_level=True)
if oidcproc.available():
    pytest.skip(oidcproc.available(), allow_module_level=True)

SUB_LI = "9f1c2d7e-4b5a-4c3e-8d21-0a6b5e7f3c11"  # fixed, opaque, as an institution's directory gives it
SUB_STRANGER = "27e8a0b4-6c1d-4f9e-b3a2-5d4c8e1f7a90"
ACCOUNTS = {
    SUB_LI: {"preferred_username": "li.wei", "name": "李伟"},
    # someone else whose display name and preferred_username copy Li Wei's
    SUB_STRANGER: {"preferred_username": "li.wei", "name": "李伟"},
}


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
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "invitations.py").write_text(
        "c.OIDCAuthenticator.link_by_invitation = lambda code, issuer, sub: 'wang.fang' if code == 'INV-1' else None\n"
    )
    config["hub"]["extra_config_dir"] = str(extra)
    with oidcproc.running_provider(tmp_path / "idp", url, ACCOUNTS) as idp:
        config["auth"] = {
            "type": "oidc",
            "oidc": {
                "issuer": idp.issuer,
                "client_id": idp.client_id,
                "client_secret_file": str(idp.secret_file),
                "callback_url": url + "hub/oauth_callback",
                "display_name": "Test IdP",
            },
        }
        with running_hub(tmp_path / "hub", config) as (url, proc, log), browser_page() as page:
            config_text = (tmp_path / "hub" / "mnss.yaml").read_text()
            assert idp.secret_file.read_text().strip() not in config_text
            blocked = loopback_only(page)

            # 1. Not linked yet: refused, with the identity to give the administrator.
            page.goto(url + "hub/login?next=%2Fhub%2Fhome")
            assert "Test IdP" in page.locator("#mnss-sso-login").inner_text()
            page.click("#mnss-sso-login")
            page.wait_for_url(f"{idp.issuer}/**")
            sign_in_at_provider(page, SUB_LI)
            refused = page.locator("#mnss-sso-refused")
            refused.wait_for(timeout=30_000)
            assert refused.get_attribute("data-reason") == "not-linked"
            assert refused.inner_text() == "无法登录：统一身份未关联账号"
            assert page.locator("#mnss-sso-identity").inner_text() == f"issuer: {idp.issuer}\nsub: {SUB_LI}"
            screenshot(page, "sso-refused-zh")

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
            assert LinkStore(state / "accounts.sqlite").username_for(idp.issuer, SUB_LI) == "li.wei"

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

            # 5. Another person claiming the same preferred_username is still refused.
            sign_in_at_provider(page, SUB_STRANGER)
            page.locator("#mnss-sso-refused").wait_for(timeout=30_000)
            assert SUB_STRANGER in page.locator("#mnss-sso-identity").inner_text()
            assert [link.subject for link in LinkStore(state / "accounts.sqlite").all()] == [SUB_LI]

            # 6. With an invitation code the hook links the identity to the invited account.
            page.goto(url + "hub/oauth_login?invitation=INV-0&next=%2Fhub%2Fhome")
            page.locator("#mnss-sso-refused").wait_for(timeout=30_000)  # a code the hook does not know
            page.goto(url + "hub/oauth_login?invitation=INV-1&next=%2Fhub%2Fhome")
            page.wait_for_url(url + "hub/home", timeout=30_000)
            assert page.locator("nav span.me-1").inner_text() == "wang.fang"
            assert LinkStore(state / "accounts.sqlite").username_for(idp.issuer, SUB_STRANGER) == "wang.fang"

            hub_log = log.read_text()
            assert f"SSO login refused (not-linked) for subject '{SUB_STRANGER}'" in hub_log
            assert "User logged in: li.wei" in hub_log
            assert all(urlparse(u).hostname not in ("127.0.0.1", "localhost") for u in blocked)
    assert yaml.safe_load(config_text)["auth"]["type"] == "oidc"
