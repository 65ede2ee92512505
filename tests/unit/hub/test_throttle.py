"""Login throttling: delays grow after the free failures, a lock follows, success forgives."""

import pytest
from sqlalchemy import select

from mnss_hub.account_tables import engine_for, login_failures
from mnss_hub.throttle import Limits, LoginThrottle, ThrottlePolicy
from tests.support.hubproc import accounts_url


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def throttle(tmp_path):
    clock = Clock()
    policy = ThrottlePolicy(
        account=Limits(free_failures=2, lock_after=5),
        address=Limits(free_failures=3, lock_after=8),
        base_delay=1.0,
        max_delay=3.0,
        lock_seconds=60.0,
        forget_after=600.0,
    )
    t = LoginThrottle(engine_for(accounts_url(tmp_path)), policy, clock)
    t.clock_ = clock
    return t


def fail(throttle, key="account:a"):
    return throttle.record_failure({key: throttle.policy.account})


def test_free_failures_then_doubling_delays_capped(throttle):
    waits = [fail(throttle) for _ in range(4)]
    assert waits[0] is None and waits[1] is None
    assert waits[2].retry_after == 1.0 and not waits[2].locked
    assert waits[3].retry_after == 2.0
    throttle.clock_.now += 2.0
    assert throttle.refusal(["account:a"]) is None
    # the 5th failure locks (lock_after=5), for lock_seconds
    locked = fail(throttle)
    assert locked.locked and locked.retry_after == 60.0
    refusal = throttle.refusal(["account:a", "address:x"])
    assert refusal.locked and refusal.retry_after == pytest.approx(60.0)
    throttle.clock_.now += 61
    assert throttle.refusal(["account:a"]) is None


def test_delay_is_capped(throttle):
    policy = throttle.policy
    assert policy.wait_after(4, Limits(free_failures=0, lock_after=100)) == (3.0, False)


def test_success_forgives_only_its_key(throttle):
    for _ in range(3):
        throttle.record_failure({"account:a": throttle.policy.account, "address:x": throttle.policy.address})
    throttle.forgive("account:a")
    throttle.clock_.now += 5
    assert fail(throttle) is None  # counting starts again for the account
    with throttle.engine.connect() as conn:
        rows = dict(conn.execute(select(login_failures.c.key, login_failures.c.failures)).all())
    assert rows == {"account:a": 1, "address:x": 3}


def test_failures_are_forgotten_after_a_quiet_time(throttle):
    for _ in range(4):
        fail(throttle)
    throttle.clock_.now += 601
    assert fail(throttle) is None


def test_the_worst_refusal_of_all_keys_counts(throttle):
    throttle.record_failure({"address:x": Limits(free_failures=0, lock_after=1)})
    refusal = throttle.refusal(["account:new", "address:x"])
    assert refusal.locked and refusal.retry_after == pytest.approx(60.0)
