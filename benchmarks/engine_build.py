"""Engine speed, side by side with stock Mininet in one run (as root).

1. build + start + stop of linear,N: MNSS `Lab` vs `mn --switch lxbr --controller none
   --topo linear,N --test none` (same N, alternated, median of --repeat runs);
2. iperf3 h1 -> h3 over a 3-switch line vs a raw veth pair between two namespaces;
3. optionally (--campus) the 1000-host hospital campus template: up and down time, peak memory.
Prints both numbers and the ratio for each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnss_kernel import measure  # noqa: E402
from mnss_kernel.runtime import Lab  # noqa: E402
from mnss_kernel.topology import Topology  # noqa: E402


def linear(n: int) -> Topology:
    nodes = [{"name": f"h{i}", "kind": "host"} for i in range(1, n + 1)]
    nodes += [{"name": f"s{i}", "kind": "switch"} for i in range(1, n + 1)]
    links = [{"a": f"h{i}", "b": f"s{i}"} for i in range(1, n + 1)]
    links += [{"a": f"s{i}", "b": f"s{i + 1}"} for i in range(1, n)]
    return Topology.from_dict({"name": f"linear{n}", "nodes": nodes, "links": links})


def time_ours(n: int) -> float:
    started = time.perf_counter()
    with Lab(linear(n)):
        pass
    return time.perf_counter() - started


def time_stock(n: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        ["mn", "--switch", "lxbr", "--controller", "none", "--topo", f"linear,{n}", "--test", "none"],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        subprocess.run(["mn", "-c"], capture_output=True)
        raise RuntimeError(f"stock mn failed: {done.stderr[-500:]}")
    return elapsed


def build_times(sizes: list[int], repeat: int) -> None:
    print(f"build+start+stop, linear,N (median of {repeat})")
    print(f"{'N':>5}{'mnss s':>10}{'stock mn s':>12}{'ours/stock':>12}")
    for n in sizes:
        ours, stock = [], []
        for _ in range(repeat):
            ours.append(time_ours(n))
            stock.append(time_stock(n))
        o, s = statistics.median(ours), statistics.median(stock)
        print(f"{n:>5}{o:>10.2f}{s:>12.2f}{o / s:>11.2f}x  (stock is {s / o:.1f}x slower)", flush=True)


def raw_veth_throughput(seconds: float) -> float:
    """iperf3 between two namespaces joined by one veth pair: the ceiling for any emulation."""
    cmds = ["netns add bench-a", "netns add bench-b", "link add va netns bench-a type veth peer name vb netns bench-b"]
    subprocess.run(["ip", "-batch", "-"], input="\n".join(cmds) + "\n", text=True, check=True)
    try:
        for ns, dev, ip in (("bench-a", "va", "192.0.2.1/24"), ("bench-b", "vb", "192.0.2.2/24")):
            subprocess.run(
                ["ip", "-n", ns, "-batch", "-"],
                check=True,
                text=True,
                input=f"link set lo up\naddr add {ip} dev {dev}\nlink set {dev} up\n",
            )
        server = subprocess.Popen(
            ["ip", "netns", "exec", "bench-b", "iperf3", "-s", "-1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        out = subprocess.run(
            ["ip", "netns", "exec", "bench-a", "iperf3", "-c", "192.0.2.2", "-t", str(seconds), "-J"],
            capture_output=True,
            text=True,
        )
        server.wait(10)
        return measure.parse_iperf3(json.loads(out.stdout))["mbps_received"]
    finally:
        subprocess.run(["ip", "-batch", "-"], input="netns del bench-a\nnetns del bench-b\n", text=True)


def throughput(seconds: float, rounds: int) -> None:
    """Alternate raw and emulated runs, then compare medians: single runs on 2 cores are noisy."""
    raw, ours = [], []
    for _ in range(rounds):
        raw.append(raw_veth_throughput(seconds))
        with Lab(linear(3)) as lab:
            ours.append(measure.iperf(lab, "h1", "h3", seconds=seconds).iloc[0].mbps_received)
    r, o = statistics.median(raw), statistics.median(ours)
    print(
        f"iperf3 h1->h3 over 3 switches: {o / 1000:.2f} Gbit/s; raw veth pair: {r / 1000:.2f} Gbit/s "
        f"(medians of {rounds}); ratio {o / r:.2f} (target >= 0.9)"
    )


def campus() -> None:
    from mnss_kernel import templates

    topo = templates.hospital_campus_1000()
    hosts = len(topo.names("host"))
    available = lambda: int(next(l for l in open("/proc/meminfo") if l.startswith("MemAvailable")).split()[1])  # noqa
    base, lowest, running = available(), [available()], [True]

    def sample():
        while running[0]:
            lowest[0] = min(lowest[0], available())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with Lab(topo) as lab:
        up = time.perf_counter() - started
        pings = measure.ping(lab, topo.names("host")[0], topo.names("host")[-1], count=2)
    total = time.perf_counter() - started
    running[0] = False
    sampler.join()
    leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count("mnss-")
    print(
        f"campus: {len(topo.nodes)} nodes ({hosts} host-like), {len(topo.links)} links: up in {up:.1f} s, "
        f"up+down {total:.1f} s (target < 60 s), peak memory {(base - lowest[0]) / 1024:.0f} MiB "
        f"(target < 4096), end-to-end ping loss {pings.loss_pct}%, leftovers {leftovers}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3, help="iperf3 duration")
    parser.add_argument("--rounds", type=int, default=5, help="alternating iperf3 rounds")
    parser.add_argument("--campus", action="store_true", help="also the 1000-host campus template")
    args = parser.parse_args()
    build_times(args.sizes, args.repeat)
    throughput(args.seconds, args.rounds)
    if args.campus:
        campus()
    return 0


if __name__ == "__main__":
    sys.exit(main())
