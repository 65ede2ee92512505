"""The two lanes of `make test`: which file runs where, and that the lanes' labs never mix."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FLOATING, LABS_LANE, ROOT, lane


def test_every_file_named_for_the_labs_lane_or_floating_exists():
    """A renamed file would silently move to the hubs lane."""
    files = {p.name for p in (ROOT / "tests" / "integration").glob("test_*.py")}
    assert LABS_LANE | set(FLOATING) <= files, sorted(LABS_LANE | set(FLOATING) - files)


def test_unit_tests_and_named_files_are_in_the_labs_lane_the_rest_in_the_hubs_lane():
    tests = ROOT / "tests"
    assert lane(tests / "unit" / "hub" / "test_cli.py") == "labs"
    assert lane(tests / "integration" / "test_engine.py") == "labs"
    assert lane(tests / "integration" / "test_docker_mode.py") == "hubs"
    assert lane(tests / "integration" / "test_first_hour_browser.py") == "hubs"
    assert lane(tests / "integration" / "test_tutorials_run.py") == "test_tutorials_run.py"  # a scope of its own


def test_make_test_runs_the_two_lanes_at_once():
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "pytest -n 2 " in recipe, recipe


def run_with_workers(folder: Path, files: dict[str, str]) -> None:
    """pytest with two workers, as `make test` runs it, on `files` in `folder` with the suite's lanes."""
    (folder / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems, pytest_xdist_make_scheduler  # noqa: F401\n"
    )
    for name, text in files.items():
        (folder / name).write_text(text)
    path = os.pathsep.join([str(ROOT), str(ROOT / "hub"), str(ROOT / "extensions")])
    env = {**os.environ, "PYTHONPATH": path, "MNSS_LAB_OWNER": "t1"}  # as the controller's conftest set it
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--rootdir", str(folder)]
    run = subprocess.run([*command, str(folder)], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


# What a test writes to say where and when it ran: its worker and the time.
STAMP = 'f\'{__import__("os").environ["PYTEST_XDIST_WORKER"]} {__import__("time").time()}\''


def writes(target: Path, what: str) -> str:
    return f"def test_{target.name}():\n    open({str(target)!r}, 'w').write({what})\n\n"


def test_a_lanes_files_run_on_one_worker(tmp_path):
    """Files of one lane run on one worker, so its modules' servers never start twice at once."""
    worker = "__import__('os').environ['PYTEST_XDIST_WORKER']"
    files = {f"test_{f}.py": "".join(writes(tmp_path / f"{f}{i}", worker) for i in range(3)) for f in "abcd"}
    run_with_workers(tmp_path, files)
    workers = {(tmp_path / f"{f}{i}").read_text() for f in "abcd" for i in range(3)}
    assert len(workers) == 1, f"one lane's tests ran on {sorted(workers)}"


def test_each_lanes_labs_have_their_own_owner(tmp_path):
    """Each worker imports the integration conftest: the two lanes' labs have different owners, so
    one lane's leftovers check never counts the other lane's running labs."""
    owner = "__import__('os').environ['MNSS_LAB_OWNER']"
    files = {
        name: "import tests.integration.conftest  # noqa: F401\n\n" + writes(tmp_path / name[:-3], owner)
        for name in ("test_engine.py", "test_hub.py")  # one file of each lane
    }
    run_with_workers(tmp_path, files)
    owners = {(tmp_path / name).read_text() for name in ("test_engine", "test_hub")}
    assert len(owners) == 2 and all(o.startswith("t") and o != "t1" for o in owners), owners


def test_a_floating_file_runs_after_the_shorter_lane_on_its_worker(tmp_path):
    """The catalog's files (tutorials, assignments, experiments) wait for the first lane to finish
    and run on its worker, so a growing catalog lengthens the shorter lane."""

    def after(seconds: float, name: str) -> str:
        body = f"__import__('time').sleep({seconds})\n    open({str(tmp_path / name)!r}, 'w').write({STAMP})\n"
        return f"def test_{name}():\n    {body}"

    files = {
        "test_tutorials_run.py": writes(tmp_path / "floating", STAMP),  # first in the folder, run last
        "test_engine.py": after(0.5, "labs"),  # the shorter lane
        "test_hub.py": after(4, "hubs"),
    }
    run_with_workers(tmp_path, files)
    (labs_worker, labs_end), (hubs_worker, _), (floating_worker, floating_end) = (
        (w, float(t)) for w, t in ((tmp_path / n).read_text().split() for n in ("labs", "hubs", "floating"))
    )
    assert labs_worker != hubs_worker and floating_worker == labs_worker and floating_end > labs_end


def test_the_floating_files_go_out_longest_first(tmp_path):
    """The first free worker takes the tutorials (the longest file) before the short ones, though
    they come later in the folder, so the short files even out the end of the run."""
    two_more = "def test_b():\n    pass\n\n\ndef test_c():\n    pass\n"
    files = {
        "test_courses.py": writes(tmp_path / "courses", STAMP),
        "test_tutorials_run.py": writes(tmp_path / "tutorials", STAMP),
        "test_engine.py": writes(tmp_path / "labs", STAMP) + two_more,
        # lanes of three or more tests, as the real ones: xdist gives a worker a second scope only
        # when its first is down to two tests
        "test_hub.py": "def test_a():\n    __import__('time').sleep(4)\n\n\n" + two_more,
    }
    run_with_workers(tmp_path, files)
    (labs, _), (tutorials, started), (courses, later) = (
        (tmp_path / n).read_text().split() for n in ("labs", "tutorials", "courses")
    )
    assert tutorials == courses == labs and float(started) < float(later)
