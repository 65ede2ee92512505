"""Invitation-only accounts: hashes only, precise refusals, private file."""

import stat

import pytest

from mnss_hub.accounts import AccountError, AccountStore, check_username, generate_password


@pytest.fixture
def store(tmp_path):
    return AccountStore(tmp_path / "state" / "accounts.sqlite", min_password_length=10)


def test_create_and_verify(store):
    store.create("alice", "a-long-password")
    assert store.verify("alice", "a-long-password")
    assert not store.verify("alice", "a-long-passwore")
    assert not store.verify("bob", "a-long-password")
    assert store.must_change("alice")


def test_password_is_not_stored_in_clear(store):
    store.create("alice", "a-long-password")
    assert b"a-long-password" not in store.path.read_bytes()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


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
    assert not store.must_change("alice")
    with pytest.raises(AccountError, match="no account 'bob'"):
        store.set_password("bob", "new-long-password")


def test_generated_passwords_are_long_and_different():
    first, second = generate_password(), generate_password()
    assert len(first) == 19 and first != second
