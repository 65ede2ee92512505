"""`mnss course ...` for instructors on a real course (nbgrader underneath, autograde sandboxed):
new -> validate, build -> grade -> feedback -> export, and errors that name what was wrong.
The exchange steps (release, collect, feedback release) run against a real hub in test_exchange."""

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="sandboxed autograding needs root"),
]

REPO = Path(__file__).resolve().parents[2]
MNSS = str(REPO / ".venv" / "bin" / "mnss")
COURSE, AID = "python-basics", "device-inventory-dicts"


def mnss(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MNSS_COURSE_LOG=str(cwd / "course.log"))
    return subprocess.run([MNSS, "course", *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


@pytest.fixture
def catalog(tmp_path):
    shutil.copytree(REPO / "courses" / COURSE, tmp_path / "courses" / COURSE)
    return tmp_path


def test_build_grade_feedback_export(catalog):
    built = mnss("build", COURSE, AID, cwd=catalog)
    assert built.returncode == 0, built.stderr
    root = catalog / "courses" / COURSE
    assert (root / "release" / AID / f"{AID}.ipynb").is_file()
    shutil.copytree(root / "source" / AID, root / "submitted" / "ann" / AID)
    shutil.copytree(root / "release" / AID, root / "submitted" / "bob" / AID)
    graded = mnss("grade", COURSE, AID, cwd=catalog)
    log = catalog / "course.log"
    assert graded.returncode == 0, graded.stderr
    lines = graded.stdout.splitlines()
    assert lines[0].split() == ["ann", "10/10"] and lines[0 - len(lines) // 2].split() == ["bob", "0/10"], lines
    parts = [line.split() for line in lines[1 : len(lines) // 2]]
    assert parts and all(p[0].startswith(f"{AID}/") and p[1].split("/")[0] == p[1].split("/")[1] for p in parts)
    assert sum(float(p[1].split("/")[1]) for p in parts) == 10
    assert "Warning" not in graded.stderr and "Warning" in log.read_text("utf-8")  # SQLAlchemy's, in the log
    fed = mnss("feedback", COURSE, AID, "--no-release", cwd=catalog)
    assert fed.returncode == 0, fed.stderr
    assert sorted(p.parent.parent.name for p in (root / "feedback").glob(f"*/{AID}/{AID}.html")) == ["ann", "bob"]
    exported = mnss("export", COURSE, "--to", "grades.csv", cwd=catalog)
    assert exported.returncode == 0, exported.stderr
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(open(catalog / "grades.csv"))}
    assert rows == {"ann": 10.0, "bob": 0.0}


def test_new_course_validates(tmp_path):
    created = mnss("new", "ward-basics", "--courses", "cs", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    checked = mnss("validate", "cs/ward-basics", cwd=tmp_path)
    assert checked.returncode == 0 and "OK   ward-basics/first: solution 1/1, blank 0" in checked.stdout, (
        checked.stdout + checked.stderr
    )


def test_errors_name_what_was_wrong(catalog):
    unknown = mnss("build", "no-such-course", AID, cwd=catalog)
    assert unknown.returncode == 2
    assert "unknown course 'no-such-course'" in unknown.stderr and f"courses in courses: {COURSE}" in unknown.stderr
    wrong = mnss("grade", COURSE, "no-such-assignment", cwd=catalog)
    assert wrong.returncode == 2 and "has no assignment 'no-such-assignment'" in wrong.stderr
    assert AID in wrong.stderr  # it lists the ones there are
    nobody = mnss("grade", COURSE, AID, "--student", "zed", cwd=catalog)
    assert nobody.returncode == 2 and "no submission of device-inventory-dicts by 'zed'" in nobody.stderr
    meta = catalog / "courses" / COURSE / "course.yaml"
    meta.write_text(meta.read_text("utf-8").replace("level: beginner\n", ""), "utf-8")
    broken = mnss("build", COURSE, AID, cwd=catalog)
    assert broken.returncode == 2 and "course.yaml" in broken.stderr and "level" in broken.stderr, broken.stderr
