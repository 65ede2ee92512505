"""Ids that become path segments: a short alphabet, and a second check that paths stay inside."""

import pytest

from mnss_courses.exchange import names
from mnss_courses.exchange.names import BadName


@pytest.mark.parametrize("value", ["alice", "lan-build", "ps1", "a.b_c-d", "A1"])
def test_good_segments(value):
    assert names.check_segment(value, "id") == value


@pytest.mark.parametrize(
    "value", ["", ".", "..", ".hidden", "a/b", "a\\b", "../x", "x.", "a b", "ä", "-x", "a" * 65, "x\x00", None, 3]
)
def test_bad_segments(value):
    with pytest.raises(BadName):
        names.check_segment(value, "student id")


@pytest.mark.parametrize("value", ["hospital-lan", "ab"])
def test_good_course_ids(value):
    assert names.check_course_id(value) == value


@pytest.mark.parametrize("value", ["a", "Hospital", "1course", "x_y", "../x", "a" * 41])
def test_bad_course_ids(value):
    with pytest.raises(BadName):
        names.check_course_id(value)


def test_safe_join_stays_inside(tmp_path):
    assert names.safe_join(tmp_path, "a", "b.json") == tmp_path / "a" / "b.json"
    for segments in (("..", "x"), ("a", "..", "..", "x"), ("/etc",), ("a", ".."), ()):
        with pytest.raises(BadName):
            names.safe_join(tmp_path, *segments)


def test_safe_join_refuses_a_symlink_out(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "escape").symlink_to(tmp_path)
    with pytest.raises(BadName):
        names.safe_join(tmp_path / "root", "escape", "x")


def test_timestamps_and_submission_keys():
    text, key = names.now()
    assert text.endswith(" UTC") and len(text) == len("2024-01-01 10:00:00.000000 UTC")
    assert names.check_submission_key(key) == key
    assert names.check_submission_key(key + "-2") == key + "-2"
    for bad in ("../x", "2024", key + "/x"):
        with pytest.raises(BadName):
            names.check_submission_key(bad)
