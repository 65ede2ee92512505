"""mnss_foundation.plugins: how a lower layer calls hooks that higher layers register as entry points."""

import logging
from importlib.metadata import EntryPoint

import pytest

from mnss_foundation import plugins

GROUP = "mnss_tests.example"
calls = []


def remember(*args, **kwargs):
    calls.append((args, kwargs))


def refuse(*args):
    raise RuntimeError("hook failed")


@pytest.fixture
def installed(monkeypatch):
    """Pretend these entry points are in the installed metadata."""
    points = []
    monkeypatch.setattr(plugins, "entry_points", lambda group: [p for p in points if p.group == group])
    calls.clear()
    return points


def point(name, value, group=GROUP):
    return EntryPoint(name, value, group)


def test_hooks_are_called_in_name_order_with_the_arguments(installed):
    installed += [
        point("b", f"{__name__}:remember"),
        point("a", f"{__name__}:remember"),
        point("c", f"{__name__}:remember", group="mnss_tests.other"),
    ]
    plugins.call(GROUP, 1, key="v")
    assert calls == [((1,), {"key": "v"})] * 2
    assert [p.name for p in plugins.registered(GROUP)] == ["a", "b"]


def test_a_name_registered_twice_counts_once(installed):
    """An install plus a checkout on the path list the same entry point twice: call it once."""
    installed += [point("a", f"{__name__}:remember"), point("a", f"{__name__}:refuse")]
    plugins.call(GROUP)
    assert len(calls) == 1


def test_a_hook_that_cannot_be_loaded_is_named_in_the_log_and_left_out(installed, caplog):
    installed += [point("broken", "mnss_tests_no_such_module:f"), point("good", f"{__name__}:remember")]
    with caplog.at_level(logging.ERROR, logger=plugins.__name__):
        plugins.call(GROUP, "x")
    assert calls == [(("x",), {})]
    assert "hook 'broken' (mnss_tests_no_such_module:f) could not be loaded" in caplog.text
    assert "ModuleNotFoundError" in caplog.text


def test_an_error_inside_a_hook_reaches_the_caller(installed):
    installed.append(point("a", f"{__name__}:refuse"))
    with pytest.raises(RuntimeError, match="hook failed"):
        plugins.call(GROUP)


def test_no_hooks_is_nothing_to_do(installed):
    plugins.call(GROUP)
    assert plugins.hooks(GROUP) == []
