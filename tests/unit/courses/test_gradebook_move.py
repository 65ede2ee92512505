"""A course root's gradebook.db moved once into the gradebook the site names (SQLite standing in
for PostgreSQL here; test_gradebook_postgres.py moves one into a real PostgreSQL)."""

import os
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from mnss_courses import gradebook_move


@pytest.fixture(autouse=True)
def alembic_on_path(monkeypatch):
    """nbgrader runs `alembic` by name for a new gradebook (the formgrader's launcher sets PATH so)."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.prefix) / "bin"), os.environ.get("PATH", "")]))


def graded_root(root, course: str, student: str, score: float, assignment: str = "lan-build"):
    """A course root whose gradebook.db holds one assignment, one learner and one graded cell."""
    root.mkdir(parents=True, exist_ok=True)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course) as gb:
        gb.add_assignment(assignment)
        gb.add_notebook("first-lab", assignment)
        gb.add_grade_cell("ping", "first-lab", assignment, max_score=2, cell_type="code")
        gb.add_student(student, first_name="", last_name="")
        gb.add_submission(assignment, student)
        grade = gb.find_grade("ping", "first-lab", assignment, student)
        grade.auto_score = score
        gb.db.commit()


def score_in(url: str, course: str, student: str, assignment: str = "lan-build") -> float:
    with Gradebook(url, course) as gb:
        return gb.find_submission(assignment, student).score


def test_the_rows_move_once_and_the_file_is_kept_renamed(tmp_path):
    site = f"sqlite:///{tmp_path / 'site.db'}"
    graded_root(tmp_path / "ward", "ward", "nurse", 2)
    assert gradebook_move.move_into(tmp_path / "ward", "ward", site) > 0
    assert score_in(site, "ward", "nurse") == 2
    assert not (tmp_path / "ward" / "gradebook.db").exists() and (tmp_path / "ward" / gradebook_move.MOVED).exists()
    assert gradebook_move.move_into(tmp_path / "ward", "ward", site) is None  # nothing left to move


def test_a_learner_the_database_has_already_is_kept_as_it_is(tmp_path):
    site = f"sqlite:///{tmp_path / 'site.db'}"
    graded_root(tmp_path / "ward", "ward", "nurse", 2)
    graded_root(tmp_path / "icu", "icu", "nurse", 1, assignment="icu-network")
    gradebook_move.move_into(tmp_path / "ward", "ward", site)
    gradebook_move.move_into(tmp_path / "icu", "icu", site)
    assert (score_in(site, "ward", "nurse"), score_in(site, "icu", "nurse", "icu-network")) == (2, 1)


def test_the_roots_own_gradebook_is_left_alone(tmp_path):
    graded_root(tmp_path / "ward", "ward", "nurse", 2)
    own = f"sqlite:///{tmp_path / 'ward' / 'gradebook.db'}"
    assert gradebook_move.move_into(tmp_path / "ward", "ward", own) is None
    assert score_in(own, "ward", "nurse") == 2
    assert gradebook_move.move_into(tmp_path / "empty", "ward", own) is None
