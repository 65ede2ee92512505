"""The hooks a higher layer registers for a lower one (pyproject.toml entry points) exist, are
installed, and the engine's CLI says clearly when one it needs is missing."""

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from mnss_foundation import plugins
from mnss_kernel import cli

ROOT = Path(__file__).resolve().parents[3]
# Groups the project's lower layers call; every one must have the project's own hook in it.
HOOK_GROUPS = ("mnss_kernel.cli", "mnss_kernel.lab_started", "mnss_courses.exchange_events")


def declared() -> dict[str, dict[str, str]]:
    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]
    return {group: entry_points.get(group, {}) for group in HOOK_GROUPS}


@pytest.mark.parametrize("group", HOOK_GROUPS)
def test_each_hook_group_has_a_declared_hook_that_loads(group):
    hooks = declared()[group]
    assert hooks, f"pyproject.toml registers nothing under {group}"
    for name, value in hooks.items():
        assert callable(EntryPoint(name, value, group).load()), f"{group}: {name} = {value}"


def test_the_installed_metadata_has_the_declared_hooks():
    """An install older than pyproject.toml would drop `mnss course` and the activity events."""
    for group, hooks in declared().items():
        installed = {p.name: p.value for p in plugins.registered(group)}
        for name, value in hooks.items():
            assert installed.get(name) == value, f"{group}: {name} = {value} is not installed; {plugins.REINSTALL}"


def test_the_course_area_comes_from_its_entry_point(monkeypatch):
    course = EntryPoint("course", declared()["mnss_kernel.cli"]["course"], "mnss_kernel.cli")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [course] if group == course.group else [])
    assert cli.build_parser().get_default("areas") == ("topo", "diagnose", "course")


def test_a_missing_command_area_is_named_with_the_way_to_get_it(monkeypatch, capsys):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    assert cli.main(["course", "list"]) == 2
    err = capsys.readouterr().err
    assert "no command area 'course' is installed (have: topo, diagnose)" in err
    assert "'mnss_kernel.cli'" in err and "pip install --no-deps -e ." in err
