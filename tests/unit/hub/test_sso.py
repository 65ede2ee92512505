"""auth.type oidc: the config it needs, the secret file, ID token checks, and who an identity logs in as.

The whole login against a real provider is in tests/integration/test_sso_browser.py.
"""

import asyncio
import http.server
import json
import os
import threading
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from tornado import web
from traitlets.config import Config

from mnss_hub import apply, siteconfig
from mnss_hub.accounts import AccountStore
from mnss_hub.people import SYSTEM, Actor, invitations, profiles
from mnss_hub.sso import (
    OIDCAuthenticator,
    SSOConfigError,
    SubjectNotLinked,
    discover,
    read_secret_file,
    verified_claims,
)
from mnss_hub.sso_links import LinkStore
from mnss_hub.sso_register import local_path
from tests.support.hubproc import accounts_url

ISS = "https://idp.hospital.example"
OFF = {"culler": {"enabled": False}, "courses": {"enabled": False}, "recommender": {"enabled": False}}


def applied(oidc: dict, state="/srv/m"):
    c = Config()
    site = siteconfig.validate({**OFF, "hub": {"state_dir": state}, "auth": {"type": "oidc", "oidc": oidc}})
    apply.apply_site_config(c, site)
    return c


def test_oidc_config_sets_the_authenticator_without_the_secret():
    c = applied(
        {
            "issuer": ISS,
            "client_id": "mnss-hub",
            "client_secret_file": "/etc/mnss/oidc-secret",
            "scopes": ["openid", "profile", "email"],
        }
    )
    assert c.JupyterHub.authenticator_class == "mnss_hub.sso.OIDCAuthenticator"
    a = c.OIDCAuthenticator
    assert (a.issuer, a.client_id, a.client_secret_file) == (ISS, "mnss-hub", "/etc/mnss/oidc-secret")
    assert a.scope == ["openid", "profile", "email"] and a.identity_claim == "sub" and a.discovery is True
    assert a.accounts_url == "sqlite:////srv/m/people.sqlite"
    assert a.legacy_accounts_file == "/srv/m/accounts.sqlite"
    assert a.link_by_preferred_username is False
    assert "client_secret" not in a


def test_oidc_config_names_what_is_missing():
    with pytest.raises(siteconfig.ConfigError) as err:
        applied({"scopes": ["profile"]})
    text = str(err.value)
    assert "auth.oidc.issuer: empty" in text and "auth.oidc.client_id: empty" in text
    assert "auth.oidc.scopes: ['profile'] lacks 'openid'" in text


def test_bad_oidc_keys_are_named_by_the_schema():
    with pytest.raises(siteconfig.ConfigError, match=r"auth\.oidc\.issuer"):
        applied({"issuer": "idp.hospital.example", "client_id": "x"})
    with pytest.raises(siteconfig.ConfigError, match=r"auth\.oidc\.client_secret"):
        applied({"issuer": ISS, "client_id": "x", "client_secret": "in-the-config"})


def test_secret_file_must_be_private(tmp_path):
    path = tmp_path / "secret"
    path.write_text("s3cret\n")
    os.chmod(path, 0o644)
    with pytest.raises(SSOConfigError, match="readable by others"):
        read_secret_file(str(path))
    os.chmod(path, 0o600)
    assert read_secret_file(str(path)) == "s3cret"
    with pytest.raises(SSOConfigError, match="cannot read"):
        read_secret_file(str(tmp_path / "missing"))


@pytest.fixture
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def authenticator(tmp_path, key):
    a = OIDCAuthenticator(
        issuer=ISS,
        discovery=False,
        client_id="mnss-hub",
        client_secret="s",
        authorize_url=ISS + "/auth",
        token_url=ISS + "/token",
        userdata_url=ISS + "/me",
        jwks_url=ISS + "/jwks",
        accounts_url=accounts_url(tmp_path),
    )
    a._jwks = SimpleNamespace(get_signing_key_from_jwt=lambda token: SimpleNamespace(key=key.public_key()))
    return a


