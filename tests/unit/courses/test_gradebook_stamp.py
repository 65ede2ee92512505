"""New gradebooks are stamped with nbgrader's migration head read in-process, not by `alembic heads`."""

import importlib.util
import io
import sqlite3
import sys

import alembic.command
import alembic.config
import nbgrader.api
import pytest
from nbgrader.api import Gradebook

from mnss_courses import gradebook_stamp


def test_the_stamp_is_what_alembic_heads_prints():
    printed = io.StringIO()
    with nbgrader.api._temp_alembic_ini("sqlite:///unused.db") as ini:  # what nbgrader runs, in-process
        alembic.command.heads(alembic.config.Config(ini, stdout=printed))
    printed = printed.getvalue().split("\n")[0].split(" ")[0]  # as nbgrader reads it
    assert printed and gradebook_stamp.head_revision() == printed


def test_a_new_gradebook_is_stamped_without_a_subprocess(tmp_path, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran {args}")

    gradebook_stamp.install()
    monkeypatch.setattr(nbgrader.api.sp, "check_output", no_subprocess)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "course"):
        pass
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        stamped = db.execute("select version_num from alembic_version").fetchall()
    assert stamped == [(gradebook_stamp.head_revision(),)]


@pytest.mark.parametrize("module", ["grader", "instructor", "exchange.client", "formgrader_server"])
def test_every_module_that_makes_gradebooks_installs_it(module, monkeypatch):
    monkeypatch.setattr(nbgrader.api, "get_alembic_version", None)
    spec = importlib.util.find_spec(f"mnss_courses.{module}")
    fresh = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, fresh)  # a fresh copy while it runs; the old one is put back
    spec.loader.exec_module(fresh)
    assert nbgrader.api.get_alembic_version is gradebook_stamp.head_revision
