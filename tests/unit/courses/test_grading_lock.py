"""One grading step per course root: a second one meanwhile is refused at once, naming the one
that runs in both languages; the lock holds across processes and goes with its holder."""

import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest

from mnss_courses import grading_lock
from mnss_courses.grading_lock import LOCK_FILE, Busy, one_step


def test_a_second_step_meanwhile_is_refused_naming_the_running_one_in_both_languages(tmp_path):
    with one_step(tmp_path, "autograde", "lan-build"):
        with pytest.raises(Busy) as busy:
            with one_step(tmp_path, "collect", "lan-build"):
                pytest.fail("the second step ran while the first held the course root")
    assert busy.value.zh.startswith("另一个评分步骤正在进行（自动评分 lan-build，开始于 ")
    assert busy.value.en.startswith("another grading step is running (autograding lan-build, started ")
    assert busy.value.holder["action"] == "autograde"
    with one_step(tmp_path, "collect", "lan-build"):  # free again once the first is done
        pass


def test_the_lock_is_let_go_when_a_step_fails_and_says_nothing_then(tmp_path):
    with pytest.raises(RuntimeError):
        with one_step(tmp_path, "release", "lan-build"):
            assert b"release" in (tmp_path / LOCK_FILE).read_bytes()
            raise RuntimeError("nbgrader failed")
    assert (tmp_path / LOCK_FILE).read_bytes() == b""
    with one_step(tmp_path, "release", "lan-build"):
        pass


@contextmanager
def held_by_a_thread(tmp_path, action, assignment):
    """The lock held by another thread of this process until the block ends; yields the event
    that makes that thread finish its step."""
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with one_step(tmp_path, action, assignment):
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        yield leave
    finally:
        leave.set()
        holder.join(10)


def test_threads_of_one_process_are_serialised_too(tmp_path):
    """The formgrader runs each request's step in a thread of its own."""
    with held_by_a_thread(tmp_path, "autograde", "a"):
        with pytest.raises(Busy) as refused:
            with one_step(tmp_path, "feedback", "a"):
                pass
    assert "autograding a" in refused.value.en


def test_another_process_holding_it_refuses_and_its_death_frees_it(tmp_path):
    hold = (
        "import sys; from mnss_courses.grading_lock import one_step\n"
        f"with one_step({str(tmp_path)!r}, 'grade', 'lan-build'):\n"
        "    print('held', flush=True); sys.stdin.read()\n"
    )
    other = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline() == "held\n"
        with pytest.raises(Busy) as busy:
            with one_step(tmp_path, "collect", "lan-build"):
                pass
        assert "收取并自动评分 lan-build" in busy.value.zh
    finally:
        other.kill()
        other.wait(10)
    with one_step(tmp_path, "collect", "lan-build"):  # killed mid-step: the kernel dropped its lock
        pass


def test_a_short_holder_is_waited_for_and_a_short_step_gives_way(tmp_path, monkeypatch):
    """Writing the learners' names takes a moment: a step waits for it rather than being
    refused; the names writer itself skips when a step runs (the next view writes them)."""
    with one_step(tmp_path, "autograde", "a"):
        with pytest.raises(Busy):
            with one_step(tmp_path, "names", ""):
                pass
    with held_by_a_thread(tmp_path, "names", "") as done:
        threading.Timer(0.3, done.set).start()
        with one_step(tmp_path, "autograde", "a"):  # waited for the writer, not refused
            assert done.is_set()
    monkeypatch.setattr(grading_lock, "PATIENCE", 0.0)
    with one_step(tmp_path, "names", ""):
        with pytest.raises(Busy):
            with one_step(tmp_path, "autograde", "a"):
                pass


@pytest.mark.parametrize("step", ["build", "release", "collect", "grade", "feedback"])
def test_the_cli_on_a_root_of_its_own_takes_the_same_lock(tmp_path, monkeypatch, capsys, step):
    """`mnss course STEP --root R` on a root the formgrader (or another command) grades in."""
    from pathlib import Path

    from mnss_courses import sandbox
    from mnss_kernel.cli import main

    monkeypatch.setattr(sandbox, "box_problem", lambda: "")
    monkeypatch.setenv("MNSS_LANG", "zh-CN")
    (tmp_path / "release" / "lan-build").mkdir(parents=True)  # built, so release gets to the lock
    (tmp_path / "submitted" / "ann" / "lan-build").mkdir(parents=True)
    courses = Path(__file__).resolve().parents[3] / "courses"
    args = ["course", step, "hospital-lan", "lan-build", "--courses", str(courses), "--root", str(tmp_path)]
    if step in ("release", "collect", "feedback"):
        args += ["--exchange-url", "http://127.0.0.1:9", "--token", "t"]  # never reached
    with one_step(tmp_path, "autograde", "lan-build"):
        assert main(args) == 2
    said = capsys.readouterr().err
    assert said.startswith("mnss: 另一个评分步骤正在进行（自动评分 lan-build，开始于 "), said
    assert not (tmp_path / "gradebook.db").exists()  # nothing of the step was written
