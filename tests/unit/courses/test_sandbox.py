"""The sandbox's pure parts: the nbgrader config that selects it, the wrapped kernel command, the
environment the kernel gets, and how a stopped cell is made to count as failed."""

import os
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from mnss_courses import sandbox, sandboxed_execute


def test_configure_replaces_only_execute_in_autograde():
    from nbgrader.converters import Autograde

    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    chosen = sandboxed_execute.configure(Config(), memory_mb=512).Autograde.autograde_preprocessors
    assert Execute in stock and Execute not in chosen
    assert chosen == [sandboxed_execute.SandboxExecute if p is Execute else p for p in stock]


def test_configure_sets_limits_that_the_preprocessor_reads():
    c = sandboxed_execute.configure(Config(), memory_mb=512, notebook_timeout=60, hidden_paths=["/x"])
    pp = sandboxed_execute.SandboxExecute(config=c)
    assert (pp.memory_mb, pp.notebook_timeout, pp.hidden_paths) == (512, 60, ["/x"])
    assert pp.kernel_manager_class is sandboxed_execute.BoxKernelManager


def test_a_stopped_cell_counts_as_failed_with_its_reason():
    cell = new_code_cell("x = 1")
    sandboxed_execute._fail(cell, "the kernel died")
    (out,) = cell.outputs
    assert out.output_type == "error" and "the kernel died" in out.evalue


@pytest.fixture(params=["allow-list", "deny-list"])
def box(request, tmp_path, monkeypatch):
    """A box of each kind: bwrap's allow-list, and the deny-list kept where bwrap cannot work."""
    if os.geteuid() != 0:
        pytest.skip("a box allocates a transient uid, which needs root")
    if request.param == "deny-list":
        monkeypatch.setattr(sandbox.box_view, "unavailable", lambda *a: "no bwrap in this test")
    elif sandbox.box_view.unavailable(sandbox.PROBE_AS):
        pytest.skip(f"bwrap cannot build a box here: {sandbox.box_view.unavailable(sandbox.PROBE_AS)}")
    monkeypatch.setattr(sandbox, "STAGE_ROOT", tmp_path / "stage")
    b = sandbox.Box(
        sandbox.Limits(memory_mb=100, processes=7, cpu_seconds=9, file_mb=3, work_mb=11), hidden=["/opt/course"]
    )
    yield b
    b.remove()


def test_the_kernel_command_drops_to_the_boxs_own_uid_inside_namespaces(box):
    argv = box.command(["python", "-m", "ipykernel_launcher"])
    assert argv[: argv.index("--")] == [
        "prlimit",
        f"--as={100 << 20}",
        "--nproc=7",
        "--cpu=9",
        f"--fsize={3 << 20}",
        "--core=0",
    ]
    assert f"--reuid={box.uid}" in argv and "--no-new-privs" in argv and box.uid >= sandbox.UID_BASE
    assert argv[-3:] == ["python", "-m", "ipykernel_launcher"]
    if box.allow_list:  # nothing is hidden by name: what is not bound does not exist in the box
        assert argv[argv.index("--no-new-privs") + 1 : argv.index("--no-new-privs") + 3] == ["bwrap", "--unshare-all"]
        assert "/opt/course" not in argv and "/root" not in argv and sandbox.INNER in argv
        assert "unshare --user --map-root-user --mount --net" in sandbox.INNER  # the inner namespace owns the network
    else:
        assert {"--user", "--map-root-user", "--mount", "--pid", "--mount-proc"} <= set(argv)
        assert "/opt/course" in argv and "/root" in argv and "bwrap" not in argv
        assert "--net" in sandbox.SETUP  # the inner user namespace owns the box's network


def test_the_stage_belongs_to_the_box_and_inputs_skip_notebooks(box, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("a,b\n")
    (tmp_path / "sub" / "other.ipynb").write_text("{}")
    box.add_inputs(tmp_path / "sub")
    assert (box.stage / "in" / "data.csv").is_file() and not (box.stage / "in" / "other.ipynb").exists()
    assert box.stage.stat().st_uid == box.uid and oct(box.stage.stat().st_mode & 0o777) == "0o700"


def test_two_boxes_never_share_a_uid(box, tmp_path):
    other = sandbox.Box(sandbox.Limits())
    try:
        assert other.uid != box.uid
    finally:
        other.remove()


def test_the_kernel_environment_carries_nothing_of_the_graders(box, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret")
    env = box.environment("/usr/bin")
    assert "JUPYTERHUB_API_TOKEN" not in env and env["HOME"] == str(box.workdir) and env["PATH"] == "/usr/bin"
    import mnss_kernel

    first = env["PYTHONPATH"].split(os.pathsep)[0]
    assert Path(first) / "mnss_kernel" == Path(mnss_kernel.__file__).resolve().parent  # the grader's own
