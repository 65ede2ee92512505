"""`mnss course` without a catalog: the installed courses are used, or the command says what is missing."""

import sys
from pathlib import Path

import pytest

from mnss_courses import bundle
from mnss_kernel.cli import main


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A working folder without courses, and no installed courses either."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bundle, "installed_catalogs", lambda: [Path("courses"), tmp_path / "opt-courses"])
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["course", "list"],
        ["course", "validate", "--metadata-only"],
        ["course", "build", "hospital-lan", "lan-build"],
        ["course", "export", "hospital-lan"],
    ],
)
def test_no_courses_anywhere_exits_2_naming_the_option(nowhere, argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no courses found (looked in courses, " in err and "pass --courses FOLDER" in err


@pytest.mark.parametrize("argv", [["course", "list"], ["course", "validate", "--metadata-only"]])
def test_an_empty_courses_folder_is_named(nowhere, argv, capsys):
    (nowhere / "empty").mkdir()
    assert main([*argv, "--courses", str(nowhere / "empty")]) == 2
    assert f"--courses {nowhere / 'empty'}: no courses there (no */course.yaml)" in capsys.readouterr().err


def test_the_installed_courses_are_found_from_any_folder(nowhere, monkeypatch, capsys):
    installed = nowhere / "opt-courses"
    assert main(["course", "new", "ward-basics", "--courses", str(installed)]) == 0
    capsys.readouterr()
    assert main(["course", "list"]) == 0
    out = capsys.readouterr().out
    assert f"courses in {installed}:" in out and "ward-basics" in out
    assert main(["course", "validate", "--metadata-only"]) == 0
    assert f"metadata OK: 1 course(s) in {installed}" in capsys.readouterr().out


def test_a_course_folder_needs_no_catalog(nowhere, capsys):
    assert main(["course", "new", "ward-basics", "--courses", str(nowhere / "mine")]) == 0
    capsys.readouterr()
    # Past the catalog: the error is about the assignment, not about a missing --courses.
    assert main(["course", "build", str(nowhere / "mine" / "ward-basics"), "nosuch"]) == 2
    assert "has no assignment 'nosuch'" in capsys.readouterr().err


def test_installed_places_are_the_venv_and_the_checkout():
    places = bundle.installed_catalogs()
    assert Path(sys.prefix) / "courses" in places  # the single-user image: /opt/mnss/courses
    assert Path(bundle.__file__).resolve().parents[2] / "courses" in places
