"""A tunnel session reported by a user's server: checked field by field before anything is written,
then appended to the hash-chained audit log as the user's own entry."""

import copy

import pytest

from mnss_hub import tunnel_sessions
from mnss_hub.people.messages import CATALOGUES

RECORD = {
    "event": "tunnel_session",
    "user": "ann",
    "lab": "tun-ann-1",
    "gateway": "gw1",
    "started": "2026-12-02T05:00:00+00:00",
    "ended": "2026-12-02T05:03:10+00:00",
    "allowed": ["198.19.1.2/32:11112"],
    "rate_mbit": 0.5,
    "connections": [{"to": "198.19.1.2/32:11112", "opened": 3}],
    "bytes_out": 40211,
    "bytes_in": 2210,
    "dropped": {"packets": 4, "bytes": 240, "to": ["198.19.1.2", "198.19.1.3"]},
}


def changed(path: str, value):
    record = copy.deepcopy(RECORD)
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return record


def test_the_engines_record_passes():
    assert tunnel_sessions.problems(RECORD) == []


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("event", "login", "event: 'tunnel_session' was expected"),
        ("user", "", "user: '' should be non-empty"),
        ("lab", KeyError, "(record): 'lab' is a required property"),
        ("started", "yesterday", "started: 'yesterday' is not a 'date-time'"),
        ("bytes_out", -1, "bytes_out: -1 is less than the minimum of 0"),
        ("rate_mbit", 0, "rate_mbit: 0 is less than or equal to the minimum of 0"),
        ("connections", [{"to": "x", "opened": "3"}], "connections.0.opened: '3' is not of type 'integer'"),
        ("dropped.to", ["10.0.0.300"], "dropped.to.0: '10.0.0.300' is not a 'ipv4'"),
        ("dropped.more", 1, "dropped: Additional properties are not allowed ('more' was unexpected)"),
        ("ended", "2026-12-02T04:00:00+00:00", "ended: 2026-12-02T04:00:00+00:00 is before started"),
    ],
)
def test_each_bad_field_is_named(path, value, named):
    found = tunnel_sessions.problems(changed(path, value))
    assert any(named in line for line in found), found


def test_not_an_object_is_named():
    assert tunnel_sessions.problems(None) == ["(record): None is not of type 'object'"]


def test_the_session_is_the_users_entry_in_the_chain(store):
    entry = tunnel_sessions.record_session(store, "ann", RECORD)
    assert (entry.actor, entry.action, entry.subject) == ("ann", "tunnel_session", "profile ann")
    assert entry.detail == {
        "lab": "tun-ann-1",
        "gateway": "gw1",
        "started": "2026-12-02T05:00:00+00:00",
        "ended": "2026-12-02T05:03:10+00:00",
        "allowed": "198.19.1.2/32:11112",
        "rate_mbit": 0.5,
        "connections": "198.19.1.2/32:11112×3",
        "bytes_out": 40211,
        "bytes_in": 2210,
        "dropped_packets": 4,
        "dropped_bytes": 240,
        "dropped_to": "198.19.1.2 198.19.1.3",
    }
    with store.begin() as conn:
        assert [e.seq for e in store.audit.entries(conn, subject="profile ann")] == [entry.seq]
    assert store.verify_audit() is None


def test_the_audit_page_names_the_action_in_both_languages():
    assert CATALOGUES["audit_actions"].pair("tunnel_session") == ("使用虚实通道", "used the virtual-real tunnel")


def test_the_audit_page_lists_a_sessions_details_from_its_lab_to_what_was_dropped():
    from mnss_hub.people_pages import detail_in_order

    shown = [key for key, _ in detail_in_order({"zz": 1, **tunnel_sessions.detail(RECORD), "field": "mobile"})]
    assert shown[:3] == ["lab", "gateway", "started"]
    assert shown[-3:] == ["dropped_to", "field", "zz"]
