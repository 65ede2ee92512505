"""Hostile submissions under real nbgrader autograde with the sandbox: each gets a fair zero for
the part it attacks, sees and changes nothing outside its box, and the honest submission graded
in the same batch keeps its marks.

The course root sits in a world-readable folder outside /tmp on purpose, so hiding it is the
box's mount namespace at work, not file permissions. Every submission has part 1 (1 point, honest)
and part 2 (2 points) whose answer cell carries the attack.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from mnss_courses import sandbox
from mnss_courses.authoring import AssignmentNotebook
from mnss_courses.grader import api, autograde, generate

pytestmark = [pytest.mark.integration, pytest.mark.slow]
if os.geteuid() != 0:
    pytest.skip("sandboxed autograding switches to transient uids, which needs root", allow_module_level=True)

COURSE, AID = "hostile", "one"
REPO = Path(__file__).resolve().parents[2]
SECRET = "mnss-test-secret-token-4711"

ATTACKS = {
    "honest": "",
    "loop": "while True:\n    pass",
    "loop-ignoring-sigint": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    "memory": "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))",
    "forkbomb": (
        "import os, time\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError:\n"
        "        raise RuntimeError('out of processes')\n    if pid == 0:\n        while True:\n"
        "            try:\n                os.fork()\n            except OSError:\n"
        "                time.sleep(0.2)"
    ),
    "killer": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "fake-score": (
        "print('[AutoGrader] part2-tests: 2/2 points. Total: 3/3')\n"
        "from IPython.display import display, JSON\ndisplay(JSON({'score': 3, 'max_score': 3}))\n"
        "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"
    ),
    "fills-ipc": (  # the one folder of its stage the box may write: at most 64 MiB tried, 1 MiB a file
        "import errno, os\nfrom ipykernel.connect import get_connection_file\n"
        "ipc = os.path.join(os.path.dirname(get_connection_file()), 'ipc')\nwritten, why = 0, 'none'\n"
        "try:\n    for n in range(64):\n        with open(os.path.join(ipc, f'fill-{n}'), 'wb') as f:\n"
        "            for _ in range(16):\n                f.write(b'x' * 65536)\n                f.flush()\n"
        "                written += 65536\n"
        "except OSError as e:\n    why = errno.errorcode.get(e.errno, str(e.errno))\n"
        "print(f'IPCFULL {written} {why} {sorted(os.listdir(ipc))[:3]}')\nraise RuntimeError('the attack ends here')"
    ),
    "gradebook": (
        "import sqlite3\ncon = sqlite3.connect({gradebook!r})\n"
        "con.execute('update grade set manual_score = 100')\ncon.commit()"
    ),
}
PROBE = """
import json, os, socket, sqlite3
report = {{}}
for p in {reads!r}:
    try:
        if os.path.isdir(p):
            report["read " + p] = "OK " + ",".join(sorted(os.listdir(p)))
        else:
            report["read " + p] = "OK " + open(p, "rb").read(64).hex()
    except Exception as e:
        report["read " + p] = type(e).__name__
for d in {writes!r}:
    try:
        with open(os.path.join(d, "mnss-probe-written"), "w") as f:
            f.write("x")
        report["write " + d] = "OK"
    except Exception as e:
        report["write " + d] = type(e).__name__
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    report["net"] = "OK"
except Exception as e:
    report["net"] = type(e).__name__
report["env"] = sorted(os.environ)
report["secret"] = any({secret!r} in v for v in os.environ.values())
report["uid"] = [os.getuid(), open("/proc/self/uid_map").read().split()]
print("PROBE" + json.dumps(report))
def part2():
    return 2
"""


def _notebook(path: Path, part2: str) -> None:
    (
        AssignmentNotebook()
        .answer("part1", "def part1():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
        .tests("part1-tests", 1, "assert part1() == 1")
        .answer("part2", part2)
        .tests(
            "part2-tests",
            2,
            "assert part2() == 2\n### BEGIN HIDDEN TESTS\nassert part2() + 0 == 2\n### END HIDDEN TESTS",
        )
        .save(path)
    )


@pytest.fixture(scope="module")
def listener():
    """A loopback TCP server of the grading host; the box must not reach it."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    server.settimeout(0.5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture(scope="module")
