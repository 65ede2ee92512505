"""A full disk under the exchange's store, the account store, the people store and the
recommender's event store, for real: a small tmpfs in a private mount namespace (`unshare -Urm`,
no root needed), filled up after a first write to each."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.hubproc import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare"),
]

# Put before each script below: takes every free block of the tmpfs.
FILL = textwrap.dedent("""
    def fill(disk):
        with open(disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"x" * 65536)
                    filler.flush()
            except OSError:
                pass
""")

# Runs inside the namespace with the tmpfs mounted at argv[1]; prints what it saw as JSON.
CHILD = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from mnss_courses.exchange.store import Store, StorageFull
    from mnss_hub.accounts import AccountError, AccountStore

    root = Path(sys.argv[1]) / "exchange"
    store = Store(root)
    notebook = [("ps1.ipynb", b'{"cells": []}')]
    store.release("hospital-lan", "ps1", notebook, by="teacher1")
    first = store.submit("hospital-lan", "ps1", "nurse1", [("ps1.ipynb", b"first answer")])
    accounts = AccountStore("sqlite:///" + str(Path(sys.argv[1]) / "state" / "people.sqlite"))
    accounts.create("nurse1", "nurse1-password-x1", must_change=False)
    fill(Path(sys.argv[1]))
    seen = {}
    try:
        store.submit("hospital-lan", "ps1", "nurse1", [("ps1.ipynb", os.urandom(200_000))])
        seen["refused"] = None
    except StorageFull as err:
        seen["refused"] = {"status": err.status, "message": str(err)}
    seen["accounts"] = []
    for change in (
        lambda: accounts.create("nurse2", "nurse2-password-x1" + "x" * 40, must_change=False),
        lambda: accounts.set_password("nurse1", "nurse1-new-password"),
    ):
        try:
            change()
            seen["accounts"].append(None)
        except AccountError as err:
            seen["accounts"].append({"code": err.code, "message": str(err)})
    seen["nurse1_ok"] = accounts.verify("nurse1", "nurse1-password-x1")
    seen["nurse2"] = accounts.exists("nurse2")
    kept = store.submissions("hospital-lan", "ps1", "nurse1")
    seen["kept"] = [m["key"] for m in kept]
    seen["first"] = first["key"]
    seen["first_files"] = dict(store.entries(kept[0]))["ps1.ipynb"].decode() if kept else ""
    seen["temporary"] = [str(p) for p in root.rglob(".tmp-*")]
    seen["root"] = str(root)
    print(json.dumps(seen))
""")


# The same for the people store (an invitation, then a second one and a registration) and the
# recommender's event store (one event, then two more).
PEOPLE_AND_EVENTS = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from stdnum.cn import ric
    from mnss_hub.people import ADMIN, Actor, PeopleStore, StorageFull, directory, invitations, profiles
    from mnss_hub.people.crypto import load_keyring
    from mnss_recommender.events import Event, EventStore, StoreFull

    disk = Path(sys.argv[1])
    (disk / "state").mkdir()
    ring = load_keyring(disk / "state" / "pii.key", environ={})
    people = PeopleStore("sqlite:///" + str(disk / "state" / "people.sqlite"), ring, directory.load())
    admin = Actor("admin", ADMIN)
    ask = invitations.InvitationRequest
    issued = invitations.create_invitation(people, admin, ask("示例医院", "张三", "信息中心"))
    events = EventStore("sqlite:///" + str(disk / "state" / "events.sqlite"))
    event = lambda n: Event(f"e{n}", "learner1", "hospital-lan/lan-build", "opened", 1.7e9 + n)
    events.add([event(1)])
    fill(disk)
    body = "110101" + "19900307" + "123"
    form = {
        "name": "张三", "gender": "male", "id_number": body + ric.calc_check_digit(body + "0"),
        "institution": "示例医院", "department": "信息中心", "position": "staff", "title": "engineer",
        "mobile": "13812345678", "email": "zhang.san@example.cn", "username": "zhangsan", "consent": "yes",
    }
    seen = {"people": []}
    for change in (
        lambda: invitations.create_invitation(people, admin, ask("示例医院", "李四", "信息中心")),
        lambda: profiles.register(people, issued.code, form),
    ):
        try:
            change()
            seen["people"].append(None)
        except StorageFull as err:
            seen["people"].append({"code": err.code, "zh": err.messages("zh-CN")[0], "en": err.messages("en")[0]})
    seen["still_open"] = invitations.redeem(people, issued.code).name == "张三"
    try:
        events.add([event(2), event(3)])
        seen["events"] = None
    except StoreFull as err:
        seen["events"] = str(err)
    seen["events_kept"] = events.count()
    seen["state"] = str(disk / "state")
    print(json.dumps(seen))
