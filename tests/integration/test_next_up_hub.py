"""Next up on the real hub, through the learner's own server: recommendations come from the one
course the learner is enrolled in, or (one at most) are marked 先选课 / Enrol first, and their
reasons name what the learner did; fetch is offered only for what the exchange has released, and
a refused fetch carries the exchange's own words (not "nbgrader fetch_assignment failed").

nurse learns hospital-lan and has finished lan-build; three learners of python-basics make that
course popular. The instructor releases through the exchange with nbgrader's API and their token.
"""

import time
from types import SimpleNamespace

import pytest
import requests

from mnss_hub.hubclient import HubClient
from tests.support.hubproc import LOCAL_HUB_MARKS, course_site, create_accounts, hub_folders, logged_in, running_hub
from tests.support.learner import release

pytestmark = LOCAL_HUB_MARKS

COURSE, DONE, NEXT = "hospital-lan", "lan-build", "vlan-isolation"
OTHER = "python-basics"
CROWD = ("p1", "p2", "p3")
DONE_TITLE = ("搭建并测量一个病区局域网", "Build and measure a ward LAN")


def post_events(api: str, who: HubClient, rows: list[tuple[str, str, float | None]], tag: str) -> None:
    now = time.time()
    events = [
        {
            "event_id": f"{tag}{n}",
            "item": item,
            "kind": kind,
            "timestamp": now - 100 + n,
            **({"score": score} if score is not None else {}),
        }
        for n, (item, kind, score) in enumerate(rows)
    ]
    stored = requests.post(api + "events", json={"events": events}, headers=who.headers, timeout=10)
    assert stored.status_code == 200, stored.text


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work, state, rec_port = hub_folders(tmp_path_factory, "next-up")
    config = course_site(
        state,
        [
            {"course": COURSE, "instructors": ["teacher"], "learners": ["nurse"]},
            {"course": OTHER, "instructors": ["carol"], "learners": list(CROWD)},
        ],
        recommender={"enabled": True, "port": rec_port, "retrain_seconds": 10, "flush_seconds": 1},
    )
    users = ("teacher", "nurse", *CROWD)
    create_accounts(state, users)
    with running_hub(work, config) as (url, proc, log):
        clients = logged_in(url, users)
        api = url + "services/mnss-recommender/api/"
        for user in CROWD:
            post_events(
                api,
                clients[user],
                [
                    (f"{OTHER}/ward-strings-lists", "opened", None),
                    (f"{OTHER}/ward-strings-lists", "graded", 1.0),
                    (f"{OTHER}/device-inventory-dicts", "opened", None),
                ],
                user,
            )
        post_events(
            api, clients["nurse"], [(f"{COURSE}/{DONE}", "opened", None), (f"{COURSE}/{DONE}", "graded", 1.0)], "nurse"
        )
        posted = time.time()
        deadline = time.monotonic() + 40  # retrained every 10 s
        while True:
            me = requests.get(api + "me", headers=clients["nurse"].headers, timeout=10).json()
            if me["trained_at"] and me["trained_at"] > posted:
                break
            assert time.monotonic() < deadline, f"the recommender did not retrain: {me}"
            time.sleep(1)
        clients["nurse"].start_server("nurse")
        yield SimpleNamespace(url=url, work=work, log=log, me=me, clients=clients, panel=url + "user/nurse/mnss/panel")


