"""Several graders at once on one gradebook: PostgreSQL takes them, SQLite cannot.

nbgrader's gradebook is any SQLAlchemy URL (`grading.gradebook_url` in course.yaml). SQLite has
one writer per database file: a grader whose write waits longer than the busy timeout fails with
"database is locked". PostgreSQL locks rows, so graders writing different submissions never wait
on each other. The PostgreSQL cluster is a real throw-away one (see test_recommender_postgres).
"""

import os
import shutil
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy

from mnss_courses import bundle
from mnss_courses.grader import api, generate, private_paths
from mnss_courses.instructor import Instructor
from tests.integration.test_recommender_postgres import postgres_url  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
if os.geteuid() != 0:
    pytest.skip("sandboxed autograding needs root", allow_module_level=True)

COURSES = Path(__file__).resolve().parents[2] / "courses"
COURSE, AID = "python-basics", "device-inventory-dicts"


def _base(tmp: Path, db_url: str) -> Path:
    """A course root with the assignment built, and its gradebook at db_url."""
    course = bundle.load(COURSES / COURSE)
    root = tmp / "base"
    shutil.copytree(course.root / "source" / AID, root / "source" / AID)
    generate(api(root, COURSE, db_url=db_url), AID)
    return root


def grade_as_one_grader(base: str, work: str, db_url: str, students: list[str]) -> dict:
    """One grader process: its own copy of the course root, the shared gradebook."""
    root = Path(work)
    shutil.copytree(base, root)
    course = bundle.load(COURSES / COURSE)
    grader = api(root, COURSE, db_url=db_url, hidden=private_paths(course))
    results = {}
    for student in students:
        source = root / ("source" if student.startswith("right") else "release") / AID
        shutil.copytree(source, root / "submitted" / student / AID)
        outcome = grader.autograde(AID, student)
        results[student] = (
            grader.get_submission(AID, student)["code_score"]
            if outcome["success"]
            else f"failed: {outcome.get('error') or ''} {outcome.get('log') or ''}"
        )
    return results


def test_concurrent_graders_on_postgresql_all_score_correctly(postgres_url, tmp_path):  # noqa: F811
    base = _base(tmp_path, postgres_url)
    batches = [[f"right{w}a", f"wrong{w}b"] for w in range(3)]
    with ProcessPoolExecutor(3) as pool:
        done = list(
            pool.map(
                grade_as_one_grader,
                [str(base)] * 3,
                [str(tmp_path / f"g{w}") for w in range(3)],
                [postgres_url] * 3,
                batches,
            )
        )
    scores = {s: v for d in done for s, v in d.items()}
    assert scores == {s: (10 if s.startswith("right") else 0) for b in batches for s in b}, scores
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as db:  # all six submissions landed in the one gradebook
        rows = db.execute(sqlalchemy.text("select count(*) from submitted_assignment")).scalar()
    engine.dispose()
    assert rows == 6


def _hold_and_grade(base: Path, tmp: Path, db_url: str, hold) -> dict:
    """Grade one submission while another grader keeps a write transaction open."""
    with hold():
        started = time.monotonic()
        result = grade_as_one_grader(str(base), str(tmp / "g"), db_url, ["right0"])
        result["seconds"] = time.monotonic() - started
    return result


def test_a_grader_waiting_on_sqlite_fails_with_database_is_locked(tmp_path):
    base = _base(tmp_path, "")
    shared = tmp_path / "shared.db"
    shutil.copy(base / "gradebook.db", shared)
    url = f"sqlite:///{shared}"

    class hold:
        def __enter__(self):
            self.db = sqlite3.connect(shared, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")  # another grader in the middle of writing its grades
            self.db.execute("update student set first_name = 'busy' where 0")

        def __exit__(self, *exc):
            self.db.execute("ROLLBACK")
            self.db.close()

    result = _hold_and_grade(base, tmp_path, url, hold)
    assert str(result["right0"]).startswith("failed") and "database is locked" in result["right0"], result
    assert result["seconds"] < 60  # it gave up after SQLite's busy timeout, it did not wait its turn


def test_a_grader_on_postgresql_is_not_blocked_by_another_graders_transaction(postgres_url, tmp_path):  # noqa: F811
    base = _base(tmp_path, postgres_url)
    engine = sqlalchemy.create_engine(postgres_url)

    class hold:
        def __enter__(self):
            self.db = engine.connect()
            self.tx = self.db.begin()  # another grader writing its own submission's rows
            self.db.execute(sqlalchemy.text("insert into student (id) values ('someone-else')"))

        def __exit__(self, *exc):
            self.tx.rollback()
            self.db.close()

    result = _hold_and_grade(base, tmp_path, postgres_url, hold)
    engine.dispose()
    assert result["right0"] == 10, result


def test_course_yaml_gradebook_url_reads_secrets_from_the_environment(tmp_path, monkeypatch, postgres_url):  # noqa: F811
    folder = tmp_path / COURSE
    shutil.copytree(COURSES / COURSE, folder)
    user, _, rest = postgres_url.partition("@")
    text = (folder / "course.yaml").read_text("utf-8")
    (folder / "course.yaml").write_text(
        text + f"grading:\n  gradebook_url: '{user}:${{MNSS_TEST_PG}}@{rest}'\n", "utf-8"
    )
    monkeypatch.setenv("MNSS_TEST_PG", "unused-with-trust-auth")
    who = Instructor.open(str(folder))
    assert who.api().coursedir.db_url == f"{user}:unused-with-trust-auth@{rest}"
    who.build(AID)
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as db:
        assert db.execute(sqlalchemy.text("select count(*) from assignment where name = :a"), {"a": AID}).scalar() == 1
    engine.dispose()
    assert not (folder / "gradebook.db").exists()


def test_the_sites_gradebook_takes_each_courses_earlier_gradebook_in_a_schema_of_its_own(
    tmp_path,
    monkeypatch,
    postgres_url,  # noqa: F811
):
    """An upgrade to a site gradebook: two course roots, each with a graded `lan-build` in its
    gradebook.db, moved at the formgraders' start into one PostgreSQL database, each course in its
    own schema (nbgrader's assignment names are unique in a database), scores intact."""
    from nbgrader.api import Gradebook

    from mnss_courses import formgrader
    from mnss_courses.grading_settings import SITE_GRADEBOOK_ENV, formgrader_gradebook
    from tests.unit.courses.test_gradebook_move import graded_root

    monkeypatch.setenv(SITE_GRADEBOOK_ENV, postgres_url)
    for course, score in (("ward", 2), ("icu", 1)):
        graded_root(tmp_path / course, course, "nurse", score)
        formgrader.prepare(course, tmp_path / course, None)  # what the launcher does before the server starts
        assert not (tmp_path / course / "gradebook.db").exists() and (tmp_path / course / "gradebook.db.moved").exists()
    for course, score in (("ward", 2), ("icu", 1)):
        with Gradebook(formgrader_gradebook({}, tmp_path / course, course), course) as gb:
            assert gb.find_submission("lan-build", "nurse").score == score
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as db:
        schemas = db.execute(sqlalchemy.text("select nspname from pg_namespace where nspname like 'course_%'"))
        assert sorted(r[0] for r in schemas) == ["course_icu", "course_ward"]
        assert db.execute(sqlalchemy.text("select count(*) from course_ward.grade")).scalar() == 1
    engine.dispose()
