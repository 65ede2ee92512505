"""A full disk under the exchange's store and the account store, for real: a small tmpfs in a private mount namespace
(`unshare -Urm`, no root needed), filled up between two submissions."""

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
    with open(Path(sys.argv[1]) / "filler", "wb") as filler:  # take every free block
        try:
            while True:
                filler.write(b"x" * 65536)
                filler.flush()
        except OSError:
            pass
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


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory) -> dict:
    """Run CHILD on a fresh 1 MiB tmpfs; what it saw."""
    mount = tmp_path_factory.mktemp("disk")
    script = 'mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" -c "$3" "$1"'
    done = subprocess.run(
        ["unshare", "-Urm", "--propagation", "private", "sh", "-c", script, "sh", str(mount), sys.executable, CHILD],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    if done.returncode != 0 and "mount" in done.stderr and "not permitted" in done.stderr:
        pytest.skip(f"no private tmpfs mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


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