def panel(hub) -> dict:
    response = requests.get(hub.panel, headers=hub.clients["nurse"].headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def open_item(hub, item: str) -> requests.Response:
    return requests.post(hub.panel + "/open", json={"item": item}, headers=hub.clients["nurse"].headers, timeout=180)


def test_recommendations_are_from_the_enrolled_course_or_marked_enrol_first(hub):
    me = hub.me
    assert [c["id"] for c in me["courses"]] == [COURSE] and me["courses"][0]["done"] == 1, me
    recs = me["recommendations"]
    # the course's one item left, then a single item of another course
    assert len(recs) == 2 and recs[0]["item"] == f"{COURSE}/{NEXT}" and recs[0]["enrolled"], recs
    assert recs[1]["enrol_first"], recs
    for rec in recs:
        if rec["item"].startswith(COURSE + "/"):
            assert rec["enrolled"] and not rec["enrol_first"], rec
            assert "先选课" not in rec["reason_zh"] and "Enrol first" not in rec["reason_en"], rec
        else:
            assert rec["enrol_first"] and not rec["enrolled"], rec
            assert rec["reason_zh"].startswith("先选课《") and rec["reason_en"].startswith("Enrol first in "), rec
    assert f"{COURSE}/{DONE}" not in [r["item"] for r in recs], "a finished item is not offered again"


def test_reasons_hold_for_this_learner(hub):
    """The enrolled recommendation is explained by what nurse did (lan-build, its prerequisite);
    no reason says "you" about an item nurse never touched, nor counts zero learners."""
    (next_up,) = [r for r in hub.me["recommendations"] if r["item"] == f"{COURSE}/{NEXT}"]
    assert DONE_TITLE[0] in next_up["reason_zh"] and DONE_TITLE[1] in next_up["reason_en"], next_up
    for rec in hub.me["recommendations"]:
        en, zh = rec["reason_en"], rec["reason_zh"]
        if "you finished" in en or "which you took" in en:  # about nurse: must name what nurse did
            assert DONE_TITLE[1] in en and DONE_TITLE[0] in zh, rec
        assert "you started it" not in en and "not finished yet" not in en, f"nurse left nothing unfinished: {rec}"
        assert "taken by 0 " not in en, rec


def test_panel_offers_fetch_only_when_released_and_says_why_not(hub):
    summary = panel(hub)
    by_item = {r["item"]: r for r in summary["recommendations"]}
    assert summary["exchange_error"] is None, summary
    assert by_item[f"{COURSE}/{NEXT}"]["released"] is False, "nothing is released yet"
    refused = open_item(hub, f"{COURSE}/{NEXT}")
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert "尚未发布" in error["zh"] and "not released yet" in error["en"], error

    other = open_item(hub, f"{OTHER}/ward-strings-lists")
    assert other.status_code == 502, other.text
    error = other.json()["error"]
    assert error["zh"].startswith(f"获取作业失败：你不是课程 {OTHER} 的学员"), error
    assert f"you are not a member of course '{OTHER}'" in error["en"], "the exchange's own words"
    assert "Traceback" not in other.text

    release(hub.work, hub.url + "services/mnss-exchange/", hub.clients["teacher"].token, COURSE, NEXT)
    assert {r["item"]: r for r in panel(hub)["recommendations"]}[f"{COURSE}/{NEXT}"]["released"] is True
    opened = open_item(hub, f"{COURSE}/{NEXT}")
    assert opened.status_code == 200, opened.text
    assert opened.json() == {"path": f"{COURSE}/{NEXT}/{NEXT}.ipynb"}


def test_a_failed_fetch_shows_the_exchange_clients_reason(hub):
    """lan-build is released, but a folder of that name (without a notebook) is in the way: the
    page gets nbgrader's own reason, not the bare "nbgrader fetch_assignment failed"."""
    nurse = hub.clients["nurse"]
    for folder in (COURSE, f"{COURSE}/{DONE}"):
        nurse._call("PUT", f"user/nurse/api/contents/{folder}", expect=(200, 201), json={"type": "directory"})
    nurse._call(
        "PUT",
        f"user/nurse/api/contents/{COURSE}/{DONE}/notes.txt",
        expect=(200, 201),
        json={"type": "file", "format": "text", "content": "mine"},
    )
    release(hub.work, hub.url + "services/mnss-exchange/", hub.clients["teacher"].token, COURSE, DONE)
    failed = open_item(hub, f"{COURSE}/{DONE}")
    assert failed.status_code == 502, failed.text
    error = failed.json()["error"]
    assert error["zh"].startswith("获取作业失败：") and "already have a copy of the assignment" in error["en"], error
    assert "nbgrader fetch_assignment failed" not in error["en"]
