"""The formgrader's pure parts: its account name and the locked-down server config."""

import json
from pathlib import Path

import pytest
from traitlets.config import Config

from mnss_courses import formgrader, formgrader_server, grader, grading_settings, sandbox, sandboxed_execute


def test_account_names_fit_useradd_and_stay_distinct():
    assert formgrader.account_name("hospital-lan") == "mnss-fg-hospital-lan"
    long_a, long_b = "a" * 39 + "x", "a" * 39 + "y"
    names = {formgrader.account_name(c) for c in (long_a, long_b)}
    assert len(names) == 2 and all(len(n) <= 32 and n.startswith("mnss-fg-") for n in names)


def load(text: str) -> Config:
    c = Config()
    exec(compile(text, "jupyter_server_config.py", "exec"), {"get_config": lambda: c})
    return c


def test_the_server_config_switches_off_every_other_extension(tmp_path):
    (tmp_path / "jupyter_server_config.d").mkdir()
    for name in ("jupyterlab", "jupyter_server_terminals", "mnss_activity", formgrader_server.FORMGRADER_EXTENSION):
        (tmp_path / "jupyter_server_config.d" / f"{name}.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {name: True}}})
        )
    c = load(formgrader_server.config_text("/run/mnss-formgrader/x", [str(tmp_path)]))
    assert c.ServerApp.jpserver_extensions == {
        "jupyterlab": False,
        "jupyter_server_terminals": False,
        "mnss_activity": False,
        formgrader_server.FORMGRADER_EXTENSION: True,
        "mnss_courses.formgrader_server": True,
    }
    assert c.ServerApp.terminals_enabled is False and c.ServerApp.root_dir == "/run/mnss-formgrader/x"
    assert c.ServerApp.kernel_manager_class.endswith("NoKernels")
    assert c.ServerApp.contents_manager_class.endswith("ReadOnlyContents")


def test_the_nbgrader_config_sandboxes_autograde_and_hides_the_root(tmp_path):
    formgrader.write_configs(tmp_path, "ward", tmp_path / "real-root", "/opt/courses", tmp_path / "view")
    c = load((tmp_path / "nbgrader_config.py").read_text())
    assert c.CourseDirectory.root == str(tmp_path / "view") and c.CourseDirectory.course_id == "ward"
    assert sandboxed_execute.SandboxExecute in c.Autograde.autograde_preprocessors
    assert set(c.SandboxExecute.hidden_paths) == {str(tmp_path / "real-root"), str(tmp_path / "view"), "/opt/courses"}
    assert (tmp_path / "migrated").exists()
    assert c.Execute.timeout == 30  # no course.yaml in that catalog: the default


def test_the_formgrader_takes_the_courses_own_timeouts_and_limits(tmp_path):
    import shutil

    catalog = tmp_path / "courses"
    shutil.copytree(Path(__file__).resolve().parents[3] / "courses" / "python-basics", catalog / "python-basics")
    meta = catalog / "python-basics" / "course.yaml"
    meta.write_text(meta.read_text("utf-8") + "grading:\n  cell_timeout: 90\n  memory_mb: 2048\n", "utf-8")
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    formgrader.write_configs(config_dir, "python-basics", tmp_path / "root", str(catalog), tmp_path / "view")
    c = load((config_dir / "nbgrader_config.py").read_text())
    assert c.Execute.timeout == 90 and c.SandboxExecute.memory_mb == 2048


def test_the_gradebook_url_reaches_nbgrader_from_the_environment_never_from_the_file(tmp_path, monkeypatch):
    """The site's gradebook URL holds a password: the config file (mode 0644) reads it from the
    formgrader's environment, where the hub puts it; without it, gradebook.db in the root."""
    monkeypatch.delenv(grading_settings.SITE_GRADEBOOK_ENV, raising=False)
    formgrader.write_configs(tmp_path, "ward", tmp_path / "real-root", None, tmp_path / "view")
    text = (tmp_path / "nbgrader_config.py").read_text()
    assert load(text).CourseDirectory.db_url == f"sqlite:///{tmp_path / 'view' / 'gradebook.db'}"
    url = "postgresql+psycopg://mnss_grader:s3cret@127.0.0.1:5432/mnss_gradebooks"
    monkeypatch.setenv(grading_settings.SITE_GRADEBOOK_ENV, url)
    formgrader.write_configs(tmp_path, "ward", tmp_path / "real-root", None, tmp_path / "view")
    text = (tmp_path / "nbgrader_config.py").read_text()
    assert "s3cret" not in text  # each course in a schema of its own (nbgrader's assignment names are unique)
    assert load(text).CourseDirectory.db_url == url + "?options=-csearch_path%3Dcourse_ward"


def test_a_rootless_box_is_chosen_where_transient_uids_are_not_mapped():
    assert sandbox.transient_uids_mapped("0 0 4294967295")  # the host
    assert not sandbox.transient_uids_mapped("0 100000 65536")  # a userns-remapped container


def test_a_failed_grading_step_names_its_cause_not_only_the_last_lines():
    log = "\n".join(
        [
            "[AutogradeApp | ERROR] There was an error processing assignment: x",
            "Traceback (most recent call last):",
            '  File "a.py", line 1',
            "mnss_courses.sandbox.SandboxError: sandboxed autograding cannot create its user namespace here",
            *[f"[AutogradeApp | ERROR] line {i}" for i in range(8)],
            "[AutogradeApp | ERROR] Please see the above traceback",
        ]
    )
    detail = grader.failure_detail(log)
    assert detail.startswith("mnss_courses.sandbox.SandboxError: sandboxed autograding cannot create")
    assert detail.endswith("Please see the above traceback") and "line 0" not in detail


def test_a_failed_step_reads_the_cause_from_the_log_when_the_error_only_points_there():
    """nbgrader's API gives the exception in `error` and the cause only in `log` (seen in a container)."""
    result = {
        "success": False,
        "error": "nbgrader.converters.base.NbGraderException: Please see the above traceback for details",
        "log": "Traceback (most recent call last):\nPermissionError: [Errno 13] Permission denied: '/etc/netns'",
    }
    with pytest.raises(grader.GradingError) as refused:
        grader._run(result, "autograding ann's lan-build")
    assert str(refused.value).startswith("autograding ann's lan-build failed: PermissionError: [Errno 13]")


def test_a_box_that_cannot_be_built_says_why_instead_of_scoring_zero(monkeypatch):
    """In a userns-remapped container the transient uids are not mapped and no user namespace can be
    made: grading stops with that reason and points to the formgrader."""
    monkeypatch.setattr(sandbox, "transient_uids_mapped", lambda: False)
    monkeypatch.setattr(sandbox, "user_namespaces_problem", lambda: "write failed /proc/self/uid_map")
    monkeypatch.setattr(sandbox, "ensure_netns_etc", lambda: None)
    with pytest.raises(sandbox.SandboxError, match=r"cannot create its user namespace here \(write failed"):
        sandbox.Box(sandbox.Limits())
