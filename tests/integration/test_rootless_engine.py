"""Labs without root: an unprivileged account builds the same network as root, with the same
results, and a lab never outlives the process that owns it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import unprivileged
from tests.support.lab_report import SHAPED_MBIT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(unprivileged.why_not() is not None, reason=str(unprivileged.why_not())),
]

NSFS_MOUNT = re.compile(r"^\S+ \S+ \S+ net:\[(\d+)\]", re.M)  # mountinfo: the root of a bound namespace
NSFS_FILE = re.compile(r"^net:\[(\d+)\]$")
REPORT = str(Path(unprivileged.__file__).with_name("lab_report.py"))


def _report(owner: str, mode: str, as_nobody: bool) -> dict:
    args = (REPORT, owner, mode)
    if as_nobody:
        cmd, env = unprivileged.argv(*args), unprivileged.env()
    else:
        cmd, env = [sys.executable, *args], {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
    done = subprocess.run(cmd, env=env, cwd="/", capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.slow
def test_an_unprivileged_account_builds_the_clinic_with_the_same_results_as_root():
    """VLANs, firewall, NAT and an htb-shaped link across 3 routers: the ping matrix, iperf3 and
    fault/repair results of uid nobody equal those of root (in a holder and directly on the host)."""
    owner = f"rl{os.getpid()}"
    rootless = _report(owner, "auto", as_nobody=True)
    held = _report(owner, "auto", as_nobody=False)
    direct = _report(owner, "host", as_nobody=False)

    assert rootless["uid"] != 0 and rootless["rootless"]
    assert rootless["uid_map"][:2] == ["0", str(rootless["uid"])], "inside, root is the unprivileged account"
    assert held["held"] and not held["rootless"] and not direct["held"]

    for other in (held, direct):
        assert rootless["pings"] == other["pings"]
        assert rootless["faults"] == other["faults"]
        assert rootless["nat"] == other["nat"]
    # the network is what the topology says: guests are kept off the clinical subnet...
    assert rootless["pings"]["guest1>pacs1"] == 100 and rootless["pings"]["guest1>emr1"] == 0
    assert rootless["pings"]["ward1>pacs1"] == 0 and rootless["pings"]["ward1>inet"] == 0
    # ...the outside sees the NAT gateway, not the ward...
    assert rootless["nat"]["seen"] == rootless["nat"]["gw_outside"] != rootless["nat"]["ward"]
    # ...every fault breaks its path and its repair restores it
    assert all(f["loss"] == [0, 100, 0] for f in rootless["faults"]), rootless["faults"]
    # the shaped link carries its rate, in both
    for run in (rootless, held, direct):
        assert 0.7 * SHAPED_MBIT < run["iperf_mbps"] <= 1.05 * SHAPED_MBIT, run["iperf_mbps"]
    assert 0.85 < rootless["iperf_mbps"] / direct["iperf_mbps"] < 1.15


OWNER_SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    from mnss_kernel import templates
    from mnss_kernel.runtime import Lab
    lab = Lab(templates.hospital_campus(), owner=sys.argv[1]).start()
    netns = f"/proc/{lab.holder_pid}/root/run/netns"
    inodes = [os.stat(f"{netns}/{name}").st_ino for name in os.listdir(netns)]
    print(json.dumps({"holder": lab.holder_pid, "record": str(lab._record.path), "workdir": str(lab.workdir),
                      "netns": inodes, "nodes": len(lab.topology.nodes)}), flush=True)
    lab.popen("pacs", ["sleep", "300"])  # a lab process that would otherwise keep a namespace alive
    print("RUNNING", flush=True)
    time.sleep(300)
""")


def _net_namespaces_in_use() -> set[int]:
    """Network namespaces something on this host still holds: those lsns lists, those of every
    process, those bound to a path in any mount namespace, those open as a file by any process."""
    listed = subprocess.run(["lsns", "-t", "net", "-n", "-o", "NS"], capture_output=True, text=True).stdout
    found = {int(word) for word in listed.split()}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            found.add(os.stat(proc / "ns/net").st_ino)
            found.update(int(m) for m in NSFS_MOUNT.findall((proc / "mountinfo").read_text()))
            for fd in (proc / "fd").iterdir():
                if (m := NSFS_FILE.match(os.readlink(fd))) is not None:
                    found.add(int(m.group(1)))
        except OSError:
            continue
    return found


