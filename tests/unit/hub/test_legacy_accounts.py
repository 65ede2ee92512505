"""An upgraded site's accounts.sqlite is imported into the hub's database once, all or nothing.

The old files are made with the exact schema earlier versions wrote (accounts.py, sso_links.py
and throttle.py before the account tables), hashes made with bcrypt as they were.
"""

import sqlite3
import time

import bcrypt
import pytest
from sqlalchemy import func, select

from mnss_hub import cli, legacy_accounts
from mnss_hub.account_tables import accounts as accounts_table, engine_for
from mnss_hub.accounts import AccountError, AccountStore, Verdict
from mnss_hub.auth import PasswordAuthenticator
from mnss_hub.sso_links import LinkStore
from mnss_hub.throttle import LoginThrottle, ThrottlePolicy
from tests.support.hubproc import accounts_url

ISS = "https://idp.hospital.example"
OLD_ACCOUNTS = (
    "CREATE TABLE IF NOT EXISTS accounts ("
    " name TEXT PRIMARY KEY, pw_hash BLOB NOT NULL, must_change INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
)
OLD_DISABLED = "ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0"
OLD_FAILURES = (
    "CREATE TABLE IF NOT EXISTS login_failures ("
    " key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last REAL NOT NULL,"
    " refused_until REAL NOT NULL, locked INTEGER NOT NULL)"
)
OLD_LINKS = (
    "CREATE TABLE IF NOT EXISTS sso_links ("
    " issuer TEXT NOT NULL, subject TEXT NOT NULL, username TEXT NOT NULL,"
    " how TEXT NOT NULL, created_at TEXT NOT NULL,"
    " PRIMARY KEY (issuer, subject), UNIQUE (issuer, username))"
)


