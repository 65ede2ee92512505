"""The event store on a real PostgreSQL: idempotent insert goes through ON CONFLICT DO NOTHING there.

Starts a throw-away cluster in a temporary folder (as the unprivileged user `nobody` when run as
root, since PostgreSQL refuses root), on a Unix socket only. Skips without PostgreSQL's server
binaries or the psycopg driver.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mnss_recommender import Event, EventStore

pytestmark = pytest.mark.integration


def _bin(name):
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return None


@pytest.fixture
def postgres_url():
    pytest.importorskip("psycopg")
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    top = Path(tempfile.mkdtemp(prefix="mnss-pg-"))  # pytest's tmp_path is root-only; nobody must get in
    root = top / "pg"
    root.mkdir()
    prefix = []
    if os.geteuid() == 0:
        os.chmod(top, 0o755)
        shutil.chown(root, "nobody")
        prefix = ["runuser", "-u", "nobody", "--"]
    data = root / "data"
    try:
        subprocess.run(
            prefix + [initdb, "-D", str(data), "-U", "mnss", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            prefix
            + [
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-w",
                "-o",
                f"-k {root} -c listen_addresses=''",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://mnss@/postgres?host={root}"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)


def test_postgres_store_is_idempotent(postgres_url):
    store = EventStore(postgres_url)
    events = [Event(f"e{n}", f"p{n % 3}", "net/a" if n % 2 else "net/b", "executed", 1000.0 + n) for n in range(50)]
    assert store.add(events) == 50
    assert store.add(events[10:20] + [events[3], events[3]]) == 0
    assert store.count() == 50
    assert [e.event_id for e in store.interactions(learner="p1")][:3] == ["e1", "e4", "e7"]
    store.set_profile("p1", "network")
    store.set_profile("p1", "data")
    assert store.profiles()["p1"].department == "data"
    assert len(store.log()) == 50
    # two stores (two service processes) sending the same batch
    other = EventStore(postgres_url)
    more = [Event(f"x{n}", "p9", "net/a", "opened", 2000.0 + n) for n in range(5)]
    assert store.add(more) + other.add(more) == 5
    store.close()
    other.close()
