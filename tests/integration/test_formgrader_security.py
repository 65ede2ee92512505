"""The per-course formgrader on the real hub (local mode) gives an instructor grading, not a shell.

The hub runs as root; the formgrader service must not. An instructor of the course asks it, with
their own hub token, for everything a Jupyter server usually offers, and each is refused; the
server process is checked with /proc and ps, and what its account can reach is tried with the
account's own credentials inside the server's mount namespace (tests/support/formgrader.py, also
used by the docker-mode test). Autograde from the formgrader still works, in a rootless box.
"""

import csv
import io
import json
import os
import pwd
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from mnss_courses import formgrader, sandbox
from mnss_foundation import system_accounts
from tests.support import formgrader as checks
from tests.support.hubproc import ROOT, course_site, create_accounts, logged_in, running_hub
from tests.support.learner import nbgrader_in_server, read_in_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the hub drops the formgrader to its account only as root"),
]

COURSE, AID = "python-basics", "ward-strings-lists"
LIVE, LIVE_AID = "hospital-lan", "lan-build"  # its checks build the learner's network
USERS = ("teach", "alice")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("formgrader")
    state = work / "state"
    config = course_site(
        state,
        [
            {"course": COURSE, "instructors": ["teach"], "learners": ["alice"]},
            {"course": LIVE, "instructors": ["teach"]},
        ],
    )
    create_accounts(state, USERS)
    with running_hub(work, config) as (url, proc, log):
        clients = logged_in(url, USERS)
        yield SimpleNamespace(
            url=url,
            base=f"{url}services/{formgrader.service_name(COURSE)}/",
            state=state,
            clients=clients,
            root=state / "grading" / COURSE,
        )


def ask(hub, method: str, path: str, user: str = "teach"):
    return checks.ask(hub.base, hub.clients[user].headers, method, path)


def test_the_instructor_gets_the_formgrader_and_learners_do_not(hub):
    page = ask(hub, "GET", "formgrader/manage_assignments")
    assert page.status_code == 200 and "formgrader" in page.text.lower(), (page.status_code, page.text[:300])
    listed = ask(hub, "GET", "formgrader/api/assignments")
    assert listed.status_code == 200 and AID in {a["name"] for a in listed.json()}
    assert ask(hub, "GET", "formgrader/manage_assignments", user="alice").status_code == 403


@pytest.mark.parametrize("method,path", checks.REFUSED)
def test_no_shell_no_kernel_no_file_outside_or_written(hub, method, path):
    checks.assert_refused(hub.base, hub.clients["teach"].headers, method, path, hub.root, hub.state)


def test_the_server_runs_as_the_courses_account_and_reaches_its_root_only(hub):
    checks.assert_process_unprivileged(COURSE, hub.root, hub.state)


@pytest.mark.parametrize("course,aid", [(COURSE, AID), (LIVE, LIVE_AID)])
def test_autograde_in_the_formgrader_is_sandboxed_and_scores(hub, course, aid):
    """A submission placed in the course root is autograded by the formgrader itself (a rootless box
    under the account; for lan-build the box builds the learner's network): the instructor's
    solution gets full marks, and no box is left behind."""
    base, root = hub.base.replace(COURSE, course), hub.root.parent / course
    teach = hub.clients["teach"].headers
    if not (root / "release" / aid).exists():
        generated = checks.ask(base, teach, "POST", f"formgrader/api/assignment/{aid}/assign")
        assert generated.status_code == 200 and generated.json()["success"], generated.text[:2000]
    target = root / "submitted" / "alice" / aid
    shutil.copytree(ROOT / "courses" / course / "source" / aid, target, dirs_exist_ok=True)
    (target / "timestamp.txt").write_text("2026-11-30 01:00:00.000000 UTC")
    account = pwd.getpwnam(formgrader.account_name(course))
    system_accounts.give_tree(root, account.pw_uid, account.pw_gid)
    graded = checks.ask(base, teach, "POST", f"formgrader/api/submission/{aid}/alice/autograde")
    assert graded.status_code == 200 and graded.json()["success"], graded.text[:2000]
    submission = checks.ask(base, teach, "GET", f"formgrader/api/submission/{aid}/alice").json()
    assert submission["code_score"] == submission["max_code_score"] > 0, json.dumps(submission)[:500]
    assert list((formgrader.WORKSPACES / account.pw_name / "boxes").iterdir()) == []


