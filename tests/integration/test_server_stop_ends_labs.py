"""Local mode: stopping the learner's server (as an admin does from the admin page, through the
hub's API) must end a lab that is still running: the lab goes with its kernel (its holder's pipe
closes); then the spawner ends whatever is left: every process of the server's own account (a hub
as root), or, for servers running as the hub's user, the labs through their records (end_all)."""

import os
import time

import pytest

from mnss_hub.hubclient import HubClient
from mnss_kernel.runtime import registry
from mnss_kernel.runtime.holder import holders
from mnss_kernel.runtime.shell import existing_namespaces
from tests.support.hubproc import lab_records, running_hub, site_config
from tests.support.learner import run_in_kept_kernel

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="local-mode labs need root"),
]

USER = "ward7"
# 30 switches in a row, a host on each: 60 nodes, started and left running (no `with`).
SIXTY_NODES = """
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.topology import Topology
switches = [{"name": f"s{i}", "kind": "switch"} for i in range(30)]
nodes = switches + [{"name": f"h{i}", "kind": "host"} for i in range(30)]
links = [{"a": f"s{i}", "b": f"s{i + 1}"} for i in range(29)] + [{"a": f"h{i}", "b": f"s{i}"} for i in range(30)]
running = Lab(Topology.from_dict({"name": "ward", "nodes": nodes, "links": links})).start()
print("UP", len(running.topology.nodes))
"""


def leftovers(owner: str, state) -> tuple[list[str], list]:
    """The owner's namespaces (on the host, or in the private /run of a lab's holder) and records."""
    held = []
    for name, pid in holders().items():
        if name.startswith(f"{owner}-"):
            try:
                held += os.listdir(f"/proc/{pid}/root/run/netns")
            except OSError:
                continue
    return (
        [ns for ns in existing_namespaces() if ns.startswith(f"{registry.PREFIX}-{owner}-")] + held,
        lab_records(state, USER),
    )


def test_stopping_a_server_ends_its_running_60_node_lab(tmp_path):
    owner = registry.owner_for(USER)
    with running_hub(tmp_path, site_config(tmp_path / "state")) as (url, proc, log):
        admin = HubClient(url, timeout=120)
        admin.login("admin", "admin-test-password")
        admin.create_user(USER)
        admin.start_server(USER)
        try:
            result = run_in_kept_kernel(admin, USER, SIXTY_NODES)
            assert "UP 60" in result.stdout, result
            namespaces, records = leftovers(owner, tmp_path / "state")
            assert len(namespaces) == 60 and len(records) == 1
            started = time.monotonic()
            admin.stop_server(USER)
            while any(leftovers(owner, tmp_path / "state")) and time.monotonic() - started < 10:
                time.sleep(0.2)
            assert leftovers(owner, tmp_path / "state") == ([], []), f"left after {time.monotonic() - started:.1f} s"
            # the lab ends with its kernel (its holder's pipe closes); the spawner's end_all only
            # reports what it still found ("Ended ward7's labs with the server: ...")
        finally:
            registry.end_all(owner)
