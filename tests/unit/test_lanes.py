"""The two lanes of `make test`: which file runs where, and that the lanes' labs never mix."""

import os
import subprocess
import sys

from tests.conftest import LABS_LANE, ROOT, lane


def test_every_file_named_for_the_labs_lane_exists():
    """A renamed file would silently move to the hubs lane."""
    files = {p.name for p in (ROOT / "tests" / "integration").glob("test_*.py")} | {"unit"}
    assert LABS_LANE <= files, sorted(LABS_LANE - files)


def test_unit_tests_and_named_files_are_in_the_labs_lane_the_rest_in_the_hubs_lane():
    tests = ROOT / "tests"
    assert lane(tests / "unit" / "hub" / "test_cli.py") == "labs"
    assert lane(tests / "integration" / "test_engine.py") == "labs"
    assert lane(tests / "integration" / "test_docker_mode.py") == "hubs"
    assert lane(tests / "integration" / "test_first_hour_browser.py") == "hubs"


def test_make_test_runs_the_two_lanes_at_once():
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-n 2 --dist loadgroup" in recipe, recipe


def test_each_workers_labs_have_their_own_owner(tmp_path):
    """Two workers, as `make test` starts them, each import the integration conftest: their labs'
    owners differ, so one lane's leftovers check never counts the other lane's running labs."""
    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(
            "import os\nimport pytest\nimport tests.integration.conftest  # noqa: F401\n\n"
            f"@pytest.mark.xdist_group('{name}')\n"
            f"def test_owner():\n    open({str(tmp_path / name)!r}, 'w').write(os.environ['MNSS_LAB_OWNER'])\n"
        )
    path = os.pathsep.join([str(ROOT), str(ROOT / "hub"), str(ROOT / "extensions")])
    env = {**os.environ, "PYTHONPATH": path, "MNSS_LAB_OWNER": "t1"}  # as the controller's conftest set it
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    owners = {(tmp_path / name).read_text() for name in ("a", "b")}
    assert len(owners) == 2 and all(o.startswith("t") and o != "t1" for o in owners), owners