def test_the_formgraders_boxes_are_staged_on_a_capped_tmpfs(hub):
    """A rootless box may write its stage's ipc folder: the whole stage root is a tmpfs of
    sandbox.STAGE_MB in the server's mount namespace, so it cannot fill the machine's disk."""
    account = pwd.getpwnam(formgrader.account_name(COURSE))
    boxes = str(formgrader.WORKSPACES / account.pw_name / "boxes")
    mounts = Path(f"/proc/{checks.server_pid(hub.root)}/mounts").read_text().splitlines()
    found = [line.split() for line in mounts if line.split()[1] == boxes]
    assert len(found) == 1 and found[0][2] == "tmpfs", found
    assert f"size={sandbox.STAGE_MB << 10}k" in found[0][3] and f"uid={account.pw_uid}" in found[0][3], found
    assert boxes not in Path("/proc/self/mounts").read_text()  # not on the host


def test_a_whole_grading_round_from_the_formgrader(hub):
    """The instructor works only in the formgrader (its HTTP API, as its buttons call it): release,
    then the learner fetches and submits in their own server, then collect, autograde, feedback and
    the grade export; the learner reads the score in the returned feedback. No host shell, no token
    copied: the formgrader reaches the exchange with its own token, as this course's instructor."""
    aid = "device-inventory-dicts"
    assert ask(hub, "POST", f"formgrader/api/assignment/{aid}/assign").json()["success"]
    released = ask(hub, "POST", f"formgrader/api/assignment/{aid}/release").json()
    assert released["success"], released.get("error") or released.get("log")
    assert ask(hub, "GET", f"formgrader/api/assignment/{aid}").json()["status"] == "released"

    alice = hub.clients["alice"]
    alice.start_server("alice")
    assert nbgrader_in_server(alice, "alice", "fetch_assignment", aid, "--course", COURSE)["rc"] == 0
    notebook = next((ROOT / "courses" / COURSE / "source" / aid).glob("*.ipynb"))
    saved = requests.put(
        f"{hub.url}user/alice/api/contents/{COURSE}/{aid}/{notebook.name}",
        headers=alice.headers,
        timeout=60,
        json={"type": "notebook", "format": "json", "content": json.loads(notebook.read_text("utf-8"))},
    )
    assert saved.status_code in (200, 201), saved.text[:300]
    submitted = nbgrader_in_server(alice, "alice", "submit", aid, "--course", COURSE)
    assert submitted["rc"] == 0, submitted["out"]

    for step in ("collect", "alice/autograde", "generate_feedback", "release_feedback"):
        path = f"formgrader/api/submission/{aid}/{step}" if "/" in step else f"formgrader/api/assignment/{aid}/{step}"
        done = ask(hub, "POST", path).json()
        assert done["success"], (step, done.get("error") or done.get("log"))
    submission = ask(hub, "GET", f"formgrader/api/submission/{aid}/alice").json()
    assert submission["score"] == submission["max_score"] > 0, submission

    fetched = nbgrader_in_server(alice, "alice", "fetch_feedback", aid, "--course", COURSE)
    assert fetched["rc"] == 0, fetched["out"]
    feedback = read_in_server(alice, "alice", f"{COURSE}/{aid}/feedback/*/*.html")
    assert feedback and f"{submission['score']:g} / {submission['max_score']:g}" in " ".join(feedback.values()).replace(
        ".0 ", " "
    )

    grades = ask(hub, "GET", "mnss/grades.csv")
    assert grades.status_code == 200 and grades.headers["Content-Type"].startswith("text/csv")
    rows = [r for r in csv.DictReader(io.StringIO(grades.text)) if r["assignment"] == aid]
    assert [(r["student_id"], float(r["score"])) for r in rows] == [("alice", submission["max_score"])]
