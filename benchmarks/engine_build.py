"""Engine speed, side by side with stock Mininet and without root, in one run (as root).

1. build + start + stop of linear,N: MNSS `Lab` as root, as root directly on the host (no holder),
   without root (uid nobody, in its own user namespace), and `mn --switch lxbr --controller none
   --topo linear,N --test none` (same N, alternated, median of --repeat runs);
2. iperf3 h1 -> h3 over a 3-switch line vs a raw veth pair between two namespaces, and rootless
   vs root;
3. optionally (--campus) the 1000-host hospital campus template: up and down time, peak memory,
   root and rootless.
Prints the numbers and the ratio for each. Every MNSS measurement runs in a fresh worker process
(`--worker`), root's and nobody's alike, after the one-off capability probes.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
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


ROOT = Path(__file__).resolve().parents[1]
WORKER_PATH = f"{ROOT}:{ROOT / 'extensions'}:{ROOT / 'hub'}:{ROOT / 'recommender'}"


def worker(job: str, arg: str, holder: str) -> dict:
    """One measurement in this process: build/teardown time, iperf3 or the campus."""
    from mnss_kernel.runtime import capabilities

    capabilities.holder_problem(), capabilities.has_qdisc("htb")  # one-off probes: not build time
    use = {"auto": None, "host": False}[holder]
    if job == "build":
        started = time.perf_counter()
        with Lab(linear(int(arg)), holder=use):
            pass
        return {"seconds": time.perf_counter() - started}
    if job == "iperf":
        with Lab(linear(3), holder=use) as lab:
            return {"mbps": float(measure.iperf(lab, "h1", "h3", seconds=float(arg)).iloc[0].mbps_received)}
    if job == "campus":
        return campus_run(use)
    raise SystemExit(f"unknown job {job}")


def nobody() -> list[str]:
    account = pwd.getpwnam("nobody")
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]


def measured(job: str, arg, who: str) -> dict:
    """Run one worker as `who`: 'root' (default path), 'host' (root, no holder) or 'rootless'."""
    mode = "host" if who == "host" else "auto"
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", job, str(arg), mode]
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "PYTHONPATH": WORKER_PATH}
    done = subprocess.run(
        (nobody() if who == "rootless" else []) + argv, env=env, cwd="/", capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{job} {arg} as {who} failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.splitlines()[-1])


def time_ours(n: int, who: str = "root") -> float:
    return measured("build", n, who)["seconds"]


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


def build_times(sizes: list[int], repeat: int, stock: bool = True) -> None:
    print(f"build+start+stop, linear,N (median of {repeat}); root = default path (a holder), host = root")
    print("directly on the host (no holder), rootless = uid nobody in its own user namespace")
    head = f"{'N':>5}{'root s':>9}{'host s':>9}{'rootless s':>12}{'rootless/root':>15}"
    print(head + (f"{'stock mn s':>12}{'root/stock':>12}" if stock else ""))
    for n in sizes:
        times: dict[str, list[float]] = {"root": [], "host": [], "rootless": [], "stock": []}
        for _ in range(repeat):
            for who in ("root", "host", "rootless"):
                times[who].append(time_ours(n, who))
            if stock:
                times["stock"].append(time_stock(n))
        r, h, u = (statistics.median(times[k]) for k in ("root", "host", "rootless"))
        line = f"{n:>5}{r:>9.2f}{h:>9.2f}{u:>12.2f}{u / r:>14.2f}x"
        if stock:
            s = statistics.median(times["stock"])
            line += f"{s:>12.2f}{r / s:>11.2f}x"
        print(line, flush=True)


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
    """Alternate raw, root and rootless runs, then compare medians: single runs on 2 cores are noisy."""
    raw, ours, rootless = [], [], []
    for _ in range(rounds):
        raw.append(raw_veth_throughput(seconds))
        ours.append(measured("iperf", seconds, "root")["mbps"])
        rootless.append(measured("iperf", seconds, "rootless")["mbps"])
    r, o, u = statistics.median(raw), statistics.median(ours), statistics.median(rootless)
    print(
        f"iperf3 h1->h3 over 3 switches: {o / 1000:.2f} Gbit/s; raw veth pair: {r / 1000:.2f} Gbit/s "
        f"(medians of {rounds}); ratio {o / r:.2f} (target >= 0.9)\n"
        f"  rootless: {u / 1000:.2f} Gbit/s; rootless/root {u / o:.2f} (target >= 0.95)"
    )


def campus(repeat: int = 1) -> None:
    """The campus as root and rootless, alternating, each run in its own worker; medians."""
    runs: dict[str, list[dict]] = {"root": [], "rootless": []}
    for _ in range(repeat):
        for who in runs:
            runs[who].append(measured("campus", 0, who))
    totals = {}
    for who, done in runs.items():
        run = done[0]
        up, totals[who] = (statistics.median(r[k] for r in done) for k in ("up", "total"))
        print(
            f"campus ({who}, median of {repeat}): {run['nodes']} nodes ({run['hosts']} host-like), {run['links']} "
            f"links: up in {up:.1f} s, up+down {totals[who]:.1f} s (target < 60 s), peak memory "
            f"{max(r['mib'] for r in done):.0f} MiB (target < 4096), end-to-end ping loss "
            f"{max(r['loss'] for r in done)}%, leftovers {sum(r['leftovers'] for r in done)}"
        )
    print(f"campus up+down rootless/root: {totals['rootless'] / totals['root']:.2f}x (target <= 1.1)")


def campus_run(holder: bool | None) -> dict:
    from mnss_kernel import templates
    from mnss_kernel.runtime.holder import holders
    from mnss_kernel.runtime.registry import netns_name

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
    with Lab(topo, holder=holder) as lab:
        up = time.perf_counter() - started
        pings = measure.ping(lab, topo.names("host")[0], topo.names("host")[-1], count=2)
    total = time.perf_counter() - started
    running[0] = False
    sampler.join()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    leftovers = sum(1 for ns in listed if ns.startswith(netns_name(lab.owner, lab.lab_id, "")))
    leftovers += sum(1 for name in holders() if name == f"{lab.owner}-{lab.lab_id}")
    return {
        "nodes": len(topo.nodes),
        "hosts": hosts,
        "links": len(topo.links),
        "up": up,
        "total": total,
        "mib": (base - lowest[0]) / 1024,
        "loss": pings["loss_pct"],
        "leftovers": leftovers,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3, help="iperf3 duration")
    parser.add_argument("--rounds", type=int, default=5, help="alternating iperf3 rounds")
    parser.add_argument("--campus", action="store_true", help="also the 1000-host campus template")
    parser.add_argument("--no-stock", action="store_true", help="leave stock mn out of the build table")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("JOB", "ARG", "HOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    build_times(args.sizes, args.repeat, stock=not args.no_stock)
    if not args.skip_throughput:
        throughput(args.seconds, args.rounds)
    if args.campus:
        campus(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
