"""`nbgrader list` through the service returns what nbgrader's own list returns, key for key.

The JupyterLab assignment list reads these dicts; the same situation is built once as a
filesystem exchange (read by nbgrader's default ExchangeList) and once as service records.
"""

import hashlib
import json

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import ExchangeList as DefaultList
from traitlets.config import Config

from mnss_courses.exchange.client import ExchangeList, configure

STAMP = "2024-03-01 10:00:00.000000 UTC"
NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def keys(value):
    """The nested key structure of a list result."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(v) for v in value[:1]]
    return type(value).__name__ if value is None else "value"


def both(tmp_path, **flags):
    home = tmp_path / "home"
    (home / "ps1" / "feedback" / STAMP).mkdir(parents=True)
    (home / "ps1" / "ps1.ipynb").write_text(NB)
    (home / "ps1" / "feedback" / STAMP / "ps1.html").write_text("<p>fb</p>")
    root, cache = tmp_path / "exchange", tmp_path / "cache"
    (root / "c1" / "outbound" / "ps1").mkdir(parents=True)
    (root / "c1" / "outbound" / "ps1" / "ps1.ipynb").write_text(NB)
    (root / "c1" / "outbound" / "ps2").mkdir()
    (root / "c1" / "outbound" / "ps2" / "ps2.ipynb").write_text(NB)
    (root / "c1" / "feedback").mkdir()
    for folder in (cache / "c1" / f"alice+ps1+{STAMP}",):
        folder.mkdir(parents=True)
        (folder / "ps1.ipynb").write_text(NB)
        (folder / "timestamp.txt").write_text(STAMP)
    cd = CourseDirectory(course_id="c1")
    default = DefaultList(
        coursedir=cd, authenticator=Authenticator(), root=str(root), cache=str(cache), assignment_dir=str(home), **flags
    )
    ours = ExchangeList(
        coursedir=cd,
        authenticator=None,
        config=configure(Config(), "http://svc/", "tok"),
        assignment_dir=str(home),
        **flags,
    )
    ours.released = [{"course_id": "c1", "assignment_id": a, "notebooks": [a]} for a in ("ps1", "ps2")]
    ours.records = [
        {
            "course_id": "c1",
            "assignment_id": "ps1",
            "student_id": "alice",
            "timestamp": STAMP,
            "key": "20240301T100000.000000Z",
            "notebooks": ["ps1"],
            "feedback": {"ps1": hashlib.sha256(b"<p>new</p>").hexdigest()},
        }
    ]
    default.init_dest()
    return default.parse_assignments(), ours.parse_assignments()


def test_released_and_fetched_assignments_have_the_default_shape(tmp_path):
    theirs, ours = both(tmp_path)
    assert [(a["assignment_id"], a["status"]) for a in ours] == [("ps1", "fetched"), ("ps2", "released")]
    assert [(a["assignment_id"], a["status"]) for a in theirs] == [("ps1", "fetched"), ("ps2", "released")]
    for mine, default in zip(ours, theirs, strict=True):
        assert keys(mine) == keys(default)
    assert ours[0]["path"] == theirs[0]["path"] and ours[0]["notebooks"] == theirs[0]["notebooks"]


def test_submitted_assignments_have_the_default_shape_and_feedback_flags(tmp_path):
    theirs, ours = both(tmp_path, cached=True)
    assert keys(ours) == keys(theirs)
    sub = ours[0]["submissions"][0]
    assert (sub["student_id"], sub["timestamp"], sub["status"]) == ("alice", STAMP, "submitted")
    assert sub["has_local_feedback"] and sub["has_exchange_feedback"]
    assert sub["feedback_updated"], "the released feedback differs from the fetched copy"
    assert sub["local_feedback_path"] == theirs[0]["submissions"][0]["local_feedback_path"]


@pytest.mark.parametrize(
    "local, exchange, text",
    [
        (True, True, "(feedback already fetched)"),
        (False, True, "(feedback ready to be fetched)"),
        (False, False, "(no feedback available)"),
    ],
)
def test_log_lines_read_like_nbgrader(local, exchange, text):
    info = {
        "has_local_feedback": local,
        "has_exchange_feedback": exchange,
        "feedback_updated": False,
        "course_id": "c1",
        "student_id": "a",
        "assignment_id": "ps1",
        "timestamp": STAMP,
        "status": "submitted",
    }
    line = ExchangeList.format_inbound_assignment(info)
    assert line == f"c1 a ps1 {STAMP} {text}"