def id_token(key, **claims):
    now = int(time.time())
    return jwt.encode(
        {"iss": ISS, "aud": "mnss-hub", "sub": "sub-1", "iat": now, "exp": now + 60, **claims}, key, algorithm="RS256"
    )


def test_id_token_is_checked(authenticator, key):
    assert authenticator.verify_id_token(id_token(key))["sub"] == "sub-1"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad, why in [
        (id_token(other), "Signature"),
        (id_token(key, iss="https://evil.example"), "issuer"),
        (id_token(key, aud="another-client"), "Audience"),
        (id_token(key, exp=1), "expired"),
        (
            jwt.encode({"iss": ISS, "aud": "mnss-hub", "sub": "x", "exp": 2**31}, "s" * 32, algorithm="HS256"),
            "alg value is not allowed",
        ),
    ]:
        with pytest.raises(web.HTTPError) as err:
            authenticator.verify_id_token(bad)
        assert err.value.status_code == 403 and why.lower() in err.value.log_message.lower(), err.value.log_message


def test_missing_settings_are_named(tmp_path):
    with pytest.raises(SSOConfigError, match="no authorize_url, token_url, userdata_url, jwks_url, client_secret"):
        OIDCAuthenticator(issuer=ISS, discovery=False, client_id="mnss-hub")


def test_only_a_linked_identity_gets_its_account(authenticator, tmp_path):
    AccountStore(accounts_url(tmp_path)).create("li.wei", "a-long-password")
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-1", {"preferred_username": "li.wei"}, "")
    assert refused.value.reason == "not-linked"
    LinkStore(accounts_url(tmp_path)).link(ISS, "sub-1", "li.wei", how="admin")
    assert authenticator.resolve_username("sub-1", {"preferred_username": "someone.else"}, "") == "li.wei"


def test_a_removed_account_is_refused_even_when_linked(authenticator, tmp_path):
    LinkStore(accounts_url(tmp_path)).link(ISS, "sub-1", "gone", how="admin")
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-1", {}, "")
    assert refused.value.reason == "account-gone"


def test_preferred_username_links_only_when_allowed_and_only_free_accounts(authenticator, tmp_path):
    AccountStore(accounts_url(tmp_path)).create("li.wei", "a-long-password")
    authenticator.link_by_preferred_username = True
    assert authenticator.resolve_username("sub-1", {"preferred_username": "Li.Wei"}, "") == "li.wei"
    with pytest.raises(SubjectNotLinked):  # a second identity naming the same account does not get it
        authenticator.resolve_username("sub-2", {"preferred_username": "li.wei"}, "")
    with pytest.raises(SubjectNotLinked):  # nor one naming an account that does not exist
        authenticator.resolve_username("sub-3", {"preferred_username": "nobody"}, "")


def test_an_invitation_hook_links_the_identity(authenticator, tmp_path):
    AccountStore(accounts_url(tmp_path)).create("wang.fang", "a-long-password")
    calls = []
    authenticator.link_by_invitation = lambda code, iss, sub: (
        calls.append((code, iss, sub)) or ("wang.fang" if code == "good" else None)
    )
    with pytest.raises(SubjectNotLinked):
        authenticator.resolve_username("sub-9", {}, "bad")
    assert authenticator.resolve_username("sub-9", {}, "good") == "wang.fang"
    assert calls == [("bad", ISS, "sub-9"), ("good", ISS, "sub-9")]
    assert LinkStore(accounts_url(tmp_path)).all()[0].how == "invitation"
    assert authenticator.resolve_username("sub-9", {}, "") == "wang.fang", "linked once, no code needed again"


def test_hub_names_are_normalised(authenticator):
    assert authenticator.normalize_username("Ｌｉ.Wei") == "li.wei"
    assert authenticator.validate_username("li.wei") and not authenticator.validate_username("Li Wei")


