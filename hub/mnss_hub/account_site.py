"""Opening the accounts and SSO links where the site config says, old file imported first.

Every `mnss-hub` command that touches accounts goes through here, so an upgraded site's
`accounts.sqlite` is moved into the hub's database before anything reads or writes there.
"""

from __future__ import annotations

from . import apply, legacy_accounts
from .accounts import AccountStore
from .sso_links import LinkStore


def _imported(site: dict) -> str:
    url = apply.accounts_url(site)
    count = legacy_accounts.import_once(apply.legacy_accounts_file(site), url)
    if count is not None:
        print(legacy_accounts.imported_message(apply.legacy_accounts_file(site), count))
    return url


def open_accounts(site: dict) -> AccountStore:
    return AccountStore(_imported(site), site["auth"]["min_password_length"])


def open_links(site: dict) -> LinkStore:
    return LinkStore(_imported(site))
