"""The password accounts, SSO links and login counters on a real PostgreSQL (the hub's database
when the site config names one), an old accounts.sqlite imported into it, and failed logins
from many threads at once all counted."""

import threading

import pytest
from sqlalchemy import select

from mnss_hub import legacy_accounts
from mnss_hub.account_tables import engine_for, login_failures
from mnss_hub.accounts import AccountError, AccountStore, Verdict
from mnss_hub.sso_links import LinkError, LinkStore
from mnss_hub.throttle import Limits, LoginThrottle, ThrottlePolicy
from tests.integration.test_recommender_postgres import postgres_url  # noqa: F401 (fixture)
from tests.unit.hub.test_legacy_accounts import ISS, old_file

pytestmark = pytest.mark.integration


def test_accounts_on_postgresql(postgres_url, tmp_path):  # noqa: F811
    """One server for the three checks: starting one takes seconds."""
    try:
        accounts_and_links_behave_as_on_sqlite(postgres_url)
        failures_at_once_are_all_counted(postgres_url)
        an_old_file_is_imported(postgres_url, tmp_path)
    finally:
        engine_for(postgres_url).dispose()  # before the fixture stops the server


def accounts_and_links_behave_as_on_sqlite(url):
    store = AccountStore(url)
    store.create("alice", "one-time-pass-1")
    with pytest.raises(AccountError, match="already exists"):
        store.create("alice", "another-password")
    assert store.check("alice", "one-time-pass-1") is Verdict.MUST_CHANGE
    store.set_password("alice", "my-own-password")
    assert store.check("alice", "my-own-password") is Verdict.OK and store.in_good_standing("alice")
    store.set_disabled("alice")
    assert store.check("alice", "my-own-password") is Verdict.WRONG and not store.enabled("alice")
    with pytest.raises(AccountError, match="no account 'bob'"):
        store.set_disabled("bob")
    links = LinkStore(url)
    links.link(ISS, "sub-1", "alice", how="admin")
    with pytest.raises(LinkError, match="already linked"):
        links.link(ISS, "sub-2", "alice", how="admin")
    assert links.username_for(ISS, "sub-1") == "alice" and links.unlink_account("alice") == 1


def failures_at_once_are_all_counted(url):
    throttle = LoginThrottle(engine_for(url), ThrottlePolicy())
    limits = Limits(free_failures=100, lock_after=1000)
    barrier = threading.Barrier(8)

    def fail():
        barrier.wait()
        for _ in range(5):
            throttle.record_failure({"account:x": limits})

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine_for(url).connect() as conn:
        counted = select(login_failures.c.failures).where(login_failures.c.key == "account:x")
        assert conn.execute(counted).scalar_one() == 40
    throttle.record_failure({"account:y": Limits(free_failures=0, lock_after=1)})
    assert throttle.refusal(["account:y"]).locked


def an_old_file_is_imported(url, tmp_path):
    path = old_file(
        tmp_path / "accounts.sqlite",
        [("admin", "admin-own-password", False, False), ("gone", "gone-password-1", False, True)],
        links=[(ISS, "sub-1", "admin", "admin", "2026-01-02T03:04:05+00:00")],
    )
    assert legacy_accounts.import_once(path, url) == 2
    store = AccountStore(url)
    assert store.check("admin", "admin-own-password") is Verdict.OK
    assert store.check("gone", "gone-password-1") is Verdict.WRONG
    assert LinkStore(url).username_for(ISS, "sub-1") == "admin"
    assert (tmp_path / "accounts.sqlite.migrated").exists() and not path.exists()