def test_a_session_ends_when_its_link_or_account_goes(authenticator, tmp_path):
    user = SimpleNamespace(name="li.wei")
    accounts, links = AccountStore(accounts_url(tmp_path)), LinkStore(accounts_url(tmp_path))
    accounts.create("li.wei", "a-long-password")
    links.link(ISS, "sub-1", "li.wei", how="admin")
    assert asyncio.run(authenticator.refresh_user(user)) is True
    links.unlink(ISS, "sub-1")
    assert asyncio.run(authenticator.refresh_user(user)) is False


def test_discovery_refuses_a_document_of_another_issuer():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"issuer": "https://elsewhere.example"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        issuer = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(SSOConfigError, match="names the issuer 'https://elsewhere.example'"):
            discover(issuer)
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(SSOConfigError, match="cannot read the discovery document"):
        discover(issuer, timeout=2)  # nothing listens there any more


def test_an_unlinked_identity_carries_only_verified_claims_to_registration(authenticator):
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-5", {"name": "王芳", "email": "w@h.example", "email_verified": True}, "")
    assert refused.value.claims == {"name": "王芳", "email": "w@h.example"}
    assert verified_claims({"name": "赵六", "email": "z@h.example", "email_verified": False}) == {"name": "赵六"}
    assert verified_claims({"email": "z@h.example", "email_verified": "true"}) == {"name": ""}


def test_a_disabled_account_is_refused_and_its_session_ends(authenticator, tmp_path):
    accounts = AccountStore(accounts_url(tmp_path))
    accounts.create("li.wei", "a-long-password", must_change=False)
    LinkStore(accounts_url(tmp_path)).link(ISS, "sub-1", "li.wei", how="admin")
    assert authenticator.resolve_username("sub-1", {}, "") == "li.wei"
    accounts.set_disabled("li.wei", True)
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-1", {}, "")
    assert refused.value.reason == "account-gone"
    assert asyncio.run(authenticator.refresh_user(SimpleNamespace(name="li.wei"))) is False


def test_after_registering_only_a_local_path_is_followed():
    assert local_path("/hub/home") == "/hub/home"
    assert local_path("//evil.example/x") == local_path("https://evil.example") == local_path(None) == ""


def test_a_registration_waiting_for_approval_is_told_so_not_that_it_is_gone(authenticator, tmp_path):
    site = siteconfig.complete(
        siteconfig.validate(
            {"mode": "local", "hub": {"state_dir": str(tmp_path)}, "accounts": {"approval": "institution_admin"}}
        )
    )
    authenticator.people_site = site
    store = authenticator.people_pages.store
    system = Actor("cli:test", SYSTEM)
    code = invitations.create_invitation(store, system, invitations.InvitationRequest("示例医院")).code
    form = {
        **{"name": "李伟", "gender": "male", "id_number": "110101199003071233", "institution": "示例医院"},
        **{"department": "信息中心", "position": "staff", "title": "engineer", "mobile": "13812345678"},
        **{"email": "li.wei@hospital.example", "consent": "on"},
    }
    assert profiles.register(store, code, form, username="li.wei").status == "pending"
    accounts = AccountStore(accounts_url(tmp_path))
    accounts.create("li.wei", "a-long-password", must_change=False)
    accounts.set_disabled("li.wei", True)  # as registration holds a pending account back
    LinkStore(accounts_url(tmp_path)).link(ISS, "sub-1", "li.wei", how="invitation")
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-1", {}, "")
    assert refused.value.reason == "pending"

    profiles.approve(store, system, "li.wei")
    accounts.set_disabled("li.wei", False)
    assert authenticator.resolve_username("sub-1", {}, "") == "li.wei"
    profiles.disable(store, system, "li.wei", "left")
    accounts.set_disabled("li.wei", True)
    with pytest.raises(SubjectNotLinked) as refused:
        authenticator.resolve_username("sub-1", {}, "")
    assert refused.value.reason == "account-gone", "disabled after approval: not 'waiting'"
    store.close()
