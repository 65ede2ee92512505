"""The settings both authenticators (password and OIDC) share: where the accounts and the
real-name people store are, and the earlier versions' accounts file imported once at start-up."""

from __future__ import annotations

from functools import cached_property

from traitlets import Dict, Unicode
from traitlets.config import LoggingConfigurable

from . import legacy_accounts, people_pages
from .accounts import AccountStore


class AccountSettings(LoggingConfigurable):
    """Mixed into an authenticator; its traits are set in the authenticator's own config section."""

    accounts_url = Unicode(
        help="SQLAlchemy URL of the hub's database with the accounts, their password hashes, the login "
        "counters and the SSO identity links (a SQLite file in the state folder, or PostgreSQL).",
    ).tag(config=True)

    legacy_accounts_file = Unicode(
        help="The accounts.sqlite of earlier versions: if it exists at start-up its rows are imported "
        "into accounts_url once and it is renamed accounts.sqlite.migrated.",
    ).tag(config=True)

    people_site = Dict(
        help="The site config's hub and accounts sections: where the real-name people store is. Set: "
        "invited people register (with SSO, an unlinked identity) and the people admin pages exist; "
        "empty: neither.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        legacy_accounts.import_at_start(self.legacy_accounts_file, self.accounts_url, self.log)

    @property
    def store(self) -> AccountStore:
        return AccountStore(self.accounts_url)

    @cached_property
    def people_pages(self) -> people_pages.PeoplePages:
        return people_pages.PeoplePages(self.people_site, self.store)
