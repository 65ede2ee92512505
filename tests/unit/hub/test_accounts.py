"""Invitation-only accounts: hashes only, precise refusals, a private database file."""

import stat
import time

import pytest
from sqlalchemy import delete

from mnss_hub.accounts import AccountError, AccountStore, Verdict, check_username, generate_password
from mnss_hub.people import PeopleStore, directory, load_keyring
from mnss_hub.people.tables import invitations
from mnss_hub.sso_links import LinkStore
from tests.support.hubproc import accounts_url


@pytest.fixture
def store(tmp_path):
    return AccountStore(accounts_url(tmp_path / "state"), min_password_length=10)


def test_create_and_verify(store):
    store.create("alice", "a-long-password")
    assert store.verify("alice", "a-long-password")
    assert not store.verify("alice", "a-long-passwore")
    assert not store.verify("bob", "a-long-password")
    assert store.awaiting_new_password("alice")


def test_password_is_not_stored_in_clear(store, tmp_path):
    store.create("alice", "a-long-password")
    store.engine.dispose()  # the write-ahead log back into the file
    files = list((tmp_path / "state").iterdir())
    assert files and all(b"a-long-password" not in f.read_bytes() for f in files)
    assert stat.S_IMODE((tmp_path / "state" / "people.sqlite").stat().st_mode) == 0o600


def test_duplicate_account_refused(store):
    store.create("alice", "a-long-password")
    with pytest.raises(AccountError, match="account 'alice' already exists"):
        store.create("alice", "another-password")


def test_short_password_refused_and_nothing_written(store):
    with pytest.raises(AccountError, match="at least 10 characters"):
        store.create("alice", "short")
    assert not store.exists("alice")


@pytest.mark.parametrize("name", ["", "Alice", "-x", "a" * 33, "a b", "张三"])
def test_bad_usernames(name):
    with pytest.raises(AccountError, match="is not allowed"):
        check_username(name)


def test_set_password_clears_must_change(store):
    store.create("alice", "a-long-password")
    store.set_password("alice", "new-long-password")
    assert store.verify("alice", "new-long-password") and not store.verify("alice", "a-long-password")
    assert not store.awaiting_new_password("alice")
    with pytest.raises(AccountError, match="no account 'bob'"):
        store.set_password("bob", "new-long-password")


def test_generated_passwords_are_long_and_different():
    first, second = generate_password(), generate_password()
    assert len(first) == 19 and first != second


def test_check_tells_one_time_from_own_password_and_hides_disabled(store):
    store.create("alice", "one-time-pass-1")
    assert store.check("alice", "one-time-pass-1") is Verdict.MUST_CHANGE
    store.set_password("alice", "my-own-password")
    assert store.check("alice", "my-own-password") is Verdict.OK
    assert store.in_good_standing("alice")
    store.set_disabled("alice")
    # a disabled account answers like a wrong password, and its sessions end
    assert store.check("alice", "my-own-password") is Verdict.WRONG
    assert not store.in_good_standing("alice")
    store.set_disabled("alice", False)
    assert store.check("alice", "my-own-password") is Verdict.OK
    store.remove("alice")
    assert store.check("alice", "my-own-password") is Verdict.WRONG and not store.in_good_standing("alice")


def test_a_password_over_72_bytes_is_refused_as_too_long(store):
    store.create("alice", "one-time-pass-1")
    with pytest.raises(AccountError) as err:
        store.set_password("alice", "密" * 25)  # 25 characters, 75 bytes
    assert err.value.code == "password-too-long" and "72 bytes" in str(err.value)
    with pytest.raises(AccountError) as err:
        store.set_password("alice", "short")
    assert err.value.code == "password-too-short"
    store.set_password("alice", "密" * 24)  # 72 bytes: allowed, and all of it counts
    assert store.check("alice", "密" * 24) is Verdict.OK
    assert store.check("alice", "密" * 24 + "x") is Verdict.WRONG


def test_password_fingerprint_changes_with_the_password(store):
    store.create("alice", "one-time-pass-1")
    first = store.password_fingerprint("alice")
    store.set_password("alice", "one-time-pass-1")  # same text, new salt: a new hash
    assert first and store.password_fingerprint("alice") != first
    assert store.password_fingerprint("nobody") == ""


def test_only_an_enabled_account_with_a_one_time_password_may_choose_a_new_one(store):
    store.create("alice", "one-time-pass-1")
    assert store.awaiting_new_password("alice")
    store.set_disabled("alice")
    assert not store.awaiting_new_password("alice")
    store.set_disabled("alice", False)
    store.set_password("alice", "my-own-password")
    assert not store.awaiting_new_password("alice") and not store.awaiting_new_password("bob")


def test_checks_inside_a_people_write_on_the_same_database_do_not_wait(tmp_path):
    """Registration asks whether a username is taken while its own transaction holds the write
    lock of the one database file: the account checks read beside it instead of waiting for it."""
    url = accounts_url(tmp_path)
    people = PeopleStore(url, load_keyring(tmp_path / "pii.key", environ={}), directory.load())
    accounts = AccountStore(url)
    accounts.create("alice", "a-long-password", must_change=False)
    started = time.monotonic()
    try:
        with people.begin() as conn:
            conn.execute(delete(invitations))  # a write: this transaction holds the lock now
            assert accounts.exists("alice") and not accounts.exists("bob")
            assert accounts.check("alice", "a-long-password") is Verdict.OK
            assert LinkStore(url).username_for("https://idp.example", "sub-1") is None
    finally:
        people.close()
    assert time.monotonic() - started < 10, "a check waited for the write lock"
