import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import os  # noqa: E402

import pytest  # noqa: E402

# `make test` runs two lanes at once (`-n 2`): most of a test's time is spent waiting for servers,
# browsers and containers, not computing. Each lane runs in order on one worker; the lanes share
# only the machine: each worker's labs have their own owner (tests/integration/conftest.py), ports
# are free ones, folders and containers have unique names.
# The labs lane: the engine, grading, provisioning, the stores on their
# own PostgreSQL, the services on loopback and the unit tests; the hubs lane: everything that
# starts a hub, a browser or learners' containers.
LABS_LANE = {
    "test_accounts_postgres.py",
    "test_ansible_provisioning.py",
    "test_ansible_psql_quoting.py",
    "test_canvas_lab.py",
    "test_course_cli.py",
    "test_diagnose_lab.py",
    "test_engine.py",
    "test_fault_combinations.py",
    "test_gradebook_postgres.py",
    "test_hostile_submissions.py",
    "test_imported_labs.py",
    "test_inventory_lab.py",
    "test_lab_limits.py",
    "test_live_checks.py",
    "test_nbgrader_user_guide.py",
    "test_people_postgres.py",
    "test_recommender_postgres.py",
    "test_region_lab.py",
    "test_rootless_engine.py",
    "test_sandboxed_grading.py",
    "test_services_loopback.py",
    "test_tunnel.py",
}
# Files that run whole on whichever worker frees up first (after its lane's last test): the
# catalog's tutorials, assignments and experiments, which grow with every course, so that growth
# lengthens the shorter lane, not always the same one. Longest first (898, 294 and 222 s in the
# last CI run): the first free worker takes the tutorials, and the two short files even out the end.
FLOATING = ("test_tutorials_run.py", "test_courses.py", "test_experiment_catalog.py")


def lane(path: Path) -> str:
    """The lane of a test file: `labs` for the unit tests and the files named in LABS_LANE, the
    file's own name for a FLOATING one, `hubs` for the rest."""
    if path.name in FLOATING:
        return path.name
    return "labs" if path.name in LABS_LANE or ROOT / "tests" / "unit" in path.parents else "hubs"


def lane_of(rootpath: Path, nodeid: str) -> str:
    """The lane of a test by its node id (as xdist and the reports name it)."""
    return lane(Path(rootpath, nodeid.split("::", 1)[0]))


def pytest_collection_modifyitems(items):
    """The labs lane's tests first, then the hubs lane's, then the floating files' in FLOATING's
    order (each file in its own order): the order in which xdist hands the scopes out."""
    rank = {"labs": 0, "hubs": 1} | {name: 2 + i for i, name in enumerate(FLOATING)}
    items.sort(key=lambda item: rank[lane(item.path)])


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called only when it runs workers
def pytest_xdist_make_scheduler(config, log):
    """xdist's scheduling by scope, with the lanes as the scopes: one lane to each worker, then each
    floating file to the first worker whose lane is done. The scopes go out in the order of their
    first test (see pytest_collection_modifyitems), not by their number of tests."""
    from xdist.scheduler import LoadScopeScheduling

    class LaneScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return lane_of(config.rootpath, nodeid)

    config.option.loadscopereorder = False
    return LaneScheduling(config, log)


class LaneClock:
    """Each lane's span, from the reports its worker sends: the run lasts as long as its longest
    lane, so a test added to the longer lane is the one that lengthens `make test`."""

    def __init__(self, rootpath: Path):
        self.rootpath, self.spans = rootpath, {}  # lane -> [first start, last stop, seconds in tests]

    def pytest_runtest_logreport(self, report):
        span = self.spans.setdefault(lane_of(self.rootpath, report.nodeid), [report.start, report.stop, 0.0])
        span[:] = min(span[0], report.start), max(span[1], report.stop), span[2] + report.duration

    def pytest_terminal_summary(self, terminalreporter):
        for name, (first, last, busy) in sorted(self.spans.items()):
            terminalreporter.write_line(
                f"lane {name}: {last - first:.0f} s from its first test to its last end, {busy:.0f} s in tests"
            )


OPENED = pytest.StashKey[dict]()  # folders opened to others for the run, with their modes before


def pytest_configure(config):
    """Once for the whole run (in the controller when there are workers): let the grading sandbox
    enter the checkout. The sandboxed kernel runs as an unprivileged uid, so MNSS Lab must be
    installed where others may enter (the sandbox says so otherwise). A test run may sit in a
    private folder (a clone in `mktemp -d`): let others read and enter it, as /opt would, until the
    run ends (not when the first worker ends, while the other lane still grades)."""
    if hasattr(config, "workerinput"):
        return
    config.pluginmanager.register(LaneClock(config.rootpath), "mnss-lane-clock")
    if os.geteuid() != 0:
        return
    from mnss_courses.sandbox import needed_by_the_kernel, unreachable_by_others

    changed = config.stash.setdefault(OPENED, {})
    while blocked := unreachable_by_others(needed_by_the_kernel()):
        folder = blocked[0]
        if folder in changed:
            break
        changed[folder] = os.stat(folder).st_mode & 0o7777
        os.chmod(folder, changed[folder] | 0o005)
        print(f"note: {folder} made readable by others for the grading sandbox during the tests")


def pytest_unconfigure(config):
    for folder, mode in config.stash.get(OPENED, {}).items():
        if os.path.isdir(folder):
            os.chmod(folder, mode)
