"""The course exchange on the real hub: a whole nbgrader round trip, then every refusal on its own.

One hub (started by `mnss-hub run`) serves two courses. The instructor works with nbgrader's
Python API in this process (with their own hub token); the learners work the way they would
in a notebook: nbgrader commands run in a kernel of their own server, whose
$JUPYTERHUB_API_TOKEN is what the exchange service sees. Refusals are sent as a hostile
learner would send them: hand-made HTTP requests with that learner's own token.
"""

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from mnss_courses import grader
from mnss_courses.exchange import archive, client
from mnss_hub.accounts import AccountStore
from mnss_hub.hubclient import HubClient
from tests.support.hubproc import ROOT, VENV_BIN, accounts_url, hub_folders, running_hub, site_config
from tests.support.learner import nbgrader_in_server, read_in_server, save_in_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="lan-build's tests build live networks (root)"),
]

COURSE, AID = "hospital-lan", "lan-build"
OTHER, OTHER_AID = "python-basics", "ward-strings-lists"
SOURCE = ROOT / "courses" / COURSE / "source" / AID
USERS = ("teacher", "alice", "bob", "carol")
MAX_UPLOAD_MB = 1


def password(user: str) -> str:
    return f"{user}-password-x1"


def instructor_api(root: Path, exchange_url: str, token: str) -> NbGraderAPI:
    config = grader.config_for(root, COURSE)  # autograde sandboxed, as on the hub
    client.configure(config, service_url=exchange_url, api_token=token)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def ok(result: dict, what: str) -> dict:
    assert result and result.get("success"), f"{what}: {result.get('error') or result.get('log')}"
    return result


