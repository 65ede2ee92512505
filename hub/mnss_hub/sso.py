"""Institutional sign-in with OpenID Connect, on oauthenticator's GenericOAuthenticator.

What this adds to the generic authenticator, and why:
- endpoints from the issuer's discovery document at start-up, so a site names only its issuer;
- the ID token's signature, issuer and audience are checked against the provider's keys, and
  the identity is the verified (issuer, `sub`) pair: names and e-mails can be edited, `sub` not;
- an identity logs in only as the account an administrator (`mnss-hub sso link`), an invitation,
  or (where the site allows it) the provider's preferred_username linked it to. Where the site
  has real-name registration (`people_site`), an unlinked identity is sent on to /hub/sso-register
  (sso_register.py) to redeem its invitation; otherwise it gets a bilingual refusal page that shows
  what to send to the administrator;
- hub logout also ends the provider's session when it offers RP-initiated logout
  (oauthenticator itself only knows a fixed logout redirect).
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import jwt
import requests
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.oauth2 import OAuthCallbackHandler, OAuthLoginHandler, OAuthLogoutHandler
from tornado import web
from tornado.httputil import url_concat
from traitlets import Bool, Callable, Unicode

from . import account_guard, sso_register, token_guard
from .account_settings import AccountSettings
from .accounts import AccountStore
from .logout import EveryBrowserLogout
from .people import profiles
from .sso_links import LinkError, LinkStore, normalise_username

INVITATION_COOKIE = "mnss-sso-invitation"
# Asymmetric algorithms only: an HS256 token would be "signed" with the client secret we hold.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class SSOConfigError(ValueError):
    """The OpenID Connect settings cannot work; the message names the setting."""


class SubjectNotLinked(Exception):
    """A verified identity that no account is linked to (or whose account is gone)."""

    def __init__(self, issuer: str, subject: str, reason: str, claims: dict | None = None):
        super().__init__(f"{reason}: subject {subject!r} of {issuer}")
        self.issuer, self.subject, self.reason = issuer, subject, reason
        self.claims = claims or {}


def verified_claims(claims: dict) -> dict:
    """What registration may pre-fill from the provider: the name, and the e-mail only when the
    provider says it verified it. Pre-filled values are still checked like typed ones."""
    found = {"name": claims.get("name") if isinstance(claims.get("name"), str) else ""}
    if claims.get("email_verified") is True and isinstance(claims.get("email"), str):
        found["email"] = claims["email"]
    return found


def discover(issuer: str, timeout: float = 10) -> dict:
    """The provider's metadata from `<issuer>/.well-known/openid-configuration` (OIDC Discovery 1.0)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        meta = response.json()
    except (requests.RequestException, ValueError) as err:
        raise SSOConfigError(f"auth.oidc.issuer: cannot read the discovery document {url}: {err}") from None
    if meta.get("issuer") != issuer:
        # Discovery 1.0, section 4.3: a document for another issuer must not be used.
        raise SSOConfigError(f"auth.oidc.issuer: {issuer!r}, but {url} names the issuer {meta.get('issuer')!r}")
    return meta


def read_secret_file(path: str) -> str:
    """The client secret from a file only its owner may read (like the hub's cookie secret)."""
    try:
        mode = os.stat(path).st_mode
        text = Path(path).read_text("utf-8").strip()
    except OSError as err:
        raise SSOConfigError(f"auth.oidc.client_secret_file: cannot read {path}: {err.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SSOConfigError(
            f"auth.oidc.client_secret_file: {path} is readable by others (mode {stat.S_IMODE(mode):04o}); chmod 600 it"
        )
    if not text:
        raise SSOConfigError(f"auth.oidc.client_secret_file: {path} is empty")
    return text


class SSOLoginHandler(OAuthLoginHandler):
    """Start the provider's login; an `?invitation_code=CODE` is kept (signed, short-lived) for the
    callback. The parameter's name contains "code", so JupyterHub's access log hides its value."""

    def get(self):
        code = self.get_argument("invitation_code", "")
        if code:
            self.set_secure_cookie(
                INVITATION_COOKIE,
                code[:200],
                expires_days=1 / 24,
                httponly=True,
                path=self.hub.base_url,
                samesite="Lax",
            )
        return super().get()


