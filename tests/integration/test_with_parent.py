"""A service started through mnss_foundation.with_parent ends when its parent is killed with -9,
and frees its port; started directly it would keep running (the hub's kill -9 finding)."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from tests.support.hubproc import free_ports

pytestmark = [pytest.mark.integration]

# A stand-in hub: starts one child that listens on a port, prints the child's pid, then waits.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-m", *sys.argv[1:]])
    print(child.pid, flush=True)
    time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has ended; it only waits to be reaped
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def run_parent_then_kill_it(module_args: list[str], port: int) -> int:
    """Start the stand-in hub, wait for its child to listen, kill the hub with -9: the child's pid."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, *module_args], stdout=subprocess.PIPE, start_new_session=True
    )
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not listening(port):
        assert time.monotonic() < deadline, "the child never listened"
        time.sleep(0.1)
    parent.kill()
    parent.wait()
    return child


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


def test_a_guarded_service_ends_with_its_parent_and_frees_its_port():
    (port,) = free_ports(1)
    child = run_parent_then_kill_it(
        ["mnss_foundation.with_parent", "http.server", "--bind", "127.0.0.1", str(port)], port
    )
    try:
        assert wait_gone(child, 10), "the service outlived the hub"
        assert not listening(port)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_without_the_guard_the_service_is_orphaned():
    """The control: the same service started directly survives its parent (why the guard exists)."""
    (port,) = free_ports(1)
    child = run_parent_then_kill_it(["http.server", "--bind", "127.0.0.1", str(port)], port)
    try:
        assert not wait_gone(child, 2)
    finally:
        os.kill(child, signal.SIGKILL)
        wait_gone(child, 10)
