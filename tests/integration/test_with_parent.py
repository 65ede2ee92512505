"""A service started through mnss_foundation.with_parent ends when its parent is killed with -9,
and frees its port; started directly it would keep running (the hub's kill -9 finding)."""

import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

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


def bindable(port: int) -> bool:
    """Whether a restarted service could listen on `port` (as servers do, with SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def quiet_port() -> int:
    """A free port below the kernel's ephemeral range. The tests running beside this one bind port
    0 and connect out, and so may take any freed port in that range, or (rarely) a probe's own
    source port may equal it and connect to itself; below it only a fixed port could clash."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
        low = int(ports.read().split()[0])
    for port in random.sample(range(low // 2, low), 200):
        if bindable(port):
            return port
    raise AssertionError(f"no free port below {low}")


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


def wait_free(port: int, seconds: float) -> bool:
    """The port frees a moment after the pid shows ended: a threaded server's main thread is a
    zombie while its other threads still hold the open files."""
    deadline = time.monotonic() + seconds
    while not bindable(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    return bindable(port)


def test_a_guarded_service_ends_with_its_parent_and_frees_its_port():
    port = quiet_port()
    child = run_parent_then_kill_it(
        ["mnss_foundation.with_parent", "http.server", "--bind", "127.0.0.1", str(port)], port
    )
    try:
        assert wait_gone(child, 10), "the service outlived the hub"
        assert wait_free(port, 5), f"port {port} is still taken"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_without_the_guard_the_service_is_orphaned():
    """The control: the same service started directly survives its parent (why the guard exists)."""
    port = quiet_port()
    child = run_parent_then_kill_it(["http.server", "--bind", "127.0.0.1", str(port)], port)
    try:
        assert not wait_gone(child, 2)
    finally:
        os.kill(child, signal.SIGKILL)
        wait_gone(child, 10)
