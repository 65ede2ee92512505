"""The per-course formgrader on the real hub (local mode) gives an instructor grading, not a shell.

The hub runs as root; the formgrader service must not. An instructor of the course asks it, with
their own hub token, for everything a Jupyter server usually offers, and each is refused; the
server process is checked with /proc and ps, and what its account can reach is tried with the
account's own credentials inside the server's mount namespace (tests/support/formgrader.py, also
used by the docker-mode test). Autograde from the formgrader still works, in a rootless box.
"""

import json
import os
import pwd
import shutil
from types import SimpleNamespace

import pytest

from mnss_courses import formgrader
from mnss_hub.accounts import AccountStore
from mnss_hub.hubclient import HubClient
from tests.support import formgrader as checks
from tests.support.hubproc import ROOT, free_ports, running_hub, site_config

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the hub drops the formgrader to its account only as root")]

COURSE, AID = "python-basics", "ward-strings-lists"
USERS = ("teach", "alice")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("formgrader")
    state = work / "state"
    (exchange_port,) = free_ports(1)
    config = site_config(state, courses={
        "enabled": True, "exchange_port": exchange_port, "catalog": str(ROOT / "courses"),
        "members": [{"course": COURSE, "instructors": ["teach"], "learners": ["alice"]}]})
    store = AccountStore(state / "accounts.sqlite")
    for user in USERS:
        store.create(user, f"{user}-password-x1", must_change=False)
    with running_hub(work, config) as (url, proc, log):
        clients = {u: HubClient(url, timeout=120) for u in USERS}
        for user, client in clients.items():
            client.login(user, f"{user}-password-x1")
        yield SimpleNamespace(url=url, base=f"{url}services/{formgrader.service_name(COURSE)}/", state=state,
                              clients=clients, root=state / "grading" / COURSE)


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


def test_autograde_in_the_formgrader_is_sandboxed_and_scores(hub):
    """A submission placed in the course root is autograded by the formgrader itself (a rootless box
    under the account): the instructor's solution gets full marks, and no box is left behind."""
    if not (hub.root / "release" / AID).exists():
        generated = ask(hub, "POST", f"formgrader/api/assignment/{AID}/assign")
        assert generated.status_code == 200 and generated.json()["success"], generated.text[:2000]
    target = hub.root / "submitted" / "alice" / AID
    shutil.copytree(ROOT / "courses" / COURSE / "source" / AID, target, dirs_exist_ok=True)
    (target / "timestamp.txt").write_text("2026-11-30 01:00:00.000000 UTC")
    account = pwd.getpwnam(formgrader.account_name(COURSE))
    formgrader.give_tree(hub.root, account.pw_uid, account.pw_gid)
    graded = ask(hub, "POST", f"formgrader/api/submission/{AID}/alice/autograde")
    assert graded.status_code == 200 and graded.json()["success"], graded.text[:2000]
    submission = ask(hub, "GET", f"formgrader/api/submission/{AID}/alice").json()
    assert submission["code_score"] == submission["max_code_score"] > 0, json.dumps(submission)[:500]
    assert list((formgrader.WORKSPACES / account.pw_name / "boxes").iterdir()) == []