def old_file(path, accounts, disabled_column=True, links=(), failures=()):
    """An accounts.sqlite as the previous version left it: (name, password, must_change, disabled)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute(OLD_ACCOUNTS)
    if disabled_column:
        db.execute(OLD_DISABLED)
        db.execute(OLD_FAILURES)
        db.execute(OLD_LINKS)
    for name, password, must_change, disabled in accounts:
        pw_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10))
        row = (name, pw_hash, int(must_change), "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05+00:00")
        if disabled_column:
            db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", (*row, int(disabled)))
        else:
            db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", row)
    if disabled_column:
        db.executemany("INSERT INTO sso_links VALUES (?, ?, ?, ?, ?)", links)
        db.executemany("INSERT INTO login_failures VALUES (?, ?, ?, ?, ?)", failures)
    db.commit()
    db.close()
    return path


def count(url):
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(accounts_table)).scalar_one()


def test_everything_is_imported_and_the_file_renamed(tmp_path):
    state = tmp_path / "state"
    until = time.time() + 600
    path = old_file(
        state / "accounts.sqlite",
        [("admin", "admin-own-password", False, False), ("nurse1", "one-time-pass-1", True, False)]
        + [("gone", "gone-password-1", False, True)],
        links=[(ISS, "sub-1", "nurse1", "invitation", "2026-01-02T03:04:05+00:00")],
        failures=[("account:abc", 10, time.time(), until, 1)],
    )
    before = path.read_bytes()
    url = accounts_url(state)
    assert legacy_accounts.import_once(path, url) == 3
    assert not path.exists() and (state / "accounts.sqlite.migrated").read_bytes() == before

    store = AccountStore(url)
    assert store.check("admin", "admin-own-password") is Verdict.OK
    assert store.check("admin", "wrong-password-1") is Verdict.WRONG
    assert store.check("nurse1", "one-time-pass-1") is Verdict.MUST_CHANGE
    assert store.check("gone", "gone-password-1") is Verdict.WRONG and store.exists("gone")
    assert store.in_good_standing("admin") and not store.enabled("gone")
    links = LinkStore(url).all()
    assert [(lk.subject, lk.username, lk.how, lk.created_at) for lk in links] == [
        ("sub-1", "nurse1", "invitation", "2026-01-02T03:04:05+00:00")
    ]
    refusal = LoginThrottle(store.engine, ThrottlePolicy()).refusal(["account:abc"])
    assert refusal and refusal.locked, "a lock in force before the upgrade still holds"
    assert legacy_accounts.import_once(path, url) is None, "imported once only"
    assert count(url) == 3


def test_the_oldest_format_without_disabling_links_or_counters(tmp_path):
    path = old_file(tmp_path / "accounts.sqlite", [("alice", "a-long-password", False, False)], disabled_column=False)
    url = accounts_url(tmp_path)
    assert legacy_accounts.import_once(path, url) == 1
    assert AccountStore(url).check("alice", "a-long-password") is Verdict.OK


def test_a_clash_changes_nothing_and_says_why(tmp_path):
    url = accounts_url(tmp_path)
    AccountStore(url).create("admin", "new-admin-password", must_change=False)
    path = old_file(
        tmp_path / "accounts.sqlite",
        [("alice", "a-long-password", False, False), ("admin", "old-admin-password", False, False)],
    )
    before = path.read_bytes()
    with pytest.raises(AccountError) as err:
        legacy_accounts.import_once(path, url)
    assert err.value.code == "import-failed"
    text = str(err.value)
    assert str(path) in text and "未能导入" in text and "could not be imported" in text and "already" in text
    assert path.read_bytes() == before and not (tmp_path / "accounts.sqlite.migrated").exists()
    store = AccountStore(url)
    assert not store.exists("alice"), "no half import"
    assert store.check("admin", "new-admin-password") is Verdict.OK


def test_a_damaged_file_is_named_and_kept(tmp_path):
    path = tmp_path / "accounts.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AccountError, match="not a readable account file") as err:
        legacy_accounts.import_once(path, accounts_url(tmp_path))
    assert "could not be imported" in str(err.value)
    assert path.exists() and count(accounts_url(tmp_path)) == 0


def test_an_empty_file_is_renamed_and_another_database_refused(tmp_path):
    empty = tmp_path / "accounts.sqlite"
    empty.touch()
    assert legacy_accounts.import_once(empty, accounts_url(tmp_path)) == 0
    assert (tmp_path / "accounts.sqlite.migrated").exists()
    other = tmp_path / "other" / "accounts.sqlite"
    other.parent.mkdir()
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(AccountError, match="it has no accounts table"):
        legacy_accounts.import_once(other, accounts_url(tmp_path))
    assert other.exists()


def config(tmp_path):
    path = tmp_path / "mnss.yaml"
    path.write_text(
        f"hub: {{state_dir: {tmp_path / 'state'}, admin_users: [admin]}}\n"
        "courses: {enabled: false}\nrecommender: {enabled: false}\n"
    )
    return str(path)


def test_a_cli_command_imports_first(tmp_path, capsys):
    """`mnss-hub reset-password` on an upgraded site finds the account the old file held."""
    old_file(tmp_path / "state" / "accounts.sqlite", [("nurse1", "nurse1-password", False, False)])
    assert cli.main(["--config", config(tmp_path), "reset-password", "nurse1"]) == 0
    out = capsys.readouterr().out
    assert "imported 1 account(s)" in out and "New one-time password for 'nurse1'" in out
    assert (tmp_path / "state" / "accounts.sqlite.migrated").exists()
    assert AccountStore(accounts_url(tmp_path / "state")).awaiting_new_password("nurse1")


def test_a_failed_import_stops_the_cli_with_the_reason(tmp_path, capsys):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "accounts.sqlite").write_bytes(b"garbage" * 200)
    assert cli.main(["--config", config(tmp_path), "add-user", "nurse2"]) == 2
    err = capsys.readouterr().err
    assert "could not be imported" in err and "未能导入" in err
    assert not AccountStore(accounts_url(tmp_path / "state")).exists("nurse2")


def test_the_hub_imports_at_start(tmp_path):
    path = old_file(tmp_path / "accounts.sqlite", [("admin", "admin-own-password", False, False)])
    auth = PasswordAuthenticator(accounts_url=accounts_url(tmp_path), legacy_accounts_file=str(path))
    assert not path.exists() and (tmp_path / "accounts.sqlite.migrated").exists()
    assert auth.store.check("admin", "admin-own-password") is Verdict.OK
