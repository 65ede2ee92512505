"""Freshness through the real hub: a cell the learner runs in a course notebook of their own server
changes their "next up" list within one flush interval of the activity extension, with no
retraining in between (the service retrains hourly here): the service ranks with the model it
has and the learner's own events as they are now.
"""

import sqlite3
import time

import requests

from tests.support import hubproc
from tests.support.hubproc import ROOT, course_site, create_accounts, free_ports, logged_in, running_hub

pytestmark = hubproc.LOCAL_HUB_MARKS

COURSE, FIRST, SECOND = "hospital-lan", "lan-build", "vlan-isolation"
SECOND_TITLE = "Isolate guest Wi-Fi from the PACS with VLANs"
FLUSH_SECONDS = 2
SLACK = 3.0  # a request or two on a busy machine


def stored_kinds(state) -> list[tuple[str, str]]:
    with sqlite3.connect(state / "recommender.sqlite") as db:
        return db.execute("SELECT item, kind FROM recommender_events ORDER BY ts").fetchall()


def me(api: str, client) -> dict:
    response = requests.get(api + "me", headers=client.headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_run_cell_changes_next_up_within_one_flush_interval(tmp_path):
    state = tmp_path / "state"
    (rec_port,) = free_ports(1)
    config = course_site(
        state,
        [{"course": COURSE, "instructors": ["teacher"], "learners": ["nurse"]}],
        recommender={"enabled": True, "port": rec_port, "retrain_seconds": 3600, "flush_seconds": FLUSH_SECONDS},
    )
    create_accounts(state, ["teacher", "nurse"])
    with running_hub(tmp_path, config, up_timeout=240) as (url, proc, log):
        nurse = logged_in(url, ["nurse"])["nurse"]
        api = url + "services/mnss-recommender/api/"
        nurse.start_server("nurse")
        path = f"{COURSE}/{FIRST}/{FIRST}.ipynb"
        # the notebook is written from a kernel outside any notebook: no event at all so far (the
        # contents API would record "opened", and a kernel on the notebook "executed")
        notebook = (ROOT / f"courses/{COURSE}/source/{FIRST}/{FIRST}.ipynb").read_text("utf-8")
        write = f"import pathlib\np = pathlib.Path({path!r})\np.parent.mkdir(parents=True)\np.write_text({notebook!r})"
        assert nurse.execute("nurse", write).error is None
        time.sleep(FLUSH_SECONDS + 1)  # whatever the server had to say so far has been said
        before = me(api, nurse)
        assert before["trained_at"], before
        first = before["recommendations"][0]
        assert first["item"] == f"{COURSE}/{FIRST}", before
        assert first["reason_en"] == "the first assignment of Hospital LAN basics", "nothing done yet"
        assert stored_kinds(state) == [], "no event before the cell runs"

        assert nurse.execute("nurse", "x = 1 + 1", path=path).error is None
        ran = time.monotonic()
        while True:
            after = me(api, nurse)
            by_item = {r["item"]: r for r in after["recommendations"]}
            if "not finished yet" in by_item.get(f"{COURSE}/{FIRST}", {}).get("reason_en", ""):
                break
            assert time.monotonic() - ran < FLUSH_SECONDS + SLACK, f"no change after one flush interval: {after}"
            time.sleep(0.2)
        waited = time.monotonic() - ran
        print(f"next up changed {waited:.2f} s after the cell ran (flush interval {FLUSH_SECONDS} s)")

        assert after["trained_at"] == before["trained_at"], "changed without retraining"
        assert (f"{COURSE}/{FIRST}", "executed") in stored_kinds(state), "the run cell is what changed it"
        started = by_item[f"{COURSE}/{FIRST}"]
        assert started["reason_en"] == f"not finished yet; finish it to start {SECOND_TITLE}"
        assert started["reason_zh"].startswith("你还没学完它"), started
        assert [r["item"] for r in after["recommendations"]][0] == f"{COURSE}/{SECOND}", "new work before a retry"
        second = by_item[f"{COURSE}/{SECOND}"]
        assert second["reason_en"].startswith("Finish its prerequisite Build and measure a ward LAN first: "), second
        outside = [r for r in after["recommendations"] if not r["item"].startswith(COURSE + "/")]
        assert len(outside) <= 1 and all(r["enrol_first"] for r in outside), after
        nurse.stop_server("nurse")
