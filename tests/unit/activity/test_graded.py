"""'graded' events from nbgrader feedback: the score read with nbgrader's own template markup,
one event per feedback however often it is fetched, nothing when the feedback has no score."""

import re
from pathlib import Path

import jinja2
import nbgrader

from mnss_activity.buffer import EventBuffer
from mnss_activity.graded import feedback_score, record_feedback

TEMPLATE = Path(nbgrader.__file__).parent / "server_extensions/formgrader/templates/feedback/index.html.j2"


def feedback_html(notebook: str, score: float, max_score: float) -> str:
    """The notebook heading exactly as nbgrader's feedback template renders it."""
    line = next(ln for ln in TEMPLATE.read_text().splitlines() if "resources.nbgrader.max_score" in ln)
    heading = jinja2.Template(line).render(
        resources={"nbgrader": {"notebook": notebook, "score": score, "max_score": max_score}}
    )
    return f"<html><body>{heading}<p>(Score: 9 / 9) in a cell's text is not the total</p></body></html>"


def test_score_over_all_notebooks_of_the_feedback(tmp_path):
    (tmp_path / "a.html").write_text(feedback_html("a", 3, 4))
    (tmp_path / "b.html").write_text(feedback_html("b", 1, 4))
    score, digest = feedback_score([tmp_path / "a.html", tmp_path / "b.html"])
    assert score == 0.5 and re.fullmatch(r"[0-9a-f]{32}", digest)
    (tmp_path / "c.html").write_text("<html>no score here</html>")
    assert feedback_score([tmp_path / "c.html"]) is None


def test_one_graded_event_per_feedback(tmp_path):
    (tmp_path / "lan-build.html").write_text(feedback_html("lan-build", 7.5, 10))
    buffer = EventBuffer(tmp_path / "buffer.sqlite")
    first = record_feedback("hospital-lan", "lan-build", [tmp_path / "lan-build.html"], buffer)
    again = record_feedback("hospital-lan", "lan-build", [tmp_path / "lan-build.html"], buffer)
    assert first == again
    (event,) = buffer.pending()
    assert event["item"] == "hospital-lan/lan-build" and event["kind"] == "graded" and event["score"] == 0.75
    assert "learner" not in event


def test_nothing_recorded_when_activity_is_off(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_RECOMMENDER_URL", raising=False)
    (tmp_path / "x.html").write_text(feedback_html("x", 1, 1))
    assert record_feedback("c1", "a1", [tmp_path / "x.html"]) is None


def test_identical_feedback_of_two_learners_gets_two_ids(tmp_path, monkeypatch):
    (tmp_path / "lab.html").write_text(feedback_html("lab", 5, 10))
    ids = []
    for user in ("alice", "bob"):
        monkeypatch.setenv("JUPYTERHUB_USER", user)
        ids.append(record_feedback("c1", "lab", [tmp_path / "lab.html"], EventBuffer(tmp_path / f"{user}.sqlite")))
    assert ids[0] != ids[1] and all(i.startswith("graded-") for i in ids)
    assert "alice" not in ids[0] and "bob" not in ids[1]
