"""The grader's own network measurement (`mnss_courses.live_checks`) on a real lab: it finds the
lab's holder only below the process it is given and running as the given uid, takes only
namespaces owned within the box's user namespace and an address of b alone, pulls a cable at both
ends, and the kernel's `relink` puts it back. One small lab, a few seconds."""

import os
import subprocess
import time

import pytest

from mnss_courses import live_checks
from mnss_kernel import grading, measure
from mnss_kernel.runtime import Lab
from mnss_kernel.topology import Topology

pytestmark = [pytest.mark.integration]
if os.geteuid() != 0:
    pytest.skip(
        "the grader measures as root on the host here (a rootless one: test_formgrader_security)",
        allow_module_level=True,
    )

LINE = {
    "name": "line",
    "nodes": [{"name": "h1", "kind": "host"}, {"name": "h2", "kind": "host"}, {"name": "s1", "kind": "switch"}],
    "links": [{"a": "h1", "b": "s1"}, {"a": "h2", "b": "s1"}],
}


@pytest.fixture(scope="module")
def lab():
    with Lab(Topology.from_dict(LINE)) as running:
        assert running.held, "the lab runs in a holder of its own"
        yield running


def _name(lab) -> str:
    return f"{lab.owner}-{lab.lab_id}"


def test_the_holder_is_found_below_the_given_process_only(lab):
    assert live_checks.find_holder(os.getpid(), os.getuid(), _name(lab)) == lab.holder_pid
    other = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(live_checks.LiveCheckError, match="no running lab"):
            live_checks.find_holder(other.pid, os.getuid(), _name(lab))
    finally:
        other.kill()
        other.wait()
    with pytest.raises(live_checks.LiveCheckError, match="no running lab"):
        live_checks.find_holder(os.getpid(), 12345, _name(lab))  # not the box's uid


def test_the_grader_measures_and_an_address_that_is_not_b_alone_is_refused(lab):
    where = grading.where(lab, "h2")
    assert live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h2") == 0.0
    with pytest.raises(live_checks.LiveCheckError, match="not an address of h2 alone"):
        live_checks.reach(os.getpid(), os.getuid(), False, [_name(lab), lab.address("h1")], "h1", "h2")
    with pytest.raises(live_checks.LiveCheckError, match="no node h9"):
        live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h9")


def test_only_namespaces_owned_within_the_boxs_user_namespace_pass():
    """What `open_netns` asks of every namespace it opens, whatever path (a planted symlink, a bind
    mount) led to it: a box's network passes, the grader's own does not."""
    box = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "sleep", "30"])
    try:
        for _ in range(100):
            if os.stat(f"/proc/{box.pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino:
                break
            time.sleep(0.02)
        box_userns = os.stat(f"/proc/{box.pid}/ns/user").st_ino
        inside, own = (os.open(f"/proc/{pid}/ns/net", os.O_RDONLY) for pid in (box.pid, os.getpid()))
        try:
            assert live_checks._owned_below(inside, box_userns)
            assert not live_checks._owned_below(own, box_userns)
        finally:
            os.close(inside)
            os.close(own)
    finally:
        box.kill()
        box.wait()


def test_the_grader_pulls_the_cable_and_relink_puts_it_back(lab):
    where = grading.where(lab, "h2")
    lost = live_checks.reach(os.getpid(), os.getuid(), False, where, "h1", "h2", cut_first=("h2", "s1"))
    assert lost == 100.0
    assert measure.ping(lab, "h1", "h2", count=2)["loss_pct"] == 100.0  # it stays down until put back
    grading.relink(lab, "h2", "s1")
    assert measure.ping(lab, "h1", "h2")["loss_pct"] == 0.0
