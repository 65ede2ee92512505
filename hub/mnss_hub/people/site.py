"""Opening the people store the way the site config says (database, key, directory, policy)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from . import directory
from .crypto import load_keyring
from .store import PeopleStore

KEY_FILE = "pii.key"
DB_FILE = "people.sqlite"


def state_dir(site: dict) -> Path:
    return Path(site["hub"]["state_dir"])


def database_url(site: dict) -> str:
    """accounts.database_url, else the hub's own database when configured, else a SQLite file."""
    return site["accounts"]["database_url"] or site["hub"]["db_url"] or f"sqlite:///{state_dir(site) / DB_FILE}"


def key_file(site: dict) -> Path:
    return state_dir(site) / KEY_FILE


def open_store(site: dict, environ: Mapping[str, str] | None = None) -> PeopleStore:
    accounts = site["accounts"]
    return PeopleStore(
        database_url(site),
        load_keyring(key_file(site), environ),
        directory.load(accounts["directory_file"] or None),
        approval=accounts["approval"],
        key_loader=lambda: load_keyring(key_file(site), environ, create=False),
    )
