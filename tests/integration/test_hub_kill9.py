"""A hub killed with -9 takes its services with it: the exchange, the formgrader, the recommender
and the idle culler end within seconds (no orphan keeps its port for the restarted hub)."""

import time

import pytest

from tests.support.hubproc import course_site, processes_under, running_hub

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# the formgrader runs as jupyterhub-singleuser once started (no learner servers run in this test)
SERVICES = ("mnss_courses.exchange", "mnss_recommender.service", "jupyterhub_idle_culler", "jupyterhub-singleuser")


def service_pids(folders) -> dict[int, str]:
    found = {}
    for folder in folders:
        found.update({pid: cmd for pid, cmd in processes_under(folder).items() if any(s in cmd for s in SERVICES)})
    return found


def test_services_end_with_a_killed_hub(tmp_path):
    state = tmp_path / "state"
    config = course_site(
        state,
        [{"course": "hospital-lan", "instructors": ["admin"], "learners": []}],
        recommender={"enabled": True},
        culler={"enabled": True},
    )
    folders = [tmp_path.resolve()]
    with running_hub(tmp_path, config, up_timeout=240) as (_url, proc, _log):
        deadline = time.monotonic() + 120
        while True:  # every service started (the formgrader takes longest)
            running = service_pids(folders)
            kinds = {s for s in SERVICES for cmd in running.values() if s in cmd}
            if len(kinds) == len(SERVICES):
                break
            assert time.monotonic() < deadline, f"services did not all start: {sorted(kinds)}"
            time.sleep(1)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 20
        while service_pids(folders) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert service_pids(folders) == {}, "services outlived the hub"
