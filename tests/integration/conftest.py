import os
import re

import pytest

from mnss_kernel.runtime.capabilities import holder_problem
from mnss_kernel.runtime.holder import holders
from mnss_kernel.runtime.registry import NETNS_ETC, PREFIX, default_owner, records, sweep
from mnss_kernel.runtime.shell import existing_namespaces

# This test run's labs carry their own owner, so other emulations on the machine are never counted;
# with workers (`make test`), each worker's labs their own, so one lane never counts the other's.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["MNSS_LAB_OWNER"] = f"t{os.getpid()}"
os.environ.setdefault("MNSS_LAB_OWNER", f"t{os.getpid()}")
TEST_OWNERS = ("sweepme", "otheruser", "sigtermtest")


@pytest.fixture(scope="session", autouse=True)
def sweep_earlier_test_runs():
    """Remove what killed test runs left (their owners are t<pid>; live runs are never touched)."""
    if os.geteuid() == 0:
        owners = {m.group(1) for ns in existing_namespaces() if (m := re.match(rf"{PREFIX}-(t\d+)-", ns))}
        for owner in owners - {default_owner()}:
            if not _alive(int(owner[1:])):
                sweep(owner)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def ours() -> set[str]:
    """Our namespaces on the host and their /etc/netns files, holders of our labs, our records."""
    owners = (default_owner(), *TEST_OWNERS)
    prefixes = tuple(f"{PREFIX}-{owner}-" for owner in owners)
    etc = {p.name for p in NETNS_ETC.glob(f"{PREFIX}-*")} if NETNS_ETC.is_dir() else set()
    held = {f"holder {name}" for name in holders() if name.startswith(tuple(f"{o}-" for o in owners))}
    recs = {f"record {r.owner}-{r.lab}" for owner in owners for r in records(owner)}
    return {ns for ns in existing_namespaces() | etc if ns.startswith(prefixes)} | held | recs


@pytest.fixture
def no_leftovers():
    """Fail a test that leaves emulation namespaces (or their /etc/netns files), lab holders or lab
    records behind."""
    if os.geteuid() != 0 and holder_problem():
        pytest.skip(holder_problem())
    before = ours()
    yield
    left = ours() - before
    assert not left, f"left behind: {sorted(left)}"