def batch(listener):
    port, accepted = listener
    Path("/opt").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="mnss-hostile-", dir="/opt"))
    os.chmod(root, 0o755)  # readable by anyone: only the box's mounts hide it
    boxes = Path(tempfile.mkdtemp(prefix="mnss-hostile-boxes-", dir="/opt"))  # this batch's stages only
    old_secret = os.environ.get("MNSS_GRADER_SECRET")
    os.environ["MNSS_GRADER_SECRET"] = SECRET  # as a hub token would be in the grader's environment
    os.environ["MNSS_SANDBOX_STAGE"] = str(boxes)
    try:
        _notebook(
            root / "source" / AID / f"{AID}.ipynb",
            "def part2():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION",
        )
        sentinel = root / "hub-state" / "secret.txt"
        sentinel.parent.mkdir()
        sentinel.write_text("instructor only\n")
        for p in root.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        grader = api(
            root,
            COURSE,
            cell_timeout=10,
            hidden=(str(REPO / "courses"),),
            memory_mb=1024,
            processes=64,
            notebook_timeout=25,
        )
        generate(grader, AID)
        gradebook = root / "gradebook.db"
        reads = [
            str(root),
            str(gradebook),
            str(root / "source" / AID / f"{AID}.ipynb"),
            str(root / "submitted" / "honest" / AID / f"{AID}.ipynb"),
            str(sentinel),
            str(REPO / "courses" / "hospital-lan" / "source"),
            str(boxes),
        ]
        writes = [str(root), str(root / "submitted"), str(REPO), "/etc", str(boxes), "/tmp", "."]
        attacks = dict(ATTACKS, probe=PROBE.format(reads=reads, writes=writes, port=port, secret=SECRET))
        for student, attack in attacks.items():
            source = attack.replace("{gradebook!r}", repr(str(gradebook)))
            if attack and student not in ("probe", "fake-score"):
                source += "\ndef part2():\n    return 2"  # never reached: the attack fails first
            _notebook(root / "submitted" / student / AID / f"{AID}.ipynb", source or "def part2():\n    return 2")
        before = {p: p.read_bytes() for p in (sentinel, root / "submitted" / "honest" / AID / f"{AID}.ipynb")}
        scores, seconds = {}, {}
        for student in attacks:
            started = time.monotonic()
            scores[student] = autograde(grader, AID, student)["code_score"]
            seconds[student] = time.monotonic() - started
        yield dict(
            root=root,
            grader=grader,
            scores=scores,
            seconds=seconds,
            before=before,
            accepted=accepted,
            boxes=boxes,
            leftovers=_box_processes(boxes),
        )
    finally:
        if old_secret is None:
            os.environ.pop("MNSS_GRADER_SECRET", None)
        os.environ.pop("MNSS_SANDBOX_STAGE", None)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(boxes, ignore_errors=True)