""")


def on_a_full_disk(tmp_path_factory, child: str) -> dict:
    """Run `child` on a fresh 1 MiB tmpfs; what it saw."""
    mount = tmp_path_factory.mktemp("disk")
    script = 'mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" -c "$3" "$1"'
    python = [sys.executable, FILL + child]
    done = subprocess.run(
        ["unshare", "-Urm", "--propagation", "private", "sh", "-c", script, "sh", str(mount), *python],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    if done.returncode != 0 and "mount" in done.stderr and "not permitted" in done.stderr:
        pytest.skip(f"no private tmpfs mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory) -> dict:
    return on_a_full_disk(tmp_path_factory, CHILD)


@pytest.fixture(scope="module")
def full_people_disk(tmp_path_factory) -> dict:
    return on_a_full_disk(tmp_path_factory, PEOPLE_AND_EVENTS)


def test_a_full_disk_refuses_a_submission_clearly_and_keeps_the_earlier_one(full_disk):
    """The second submission meets a full disk: refused with 507 and a message (zh-CN and
    English) naming the store's folder; the first submission is still listed and readable, and
    no temporary file is left behind."""
    seen = full_disk
    assert seen["refused"], "the submission onto a full disk was not refused"
    assert seen["refused"]["status"] == 507
    message = seen["refused"]["message"]
    assert seen["root"] in message and "存储已满" in message and "storage is full" in message, message
    assert seen["kept"] == [seen["first"]] and seen["first_files"] == "first answer"
    assert seen["temporary"] == []


def test_a_full_disk_leaves_the_account_store_as_it_was(full_disk):
    """Creating an account and changing a password on a full disk: refused with an error naming
    the store's folder (code disk-full, zh-CN and English); the old password still works."""
    seen = full_disk
    folder = str(Path(seen["root"]).parent / "state")
    for refused in seen["accounts"]:
        assert refused and refused["code"] == "disk-full", seen["accounts"]
        assert folder in refused["message"] and "磁盘已满" in refused["message"], refused
    assert seen["nurse1_ok"] and not seen["nurse2"]


def test_a_full_disk_leaves_the_people_store_as_it_was(full_people_disk):
    """A second invitation and a registration on a full disk: refused with StorageFull (code
    disk_full) naming the store's folder in zh-CN and English; the first invitation is still open."""
    seen = full_people_disk
    for refused in seen["people"]:
        assert refused and refused["code"] == "disk_full", seen["people"]
        assert seen["state"] in refused["zh"] and "磁盘已满" in refused["zh"], refused
        assert seen["state"] in refused["en"] and "disk under the people store is full" in refused["en"], refused
    assert seen["still_open"]


def test_a_full_disk_refuses_events_so_the_sender_keeps_them(full_people_disk):
    """Events sent onto a full disk are refused (StoreFull, which the service answers with 507 and
    the learners' servers keep and send again), naming the folder; the stored one is kept."""
    seen = full_people_disk
    assert seen["events"] and seen["state"] in seen["events"] and "磁盘已满" in seen["events"], seen["events"]
    assert seen["events_kept"] == 1
