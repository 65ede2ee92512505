"""The service's storage: private, atomic, keyed by who the service says the requester is."""

import os
import stat

import pytest

from mnss_courses.exchange import archive
from mnss_courses.exchange.names import BadName
from mnss_courses.exchange.store import Conflict, Invalid, NotFound, Store, public

NB = [("ps1.ipynb", b'{"cells": []}'), ("data/ward.csv", b"bed,ward\n")]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "exchange")
    s.release("hospital-lan", "ps1", NB, by="teacher")
    return s


def modes(root):
    return {p: stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}


def test_root_and_everything_in_it_is_private(store, tmp_path):
    store.submit("hospital-lan", "ps1", "alice", NB)
    assert stat.S_IMODE((tmp_path / "exchange").stat().st_mode) == 0o700
    for path, mode in modes(tmp_path / "exchange").items():
        assert mode & 0o077 == 0, f"{path} is readable by others: {oct(mode)}"


def test_release_lists_notebooks_and_refuses_a_second_release_without_force(store):
    meta = store.released_one("hospital-lan", "ps1")
    assert meta["notebooks"] == ["ps1"] and meta["released_by"] == "teacher"
    with pytest.raises(Conflict):
        store.release("hospital-lan", "ps1", NB, by="teacher")
    store.release("hospital-lan", "ps1", [("ps1.ipynb", b"{}")], by="teacher", force=True)
    assert store.entries(store.released_one("hospital-lan", "ps1")) == [("ps1.ipynb", b"{}")]
    with pytest.raises(Invalid, match="at least one notebook"):
        store.release("hospital-lan", "ps2", [("readme.txt", b"")], by="teacher")


def test_submission_gets_the_service_timestamp_not_the_clients(store):
    forged = NB + [("timestamp.txt", b"1999-01-01 00:00:00 UTC"), ("submission_secret.txt", b"x")]
    meta = store.submit("hospital-lan", "ps1", "alice", forged)
    files = dict(store.entries(meta))
    assert files["timestamp.txt"].decode() == meta["timestamp"] != "1999-01-01 00:00:00 UTC"
    assert "submission_secret.txt" not in files
    assert public(meta).keys() >= {"student_id", "timestamp", "key", "notebooks"} and "blob" not in public(meta)


def test_each_changed_submission_is_a_new_record(store):
    first = store.submit("hospital-lan", "ps1", "alice", NB)
    second = store.submit("hospital-lan", "ps1", "alice", [("ps1.ipynb", b'{"cells": [1]}')])
    assert first["key"] != second["key"] and "unchanged" not in second
    assert [m["key"] for m in store.submissions("hospital-lan", "ps1", "alice")] == [first["key"], second["key"]]
    assert store.submissions("hospital-lan", student="bob") == []


def test_the_same_work_submitted_again_is_the_same_submission(store):
    """Submit pressed again after a lost answer (the chaos drill's proxy kill): one record, with
    the first press's time; the client is told it was unchanged. Work changed back and forth is
    new each time, and another learner's identical work is their own."""
    first = store.submit("hospital-lan", "ps1", "alice", NB)
    again = store.submit("hospital-lan", "ps1", "alice", [*reversed(NB), ("timestamp.txt", b"2030-01-01")])
    assert again["unchanged"] is True and (again["key"], again["timestamp"]) == (first["key"], first["timestamp"])
    assert len(store.submissions("hospital-lan", "ps1", "alice")) == 1
    changed = store.submit("hospital-lan", "ps1", "alice", [("ps1.ipynb", b"{}")])
    back = store.submit("hospital-lan", "ps1", "alice", NB)
    assert len({first["key"], changed["key"], back["key"]}) == 3
    assert "unchanged" not in store.submit("hospital-lan", "ps1", "bob", NB)
    assert "content" not in public(back)


def test_submitting_to_an_unreleased_assignment_is_404(store):
    with pytest.raises(NotFound, match="not released"):
        store.submit("hospital-lan", "nope", "alice", NB)


def test_feedback_is_attached_to_one_students_submission(store):
    sub = store.submit("hospital-lan", "ps1", "alice", NB)
    with pytest.raises(NotFound):
        store.put_feedback("hospital-lan", "ps1", "bob", sub["timestamp"], [("ps1.html", b"<p>")], by="t")
    with pytest.raises(NotFound):
        store.put_feedback(
            "hospital-lan", "ps1", "alice", "2000-01-01 00:00:00.000000 UTC", [("ps1.html", b"")], by="t"
        )
    with pytest.raises(Invalid, match=".html files"):
        store.put_feedback("hospital-lan", "ps1", "alice", sub["timestamp"], [("../x.html", b"")], by="t")
    fb = store.put_feedback("hospital-lan", "ps1", "alice", sub["timestamp"], [("ps1.html", b"<p>ok")], by="t")
    assert fb["key"] == sub["key"] and set(fb["notebooks"]) == {"ps1"}
    assert store.feedback("hospital-lan", "ps1", "alice") == [fb]
    assert store.feedback("hospital-lan", "ps1", "bob") == []


@pytest.mark.parametrize("student", ["../alice", "..", ".x", "a/b"])
def test_ids_that_would_leave_their_folder_are_refused(store, student):
    with pytest.raises(BadName):
        store.submit("hospital-lan", "ps1", student, NB)
    with pytest.raises(BadName):
        store.submissions("hospital-lan", "ps1", student)


def test_bad_course_and_assignment_ids_are_refused(store):
    with pytest.raises(BadName):
        store.released("../etc")
    with pytest.raises(BadName):
        store.released_one("hospital-lan", "../../x")


def test_no_temporary_files_are_left_behind(store, tmp_path):
    store.submit("hospital-lan", "ps1", "alice", NB)
    assert not [p for p in (tmp_path / "exchange").rglob(".tmp-*")]


def test_stored_archives_are_repacked_by_the_service(store):
    meta = store.released_one("hospital-lan", "ps1")
    data = store.blob(meta)
    assert archive.read(data) == sorted(NB)
    assert os.path.getsize(store.root / "blobs" / meta["blob"][:2] / (meta["blob"] + ".tar.gz")) == len(data)


def test_a_learners_first_fetch_is_remembered_once(store):
    assert store.fetched("hospital-lan", "bob") == set()
    store.note_fetched("hospital-lan", "ps1", "bob")
    first = (store.root / "courses/hospital-lan/fetched/ps1/bob.json").read_text()
    store.note_fetched("hospital-lan", "ps1", "bob")
    assert (store.root / "courses/hospital-lan/fetched/ps1/bob.json").read_text() == first
    store.note_fetched("hospital-lan", "ps1", "jo.doe")  # a dot in a name is not a suffix
    assert store.fetched("hospital-lan", "bob") == {"ps1"}
    assert store.fetched("hospital-lan", "jo.doe") == {"ps1"}
    assert store.fetched("hospital-lan", "alice") == set()
    with pytest.raises(BadName):
        store.note_fetched("hospital-lan", "ps1", "../x")