class Api:
    """Raw HTTP to the exchange through the hub's proxy, as a hostile learner would write it."""

    def __init__(self, base: str, token: str | None):
        self.base, self.token = base + "services/mnss-exchange/api/", token

    def __call__(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        return requests.request(method, self.base + path, headers=headers, timeout=60, **kw)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work, state, exchange_port = hub_folders(tmp_path_factory, "exchange")
    config = site_config(
        state,
        courses={
            "enabled": True,
            "exchange_port": exchange_port,
            "max_upload_mb": MAX_UPLOAD_MB,
            "catalog": str(ROOT / "courses"),
            "members": [
                {"course": COURSE, "instructors": ["teacher"], "learners": ["alice", "bob"]},
                {"course": OTHER, "instructors": ["carol"]},
            ],
        },
        recommender={"enabled": True, "flush_seconds": 1},
    )
    store = AccountStore(accounts_url(state))
    for user in USERS:
        store.create(user, password(user), must_change=False)
    with running_hub(work, config) as (url, proc, log):
        clients = {}
        for user in USERS:
            clients[user] = HubClient(url, timeout=120)
            clients[user].login(user, password(user))
        yield SimpleNamespace(
            url=url,
            work=work,
            state=state,
            log=log,
            clients=clients,
            exchange_url=url + "services/mnss-exchange/",
            api={u: Api(url, c.token) for u, c in clients.items()},
        )


@pytest.fixture(scope="module")
def course_run(hub):
    """Release, fetch, submit (right and wrong), collect, autograde, feedback, export: once."""
    teacher, alice, bob = (hub.clients[u] for u in ("teacher", "alice", "bob"))
    root = hub.work / "teacher-course"
    shutil.copytree(SOURCE, root / "source" / AID)
    api = instructor_api(root, hub.exchange_url, teacher.token)
    ok(api.generate_assignment(AID), "generate")
    ok(api.release_assignment(AID), "release through the exchange")

    run = SimpleNamespace(root=root, api=api, fetched={}, submitted={}, feedback_cmd={}, feedback={})
    for learner in (alice, bob):
        name = "alice" if learner is alice else "bob"
        learner.start_server(name)
        run.fetched[name] = nbgrader_in_server(learner, name, "fetch_assignment", AID, "--course", COURSE)
    # alice answers with the instructor's solution (saved the way JupyterLab saves); bob hands in the blank
    solution = json.loads((SOURCE / f"{AID}.ipynb").read_text("utf-8"))
    save_in_server(alice, "alice", f"{COURSE}/{AID}/{AID}.ipynb", solution)
    for name, learner in (("alice", alice), ("bob", bob)):
        run.submitted[name] = nbgrader_in_server(learner, name, "submit", AID, "--course", COURSE)

    ok(api.collect(AID), "collect")
    for student in ("alice", "bob"):
        ok(api.autograde(AID, student), f"autograde {student}")
    ok(api.generate_feedback(AID), "generate feedback")
    ok(api.release_feedback(AID), "release feedback")
    for name, learner in (("alice", alice), ("bob", bob)):
        run.feedback_cmd[name] = nbgrader_in_server(learner, name, "fetch_feedback", AID, "--course", COURSE)
        run.feedback[name] = read_in_server(learner, name, f"{COURSE}/{AID}/feedback/*/{AID}.html")
    export = subprocess.run(
        [str(VENV_BIN / "nbgrader"), "export", "--to", "grades.csv", f"--CourseDirectory.course_id={COURSE}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    run.grades = {row["student_id"]: row for row in csv.DictReader(open(root / "grades.csv"))}
    run.listed = {
        which: nbgrader_in_server(alice, "alice", "list", *flags, "--course", COURSE)
        for which, flags in (("released", ()), ("submitted", ("--cached",)))
    }
    run.key = {
        s: [
            m["key"]
            for m in hub.api["teacher"]("GET", f"courses/{COURSE}/submissions", params={"student_id": s}).json()[
                "submissions"
            ]
        ][-1]
        for s in ("alice", "bob")
    }
    return run


def submissions_of(hub, student: str) -> list[dict]:
    listing = hub.api["teacher"]("GET", f"courses/{COURSE}/submissions", params={"student_id": student})
    return listing.json()["submissions"]


def tar_bytes(*members: tuple[str, bytes | None, bytes]) -> bytes:
    """members: (name, content or None, tar type)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/shadow"
            info.size = len(content or b"")
            tar.addfile(info, io.BytesIO(content) if content else None)
    return buffer.getvalue()


def assert_refused(response: requests.Response, status: int, text: str = "") -> None:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["status"] == status and text in body["error"], body


# -- the round trip -------------------------------------------------------------------------


def test_learners_fetch_and_submit_from_their_own_servers(course_run):
    for name in ("alice", "bob"):
        assert course_run.fetched[name]["rc"] == 0, course_run.fetched[name]["out"]
        assert f"Fetched as: {COURSE} {AID}" in course_run.fetched[name]["out"]
        assert course_run.submitted[name]["rc"] == 0, course_run.submitted[name]["out"]
        assert f"Submitted as: {COURSE} {AID}" in course_run.submitted[name]["out"]


def test_instructor_collects_exactly_the_two_submissions(course_run):
    submitted = course_run.root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    for name in ("alice", "bob"):
        folder = submitted / name / AID
        assert (folder / f"{AID}.ipynb").is_file()
        assert (folder / "timestamp.txt").read_text().endswith(" UTC")


def test_export_has_full_marks_for_the_solution_and_zero_for_the_blank(course_run):
    alice, bob = course_run.grades["alice"], course_run.grades["bob"]
    assert float(alice["max_score"]) == 10.0
    assert float(alice["raw_score"]) == float(alice["max_score"])
    assert float(bob["raw_score"]) == 0.0


def test_each_learner_fetches_only_their_own_feedback(course_run):
    for name in ("alice", "bob"):
        assert course_run.feedback_cmd[name]["rc"] == 0, course_run.feedback_cmd[name]["out"]
        assert len(course_run.feedback[name]) == 1, course_run.feedback[name]
    alice_html = next(iter(course_run.feedback["alice"].values()))
    bob_html = next(iter(course_run.feedback["bob"].values()))
    assert "10.0 / 10.0" in alice_html and "0.0 / 10.0" in bob_html and "10.0 / 10.0" not in bob_html


def test_fetched_feedback_reaches_the_recommender_as_graded_events(course_run, hub):
    """Each learner's own server reports fetching, opening, submitting and the score of the
    feedback it fetched (pseudonymised)."""
    from mnss_recommender.events import EventStore

    alice = hub.clients["alice"]  # opening the fetched notebook (in ./<course>/<assignment>/) is an event too
    opened = requests.get(
        f"{hub.url}user/alice/api/contents/{COURSE}/{AID}/{AID}.ipynb", headers=alice.headers, timeout=60
    )
    assert opened.status_code == 200, opened.text
    store = EventStore(f"sqlite:///{hub.state / 'recommender.sqlite'}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = [e for e in store.iter_interactions() if e.item == f"{COURSE}/{AID}"]
        graded = [e for e in events if e.kind == "graded"]
        if len(graded) >= 2 and {"opened", "fetched", "submitted"} <= {e.kind for e in events}:
            break
        time.sleep(1)
    store.close()
    assert sorted(e.score for e in graded) == [0.0, 1.0], graded
    assert {"opened", "fetched", "submitted"} <= {e.kind for e in events}, events
    assert not {"alice", "bob"} & {e.learner for e in graded}  # pseudonyms, never names


def test_nbgrader_list_in_a_learners_server_sees_the_exchange(course_run):
    """What nbgrader's Assignment List shows (an instructor's lab has it; test_lab_nbgrader_tools)
    comes from the same ExchangeList as `nbgrader list`, run here as the learner would."""
    released, submitted = (course_run.listed[k] for k in ("released", "submitted"))
    assert released["rc"] == 0 and submitted["rc"] == 0, course_run.listed
    assert re.findall(r"INFO\] (\S+ \S+ \(already downloaded\))", released["out"]) == [
        f"{COURSE} {AID} (already downloaded)"
    ], released["out"]
    mine = re.findall(r"INFO\] (\S+ \S+ \S+) \d{4}-.* \((.+)\)$", submitted["out"], re.MULTILINE)
    assert mine and set(mine) == {(f"{COURSE} alice {AID}", "feedback already fetched")}, submitted["out"]


def test_exchange_storage_is_private_to_the_service(course_run, hub):
    root = hub.state / "exchange"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    loose = [p for p in root.rglob("*") if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert not loose, loose


# -- refusals, each on its own ------------------------------------------------------------------


def test_requests_without_a_usable_token_are_refused(course_run, hub):
    assert_refused(Api(hub.url, None)("GET", "assignments"), 401, "missing or invalid token")
    assert_refused(Api(hub.url, "not-a-real-token")("GET", "assignments"), 401)
    narrow = requests.post(
        f"{hub.url}hub/api/users/bob/tokens",
        headers=hub.clients["bob"].headers,
        timeout=30,
        json={"scopes": ["read:users:name!user"], "note": "no exchange access"},
    )
    assert narrow.status_code == 201, narrow.text
    assert_refused(Api(hub.url, narrow.json()["token"])("GET", "assignments"), 403, "may not use the exchange")


def test_learner_cannot_download_another_learners_submission(course_run, hub):
    bob = hub.api["bob"]
    path = f"courses/{COURSE}/submissions/{AID}/alice/{course_run.key['alice']}"
    assert hub.api["teacher"]("GET", path).status_code == 200  # it exists...
    assert_refused(bob("GET", path), 403, "you must be instructor")  # ...and bob may not have it
    assert_refused(bob("GET", f"courses/{COURSE}/submissions"), 403)
    listing = bob("GET", "assignments").json()
    assert {s["student_id"] for s in listing["submissions"]} == {"bob"}


def test_learner_cannot_fetch_another_learners_feedback(course_run, hub):
    bob = hub.api["bob"]
    assert_refused(
        bob("GET", f"courses/{COURSE}/assignments/{AID}/feedback", params={"student_id": "alice"}),
        400,
        "whoever owns the token",
    )
    assert_refused(bob("GET", f"courses/{COURSE}/assignments/{AID}/feedback", params={"student": "alice"}), 400)
    own = archive.read(bob("GET", f"courses/{COURSE}/assignments/{AID}/feedback").content)
    assert own and all("0.0 / 10.0" in content.decode() for _, content in own)
    assert not any("10.0 / 10.0" in content.decode() for _, content in own)


def test_learner_cannot_submit_as_another_learner(course_run, hub):
    before_alice, before_bob = len(submissions_of(hub, "alice")), len(submissions_of(hub, "bob"))
    body = archive.pack([(f"{AID}.ipynb", b"{}")])
    assert_refused(
        hub.api["bob"](
            "POST", f"courses/{COURSE}/assignments/{AID}/submission", params={"student": "alice"}, data=body
        ),
        400,
        "do not send 'student'",
    )
    # nbgrader's own --student flag, from bob's server: ignored, the submission is bob's
    spoof = nbgrader_in_server(hub.clients["bob"], "bob", "submit", AID, "--course", COURSE, "--student", "alice")
    assert spoof["rc"] == 0, spoof["out"]
    assert "--student alice is ignored" in spoof["out"]
    assert len(submissions_of(hub, "alice")) == before_alice
    # bob's own: a new record, or his newest one when his work is unchanged since (kept once)
    assert len(submissions_of(hub, "bob")) in (before_bob + 1, before_bob) and submissions_of(hub, "bob")


def test_learner_cannot_list_or_fetch_another_courses_assignments(course_run, hub):
    released = hub.api["carol"](
        "PUT", f"courses/{OTHER}/assignments/{OTHER_AID}", data=archive.pack([(f"{OTHER_AID}.ipynb", b"{}")])
    )
    assert released.status_code in (201, 409), released.text
    bob = hub.api["bob"]
    assert {a["course_id"] for a in bob("GET", "assignments").json()["assignments"]} == {COURSE}
    assert_refused(bob("GET", "assignments", params={"course_id": OTHER}), 403, f"not a member of course '{OTHER}'")
    assert_refused(bob("GET", f"courses/{OTHER}/assignments/{OTHER_AID}"), 403)
    fetch = nbgrader_in_server(hub.clients["bob"], "bob", "fetch_assignment", OTHER_AID, "--course", OTHER)
    assert fetch["rc"] != 0 and f"not a member of course '{OTHER}'" in fetch["out"]
    # and an instructor of one course is nobody in another
    assert_refused(hub.api["carol"]("GET", f"courses/{COURSE}/submissions"), 403)
    assert_refused(bob("GET", "assignments", params={"course_id": "no-such-course"}), 404, "unknown course")


def test_learner_cannot_release_collect_or_release_feedback(course_run, hub):
    bob, body = hub.api["bob"], archive.pack([("x.ipynb", b"{}")])
    assert_refused(
        bob("PUT", f"courses/{COURSE}/assignments/{AID}", params={"force": "1"}, data=body),
        403,
        "you must be instructor",
    )
    assert_refused(bob("DELETE", f"courses/{COURSE}/assignments/{AID}"), 403)
    assert_refused(bob("GET", f"courses/{COURSE}/submissions", params={"assignment_id": AID}), 403)
    assert_refused(
        bob(
            "PUT",
            f"courses/{COURSE}/feedback/{AID}/bob",
            params={"timestamp": "x"},
            data=archive.pack([(f"{AID}.html", b"<p>full marks</p>")]),
        ),
        403,
    )
    released = hub.api["alice"]("GET", f"courses/{COURSE}/assignments/{AID}")
    assert released.status_code == 200 and archive.read(released.content)  # the release is untouched


@pytest.mark.parametrize(
    "member",
    [
        ("../../../../tmp/mnss-evil.ipynb", b"{}", tarfile.REGTYPE),
        ("/tmp/mnss-evil.ipynb", b"{}", tarfile.REGTYPE),
        (f"{AID}.ipynb", None, tarfile.SYMTYPE),
    ],
    ids=["dotdot", "absolute", "symlink"],
)
def test_path_traversal_and_link_archives_are_refused(course_run, hub, member):
    before = len(submissions_of(hub, "alice"))
    response = hub.api["alice"]("POST", f"courses/{COURSE}/assignments/{AID}/submission", data=tar_bytes(member))
    assert_refused(response, 400, "entry")
    assert len(submissions_of(hub, "alice")) == before
    assert not Path("/tmp/mnss-evil.ipynb").exists()
    release = hub.api["teacher"](
        "PUT", f"courses/{COURSE}/assignments/{AID}", params={"force": "1"}, data=tar_bytes(member)
    )
    assert_refused(release, 400, "entry")


def test_oversized_upload_is_refused_with_413(course_run, hub):
    before = len(submissions_of(hub, "alice"))
    too_big = os.urandom(MAX_UPLOAD_MB * 1024 * 1024 + 1)
    response = hub.api["alice"]("POST", f"courses/{COURSE}/assignments/{AID}/submission", data=too_big)
    assert_refused(response, 413, f"limit of {MAX_UPLOAD_MB * 1024 * 1024} bytes")
    assert len(submissions_of(hub, "alice")) == before


def test_instructor_is_scoped_to_their_course_and_not_admin(course_run, hub):
    teacher = hub.clients["teacher"]
    assert teacher.user("teacher")["admin"] is False

    def get(path):
        return requests.get(f"{hub.url}hub/api/{path}", headers=teacher.headers, timeout=30)

    assert get(f"groups/{COURSE}-learners").json()["users"] == ["alice", "bob"]
    assert get(f"groups/{OTHER}-learners").status_code in (403, 404)
    assert get("users").status_code == 403


def mnss_course(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "mnss"), "course", *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )


def test_instructor_cli_round_trip_through_the_exchange(course_run, hub):
    """`mnss course build|release|collect|grade|feedback|export` on a second assignment."""
    aid, root = "vlan-isolation", hub.work / "teacher-cli"
    exchange = ["--root", str(root), "--exchange-url", hub.exchange_url, "--token", hub.clients["teacher"].token]
    built = mnss_course("build", COURSE, aid, "--root", str(root))
    assert built.returncode == 0 and (root / "release" / aid / f"{aid}.ipynb").is_file(), built.stderr
    released = mnss_course("release", COURSE, aid, *exchange)
    assert released.returncode == 0, released.stderr
    alice = hub.clients["alice"]
    fetched = nbgrader_in_server(alice, "alice", "fetch_assignment", aid, "--course", COURSE)
    assert fetched["rc"] == 0, fetched
    solution = json.loads((ROOT / "courses" / COURSE / "source" / aid / f"{aid}.ipynb").read_text("utf-8"))
    save_in_server(alice, "alice", f"{COURSE}/{aid}/{aid}.ipynb", solution)
    assert nbgrader_in_server(alice, "alice", "submit", aid, "--course", COURSE)["rc"] == 0
    collected = mnss_course("collect", COURSE, aid, *exchange)
    assert collected.returncode == 0 and "collected vlan-isolation: alice" in collected.stdout, collected.stderr
    graded = mnss_course("grade", COURSE, aid, "--root", str(root))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert graded.stdout.splitlines()[0].split() == ["alice", "8/8"], graded.stdout  # then one line per part
    fed = mnss_course("feedback", COURSE, aid, *exchange)
    assert fed.returncode == 0, fed.stderr
    assert nbgrader_in_server(alice, "alice", "fetch_feedback", aid, "--course", COURSE)["rc"] == 0
    assert read_in_server(alice, "alice", f"{COURSE}/{aid}/feedback/*/{aid}.html")
    exported = mnss_course("export", COURSE, "--root", str(root), "--to", str(root / "grades.csv"))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(open(root / "grades.csv")))
    assert [(r["assignment"], r["student_id"], float(r["score"])) for r in rows] == [(aid, "alice", 8.0)]


def test_instructor_cli_release_names_a_missing_exchange(course_run, hub, tmp_path):
    done = mnss_course("release", COURSE, AID, "--root", str(tmp_path), "--exchange-url", "")
    assert done.returncode == 2 and "not built yet" in done.stderr
    mnss_course("build", COURSE, AID, "--root", str(tmp_path))
    done = mnss_course("release", COURSE, AID, "--root", str(tmp_path), "--exchange-url", "")
    assert done.returncode == 2 and "no exchange: pass --exchange-url" in done.stderr


def test_each_course_has_a_formgrader_only_its_instructors_open(course_run, hub):
    """nbgrader's multi-course pattern: formgrader-<course> services, reachable by that course's
    instructors only (teacher: hospital-lan, carol: python-basics); learners never."""

    def get(user: str, course: str) -> requests.Response:
        return requests.get(
            f"{hub.url}services/formgrader-{course}/formgrader/manage_assignments",
            headers=hub.clients[user].headers,
            timeout=60,
            allow_redirects=False,
        )

    own = get("teacher", COURSE)
    assert own.status_code == 200 and "formgrader" in own.text.lower(), (
        own.status_code,
        own.headers.get("location"),
        own.text[:300],
    )
    assert get("carol", OTHER).status_code == 200
    listed = requests.get(
        f"{hub.url}services/formgrader-{COURSE}/formgrader/api/assignments",
        headers=hub.clients["teacher"].headers,
        timeout=60,
    )
    assert listed.status_code == 200, listed.text[:300]
    assert {"lan-build", "vlan-isolation"} <= {a["name"] for a in listed.json()}  # its course root, from the catalog
    for user, course in (("teacher", OTHER), ("carol", COURSE), ("alice", COURSE), ("bob", OTHER)):
        assert get(user, course).status_code == 403, (user, course)
    assert hub.clients["teacher"].user("teacher")["admin"] is False