class SSOCallbackHandler(OAuthCallbackHandler):
    """The provider's redirect back: an identity without an account gets the refusal page."""

    async def get(self):
        try:
            await super().get()
        except SubjectNotLinked as refused:
            if refused.reason == "not-linked" and self.authenticator.people_site:
                self.log.info("SSO identity of %s not linked yet: asked for an invitation", refused.issuer)
                identity = {"issuer": refused.issuer, "sub": refused.subject, **refused.claims}
                identity["next"] = self.get_next_url()  # from the login's state, for after registering
                sso_register.remember_identity(self, json.dumps(identity))
                code = self.invitation_code()
                self.redirect(url_concat(self.hub.base_url + "sso-register", {"code": code} if code else {}))
                return
            self.log.warning(
                "SSO login refused (%s) for subject %r of %s", refused.reason, refused.subject, refused.issuer
            )
            self.set_status(403)
            html = await self.render_template(
                "sso-refused.html", reason=refused.reason, issuer=refused.issuer, subject=refused.subject
            )
            self.finish(html)
        finally:
            self.clear_cookie(INVITATION_COOKIE, path=self.hub.base_url)

    def invitation_code(self) -> str:
        value = self.get_secure_cookie(INVITATION_COOKIE, max_age_days=1 / 24)
        return value.decode("utf-8", "replace") if value else ""


class SSOLogoutHandler(EveryBrowserLogout, OAuthLogoutHandler):
    """Clear the user's hub sessions (every browser's, mnss_hub.logout), then end the provider's
    session (RP-initiated logout)."""

    async def render_logout_page(self):
        end_session = self.authenticator.end_session_url
        if not end_session:
            return await super().render_logout_page()
        after = self.authenticator.post_logout_redirect_url or (
            f"{self.request.protocol}://{self.request.host}{self.hub.base_url}login"
        )
        self.redirect(
            url_concat(end_session, {"client_id": self.authenticator.client_id, "post_logout_redirect_uri": after})
        )