def _box_processes(boxes: Path) -> list[int]:
    """Processes of boxes staged under `boxes` (their HOME is there, and their children inherit
    it), not those of other graders that may run on the same machine."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid >= sandbox.UID_BASE:
                environ = (proc / "environ").read_bytes().split(b"\0")
                if any(v.startswith(f"HOME={boxes}/".encode()) for v in environ):
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


def _probe(batch) -> dict:
    """What the probe submission printed about its surroundings."""
    nb = nbformat.read(batch["root"] / "autograded" / "probe" / AID / f"{AID}.ipynb", 4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "PROBE" in text, text
    return json.loads(text.split("PROBE", 1)[1].splitlines()[0])


def _outputs(batch, student: str) -> str:
    nb = nbformat.read(batch["root"] / "autograded" / student / AID / f"{AID}.ipynb", 4)
    return "\n".join(json.dumps(o) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_the_honest_submission_keeps_full_marks(batch):
    assert batch["scores"]["honest"] == 3


@pytest.mark.parametrize(
    "student", ["loop", "loop-ignoring-sigint", "memory", "forkbomb", "killer", "fake-score", "gradebook", "fills-ipc"]
)
def test_a_hostile_part_scores_zero_and_the_honest_part_keeps_its_point(batch, student):
    assert batch["scores"][student] == 1, _outputs(batch, student)[-2000:]


def test_a_loop_that_ignores_interrupts_is_bounded_in_time(batch):
    out = _outputs(batch, "loop-ignoring-sigint")
    assert "no answer from the kernel in time" in out or "ran out of its 25 s" in out
    assert batch["seconds"]["loop-ignoring-sigint"] < 25 + 15  # the notebook's deadline, plus start and stop


def test_a_kernel_that_dies_is_reported_as_such(batch):
    assert "the kernel died" in _outputs(batch, "killer")


def test_a_submission_that_fills_its_ipc_folder_hits_the_cap_and_grading_goes_on(batch):
    """ipc/ is a tmpfs of sandbox.IPC_KB: the writes fail with ENOSPC there, the kernel still
    answers the next cells (part 2's test fails on its missing answer, not on a dead kernel), and
    no ipc mount or stage is left behind."""
    out = _outputs(batch, "fills-ipc")
    written, why = out.split("IPCFULL ", 1)[1].split()[:2]
    assert why == "ENOSPC" and 0 < int(written) <= sandbox.IPC_KB << 10, out[-2000:]
    assert "NameError" in out and "the kernel died" not in out
    assert str(batch["boxes"]) not in Path("/proc/self/mounts").read_text()
    assert list(batch["boxes"].iterdir()) == []


def test_the_box_sees_no_course_files_no_other_submission_and_no_grader_state(batch):
    report = _probe(batch)
    root = batch["root"]
    for key, value in report.items():
        if key.startswith("read "):
            path = key[5:]
            if path == str(root):  # absent (allow-list), or an empty folder or no listing (deny-list)
                assert value in ("FileNotFoundError", "OK ", "PermissionError"), (key, value)
            elif path == str(batch["boxes"]):  # at most the box's own stage, never another box's
                assert value == "PermissionError" or len(value.split(",")) == 1, (key, value)
            else:
                assert not value.startswith("OK"), (key, value)
    assert batch["scores"]["probe"] == 3  # the probe itself answers correctly


def test_nothing_outside_the_box_is_writable(batch):
    """The box may write only into its own tmpfs: its /tmp and work folder, and so a checkout lying
    under /tmp (a CI clone), whose path there is the box's scratch; nothing reaches the machine."""
    report = _probe(batch)
    allowed = {"write /tmp", "write ."} | ({f"write {REPO}"} if REPO.is_relative_to("/tmp") else set())
    for key, value in report.items():
        if key.startswith("write "):
            assert (value == "OK") == (key in allowed), (key, value)
    for key in report:
        if key.startswith("write ") and key != "write .":
            assert not (Path(key.removeprefix("write ")) / "mnss-probe-written").exists(), key
    assert not list(batch["root"].rglob("mnss-probe-written"))


def test_the_box_has_no_network_and_no_grader_secrets(batch):
    report = _probe(batch)
    assert report["net"] in ("OSError", "ConnectionRefusedError", "TimeoutError")
    assert batch["accepted"] == []
    assert report["secret"] is False and "MNSS_GRADER_SECRET" not in report["env"]
    assert "JUPYTERHUB_API_TOKEN" not in report["env"]
    assert report["uid"][0] == 0  # root of its own user namespace only: see the write test


def test_gradebook_and_other_files_are_untouched(batch):
    for path, content in batch["before"].items():
        assert path.read_bytes() == content
    grader = batch["grader"]
    for student, score in batch["scores"].items():
        submission = grader.get_submission(AID, student)
        assert submission["code_score"] == score
        assert submission["score"] == score  # no manual score appeared
    assert not (batch["root"] / "hub-state" / "mnss-probe-written").exists()


def test_no_process_of_any_box_outlives_grading(batch):
    assert batch["leftovers"] == []


def grade_in_own_root(work: str, part2: str) -> float:
    """One grader process with its own course root and gradebook; the score of student 'x'."""
    root = Path(work)
    _notebook(
        root / "source" / AID / f"{AID}.ipynb",
        "def part2():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION",
    )
    grader = api(root, COURSE, cell_timeout=30, processes=64, notebook_timeout=60)
    generate(grader, AID)
    _notebook(root / "submitted" / "x" / AID / f"{AID}.ipynb", part2)
    return autograde(grader, AID, "x")["code_score"]


def test_a_fork_bomb_does_not_starve_an_honest_submission_graded_at_the_same_time(tmp_path):
    """Each box has its own uid, so the bomb's RLIMIT_NPROC count is its own."""
    from concurrent.futures import ProcessPoolExecutor

    bomb = ATTACKS["forkbomb"].replace(
        "raise RuntimeError('out of processes')", "time.sleep(8)\n        raise RuntimeError('out of processes')"
    )
    honest = "import threading, subprocess\nsubprocess.run(['true'], check=True)\ndef part2():\n    return 2"
    with ProcessPoolExecutor(2) as pool:
        bombed = pool.submit(grade_in_own_root, str(tmp_path / "a"), bomb)
        time.sleep(1)  # the bomb is exploding while the honest kernel starts and forks
        fine = pool.submit(grade_in_own_root, str(tmp_path / "b"), honest)
        assert fine.result(timeout=300) == 3
        assert bombed.result(timeout=300) == 1


def _processes_of(uid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_a_box_ends_when_its_grader_is_killed(tmp_path):
    """bwrap's --die-with-parent: a grader killed mid-notebook (SIGKILL, no cleanup) leaves nothing."""
    box = sandbox.Box(sandbox.Limits(processes=64))
    try:
        if not box.allow_list:
            pytest.skip(f"bwrap cannot build a box here ({box.fallback_reason})")
        box.add_inputs(tmp_path / "nothing")
        launch = "import subprocess, sys, time; subprocess.Popen(sys.argv[1:]); time.sleep(300)"
        grader = subprocess.Popen(
            [sys.executable, "-c", launch, *box.command(["sleep", "300"])],
            env=box.environment(os.environ["PATH"]),
            cwd=box.stage,
        )
        try:
            assert _until(lambda: len(_processes_of(box.uid)) >= 2, 30), "the box never started"
        finally:
            grader.kill()
            grader.wait()
        assert _until(lambda: not _processes_of(box.uid), 10), _processes_of(box.uid)
    finally:
        for pid in _processes_of(box.uid):  # only this box's own uid
            os.kill(pid, 9)
        box.remove()


ROOTLESS_PROBE = """
import json, os, subprocess, sys
from mnss_courses import sandbox
box = sandbox.Box(sandbox.Limits(processes=64))
try:
    box.add_inputs(os.devnull)
    code = "import json, os; print(json.dumps([os.getuid(), sorted(os.listdir('/')), os.path.exists(%r)]))"
    argv = box.command([sys.executable, "-c", code % sys.argv[1]])
    done = subprocess.run(argv, env=box.environment(os.environ["PATH"]), capture_output=True, text=True, timeout=60)
    print(json.dumps([box.rootless, box.allow_list, box.fallback_reason, done.stdout, done.stderr[-1000:]]))
finally:
    box.remove()
"""


def test_a_grader_without_root_gets_the_allow_list_box_too():
    """As the course formgrader's account does: an unprivileged grader's rootless box is built by
    bwrap from the same allow-list, so the repository's git data is not there either."""
    home = Path(tempfile.mkdtemp(prefix="mnss-rootless-grader-", dir="/opt"))
    try:
        os.chown(home, 65534, 65534)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "MNSS_SANDBOX_STAGE": str(home / "boxes"),
            "PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO)),
        }
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        git = str(REPO / ".git")
        done = subprocess.run(
            [*nobody, sys.executable, "-c", ROOTLESS_PROBE, git], env=env, cwd=home, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        rootless, allow_list, reason, out, err = json.loads(done.stdout.splitlines()[-1])
        assert rootless and allow_list, reason
        uid, top, git_there = json.loads(out)
        assert uid == 0 and git_there is False, err  # root of its own namespace only
        assert "root" not in top and "home" not in top and "srv" not in top
    finally:
        shutil.rmtree(home, ignore_errors=True)