def _holder_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sh\0-c\0")
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("as_nobody", [True, False], ids=["unprivileged", "root"])
def test_kill_9_of_the_owner_leaves_no_namespace_and_no_record(as_nobody):
    owner = f"k{os.getpid()}{int(as_nobody)}"
    args = ("-c", OWNER_SCRIPT, owner)
    cmd = unprivileged.argv(*args) if as_nobody else [sys.executable, *args]
    env = unprivileged.env() if as_nobody else {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
    proc = subprocess.Popen(cmd, env=env, cwd="/", stdout=subprocess.PIPE, text=True)
    lab = None
    try:
        lab = json.loads(proc.stdout.readline())
        assert proc.stdout.readline().strip() == "RUNNING"
        assert lab["nodes"] >= 60 and len(lab["netns"]) == lab["nodes"]
        assert Path(lab["record"]).exists() and _holder_alive(lab["holder"])
        assert set(lab["netns"]) <= _net_namespaces_in_use()

        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed = time.monotonic()
        while time.monotonic() - killed < 10:
            left = set(lab["netns"]) & _net_namespaces_in_use()
            if not left and not Path(lab["record"]).exists() and not _holder_alive(lab["holder"]):
                break
            time.sleep(0.2)
        assert not _holder_alive(lab["holder"]), "the lab's holder outlived its owner"
        assert not set(lab["netns"]) & _net_namespaces_in_use(), "a namespace of the lab outlived its owner"
        assert not Path(lab["record"]).exists(), "the lab's record outlived its owner"
        assert not Path(lab["workdir"]).exists(), "the lab's files outlived its owner"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if lab and _holder_alive(lab["holder"]):
            os.kill(lab["holder"], signal.SIGKILL)


MININET_SCRIPT = textwrap.dedent("""
    import importlib.util, json, tempfile
    from pathlib import Path
    from mnss_kernel import measure
    from mnss_kernel.runtime import EngineError, Lab
    from mnss_kernel.topology import load
    from mnss_kernel.topology.formats import to_mininet_python
    example = Path(importlib.util.find_spec("mininet.examples").submodule_search_locations[0]) / "linuxrouter.py"
    imported = load(example)
    exported = to_mininet_python(imported.topology)
    with Lab(imported.topology) as lab:
        pings = measure.ping_matrix(lab)
        folder = Path(tempfile.mkdtemp())
        capture = measure.Capture(lab, "h1", folder / "h1.pcap", bpf="icmp")
        lab.cmd("h2", f"ping -c 3 -i 0.2 {lab.address('h1')}")  # while h2 pings h1 three times
        capture.stop()
        read = capture.read().splitlines()
        try:
            with measure.capture(lab, "h1", folder / "bad.pcap", bpf="icmp and nonsense"):
                bad = "started"
        except EngineError as err:
            bad = str(err)
        print(json.dumps({"rootless": lab.rootless, "pairs": len(pings), "lossy": int((pings.loss_pct > 0).sum()),
                          "exported": "addLink" in exported, "captured": read, "bad_filter": bad}))
""")


@pytest.mark.slow
def test_mininet_files_import_build_and_export_without_root_and_stock_mininet_needs_root():
    """What of Mininet's API applies without root: its topology files import, build and export
    (MNSS's runtime); stock Mininet's own runtime refuses. Packets are captured with tcpdump's
    filter (tcpdump itself cannot start there), and a bad filter is named."""
    done = subprocess.run(
        unprivileged.argv("-c", MININET_SCRIPT), env=unprivileged.env(), cwd="/", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["rootless"] and result["exported"]
    assert result["pairs"] == 12 and result["lossy"] == 0
    captured = result["captured"]
    assert sum("ICMP echo request" in line for line in captured) == 3, captured
    assert sum("ICMP echo reply" in line for line in captured) == 3 and len(captured) == 6, captured  # only ICMP
    assert result["bad_filter"].startswith("packet filter 'icmp and nonsense': tcpdump: syntax error"), result

    stock = subprocess.run(
        unprivileged.command("mn", "--test", "none"),
        env=unprivileged.env(),
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Mininet must run as root" in stock.stdout + stock.stderr