class OIDCAuthenticator(AccountSettings, GenericOAuthenticator):
    """OpenID Connect login where only linked identities get in (see the module docstring)."""

    login_handler = SSOLoginHandler
    callback_handler = SSOCallbackHandler
    logout_handler = SSOLogoutHandler
    client_secret_env = "MNSS_OIDC_CLIENT_SECRET"

    issuer = Unicode(help="The provider's issuer URL, exactly as its ID tokens name it.").tag(config=True)
    discovery = Bool(
        True,
        help="Fill the endpoints not set here from the issuer's discovery document at start-up.",
    ).tag(config=True)
    jwks_url = Unicode(help="The provider's signing keys (JWKS); from discovery when empty.").tag(config=True)
    end_session_url = Unicode(
        help="The provider's RP-initiated logout endpoint; from discovery when empty. Without one, "
        "logout ends only the hub session.",
    ).tag(config=True)
    post_logout_redirect_url = Unicode(
        help="Where the provider sends the browser after logout (register it there); empty: the hub's login page.",
    ).tag(config=True)
    client_secret_file = Unicode(
        help="File (mode 0600) holding the client secret; else the MNSS_OIDC_CLIENT_SECRET environment variable.",
    ).tag(config=True)
    identity_claim = Unicode(
        "sub",
        help="The immutable claim that identifies a person at the provider (with the issuer).",
    ).tag(config=True)
    link_by_preferred_username = Bool(
        False,
        help="Link an unknown identity to the existing, unlinked account named by its preferred_username "
        "claim. Only for providers where that name is assigned by the institution, not by the person.",
    ).tag(config=True)
    link_by_invitation = Callable(
        None,
        allow_none=True,
        help="Hook (code, issuer, subject) -> username or None: an invitation code brought to "
        "/hub/oauth_login?invitation_code=CODE links the identity to an existing account. Without it (and "
        "with people_site), the code opens the real-name registration form at /hub/sso-register.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.issuer:
            raise SSOConfigError("auth.oidc.issuer: empty; name the provider's issuer URL")
        if self.client_secret_file:
            self.client_secret = read_secret_file(self.client_secret_file)
        if self.discovery:
            meta = discover(self.issuer)
            for trait, key in (
                ("authorize_url", "authorization_endpoint"),
                ("token_url", "token_endpoint"),
                ("userdata_url", "userinfo_endpoint"),
                ("jwks_url", "jwks_uri"),
                ("end_session_url", "end_session_endpoint"),
            ):
                if not getattr(self, trait) and meta.get(key):
                    setattr(self, trait, meta[key])
        missing = [
            t
            for t in ("authorize_url", "token_url", "userdata_url", "jwks_url", "client_id", "client_secret")
            if not getattr(self, t)
        ]
        if missing:
            raise SSOConfigError(f"auth.oidc: no {', '.join(missing)} (set them, or turn discovery on)")
        self._jwks = jwt.PyJWKClient(self.jwks_url, cache_keys=True, timeout=10)

    def get_handlers(self, app):
        extra = sso_register.handlers() if self.people_site else []
        return [*super().get_handlers(app), *extra, *token_guard.handlers(), *account_guard.handlers()]

    @property
    def links(self) -> LinkStore:
        return LinkStore(self.accounts_url)

    def normalize_username(self, username):
        return normalise_username(username)

    def validate_username(self, username):
        try:
            return normalise_username(username) == username
        except LinkError:
            return False

    def verify_id_token(self, id_token: str | None) -> dict:
        """The ID token's claims, once its signature, issuer, audience and expiry are checked."""
        if not id_token:
            raise web.HTTPError(403, "The provider returned no ID token (is 'openid' among the scopes?)")
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            return jwt.decode(
                id_token,
                key.key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=self.client_id,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.PyJWTError as err:
            raise web.HTTPError(403, f"ID token refused: {err}") from None

    def resolve_username(self, subject: str, user_info: dict, invitation: str, claims: dict | None = None) -> str:
        """The account this identity logs in as, linking it first where an invitation or the site allows."""
        links = self.links
        name = links.username_for(self.issuer, subject)
        if name is None and invitation and self.link_by_invitation:
            invited = self.link_by_invitation(invitation, self.issuer, subject)
            if invited:
                name = links.link(self.issuer, subject, invited, how="invitation").username
        if name is None and self.link_by_preferred_username and user_info.get("preferred_username"):
            try:
                wanted = normalise_username(user_info["preferred_username"])
                if AccountStore(self.accounts_url).exists(wanted):
                    name = links.link(self.issuer, subject, wanted, how="preferred_username").username
            except LinkError as err:
                self.log.info("SSO: not linked by preferred_username: %s", err)
        if name is None:
            raise SubjectNotLinked(self.issuer, subject, "not-linked", verified_claims({**user_info, **(claims or {})}))
        if not AccountStore(self.accounts_url).enabled(name):
            raise SubjectNotLinked(self.issuer, subject, "pending" if self.awaits_approval(name) else "account-gone")
        return name

    def awaits_approval(self, username: str) -> bool:
        """Is this held-back account a registration an institution admin has not approved yet (so
        the person is told to wait, not that their account is gone)?"""
        return bool(self.people_site) and profiles.status_of(self.people_pages.store, username) == "pending"

    def still_linked(self, username: str) -> bool:
        return (
            AccountStore(self.accounts_url).enabled(username)
            and self.links.subject_of(self.issuer, username) is not None
        )

    async def refresh_user(self, user, handler=None, **kwargs):
        """Every `auth_refresh_age` seconds of use: a session whose account was removed, or whose link
        an administrator undid, ends (False: sign in again). Provider tokens are not kept or refreshed:
        the hub needs only the identity, checked at sign-in."""
        return await asyncio.to_thread(self.still_linked, user.name)

    async def authenticate(self, handler, data=None, **kwargs):
        token_info = await self.get_token_info(handler, self.build_access_tokens_request_params(handler, data))
        user_info = await self.token_to_user(token_info)
        claims = await asyncio.to_thread(self.verify_id_token, token_info.get("id_token"))
        if user_info.get("sub") != claims["sub"]:
            # OIDC Core 5.3.2: userinfo for another subject than the ID token's must not be used.
            raise web.HTTPError(403, "The provider's userinfo names another subject than its ID token")
        subject = claims.get(self.identity_claim, user_info.get(self.identity_claim))
        if not isinstance(subject, str) or not subject:
            raise web.HTTPError(403, f"The provider sent no {self.identity_claim!r} claim")
        invitation = handler.invitation_code() if isinstance(handler, SSOCallbackHandler) else ""
        name = await asyncio.to_thread(self.resolve_username, subject, user_info, invitation, claims)
        auth_state = self.build_auth_state_dict(token_info, user_info)
        return {"name": name, "admin": True if name in self.admin_users else None, "auth_state": auth_state}
