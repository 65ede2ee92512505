"""CappedBody: the body within its limit, nothing once it went over or was discarded."""

from mnss_foundation.capped_body import CappedBody


def test_kept_within_the_limit():
    body = CappedBody(6)
    body.add(b"abc")
    body.add(b"def")
    assert (body.kept, body.data(), body.received) == (True, b"abcdef", 6)


def test_over_the_limit_counts_on_and_keeps_nothing():
    body = CappedBody(4)
    body.add(b"abc")
    body.add(b"de")
    body.add(b"f")
    assert (body.kept, body.data(), body.received) == (False, None, 6)


def test_discarded_keeps_nothing():
    body = CappedBody(100)
    body.discard()
    body.add(b"x")
    assert (body.data(), body.received) == (None, 1)
