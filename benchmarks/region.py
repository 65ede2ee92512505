"""The 10,000-node regional health network on the engine, and stock Mininet at 1,000 nodes, in one
run (as root; it loads the machine for a few minutes: run it with `nice -n 5`).

1. MNSS builds the `region` template (default about 10,000 nodes): time until it forwards (goal
   < 120 s), peak memory (the drop of MemAvailable while it runs, goal < 8 GiB; other load on the
   machine counts too, so it is an upper bound), a ping matrix between a sample of devices in
   different regions and the data centre (goal 0% loss), teardown time, and leftovers (the lab's
   holder, record, namespaces, and any of its interfaces on the host: goal none).
2. The same 1,000 nodes as MNSS and as stock Mininet: `linear,500` (500 switches, 500 hosts) with
   Linux bridges and no controller, like `mn --switch lxbr --controller none --topo linear,500
   --test none`. Stock Mininet runs through its Python API with `net.stop()` in a finally (so only
   its own nodes are cleaned up, never another user's, as `mn -c` would); past --stock-timeout it
   is stopped and reported as given up at that size.
Prints each number, the ratio stock / MNSS at 1,000 nodes, and the 10,000-node build time against
stock's 1,000. Each MNSS measurement runs in a fresh worker process; the lab is a context manager,
so it is torn down on any error, Ctrl-C or SIGTERM (and with the worker, if that is killed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnss_kernel import measure, templates  # noqa: E402
from mnss_kernel.runtime import Lab  # noqa: E402
from mnss_kernel.runtime.holder import holders  # noqa: E402
from mnss_kernel.runtime.registry import records  # noqa: E402
from mnss_kernel.runtime.shell import existing_namespaces  # noqa: E402

WORKER_PATH = f"{ROOT}:{ROOT / 'extensions'}:{ROOT / 'hub'}:{ROOT / 'recommender'}"
OWNER = f"rb{os.getpid()}"  # this run's labs only: other emulations on the machine are never counted
GIB = 1024**3

# Stock Mininet's own way to build, start and stop linear,N; its module is installed for Debian's python3.
STOCK = """
import signal, sys, time
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge
from mininet.topo import LinearTopo

def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
setLogLevel("error")
started = time.perf_counter()
net = Mininet(topo=LinearTopo(int(sys.argv[1])), switch=LinuxBridge, controller=None)
try:
    net.start()
    up = time.perf_counter() - started
finally:
    net.stop()
print(up, time.perf_counter() - started)
"""


def mem_available() -> int:
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable"))


class LowestMemory:
    """Samples MemAvailable every 50 ms while in use; `.drop` is the largest fall below the start."""

    def __enter__(self):
        self.base = self.lowest = mem_available()
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.lowest = min(self.lowest, mem_available())
            time.sleep(0.05)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()

    @property
    def drop(self) -> int:
        return self.base - self.lowest


def host_links() -> set[str]:
    done = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
    return {line.split(":")[1].strip() for line in done.stdout.splitlines()}


def leftovers(owner: str) -> list[str]:
    """What of `owner`'s labs is still there: holders, records, namespaces named on the host."""
    found = [f"holder {name}" for name in holders() if name.startswith(f"{owner}-")]
    found += [f"record {r.lab}" for r in records(owner)]
    found += [f"netns {ns}" for ns in existing_namespaces() if ns.startswith(f"mnss-{owner}-")]
    return found


def worker(job: str, arg: str) -> dict:
    """One MNSS measurement in this process: the region (arg: its parameters as JSON) or linear,N."""
    from mnss_kernel.runtime import capabilities

    capabilities.holder_problem(), capabilities.has_qdisc("htb")  # one-off probes: not build time
    links_before = host_links()
    if job == "linear":
        started = time.perf_counter()
        with Lab(templates.linear(int(arg)), owner=OWNER) as lab:
            up = time.perf_counter() - started
        return {"up": up, "total": time.perf_counter() - started, "leftovers": leftovers(OWNER)}
    params = json.loads(arg)
    topo = templates.region(**params)
    probes = templates.region_probes(topo)
    result: dict = {"nodes": len(topo.nodes), "links": len(topo.links), "probes": len(probes)}
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        phases.setdefault(phase, round(time.perf_counter() - started, 1))

    with LowestMemory() as memory:
        lab = Lab(topo, owner=OWNER, progress=progress)
        with lab:
            result["up"] = time.perf_counter() - started
            result["mem_up"] = memory.base - mem_available()
            pings = measure.ping_matrix(lab, probes, count=3)
            result["pairs"] = len(pings)
            result["lost_pairs"] = int((pings.loss_pct > 0).sum())
            result["loss_pct"] = float(pings.loss_pct.mean())
            result["rtt_ms"] = float(pings.rtt_avg_ms.max())
            down = time.perf_counter()
        result["down"] = time.perf_counter() - down
    result["phases"] = phases
    result["mem_peak"] = memory.drop
    ours = {i.name for ifs in lab.plan.interfaces.values() for i in ifs}  # others' links may come and go
    result["leftovers"] = leftovers(OWNER) + [f"host link {x}" for x in (host_links() - links_before) & ours]
    return result


def measured(job: str, arg: str) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", job, arg]
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "PYTHONPATH": WORKER_PATH}
    done = subprocess.run(argv, env=env, cwd="/", capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{job} {arg} failed: {done.stderr[-1500:]}")
    return json.loads(done.stdout.splitlines()[-1])


def stock(switches: int, timeout: float) -> dict:
    """Stock Mininet's linear,`switches` build, start and stop; {'gave_up': reason} past `timeout`."""
    proc = subprocess.Popen(
        ["/usr/bin/python3", "-c", STOCK, str(switches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # its finally stops the network it built
        try:
            proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        return {"gave_up": f"not up within {timeout:.0f} s"}
    except BaseException:
        proc.send_signal(signal.SIGTERM)
        proc.wait(600)
        raise
    if proc.returncode != 0:
        return {"gave_up": f"failed after {time.perf_counter() - started:.0f} s: {err.strip()[-300:]}"}
    up, total = map(float, out.split()[-2:])
    return {"up": up, "total": total}


def _interrupted(signum, frame) -> None:
    """SIGTERM to the benchmark: unwind as for Ctrl-C. A worker is killed by subprocess.run on the
    way out, and its lab goes with it (the lab's holder ends when its owner does)."""
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--hospitals", type=int, default=4, help="per region")
    parser.add_argument("--clinics", type=int, default=12, help="per region")
    parser.add_argument("--floors", type=int, default=6, help="per hospital")
    parser.add_argument("--hosts-per-floor", type=int, default=40)
    parser.add_argument("--clinic-hosts", type=int, default=10, help="per clinic floor")
    parser.add_argument("--compare-nodes", type=int, default=1000, help="size of the side-by-side linear topology")
    parser.add_argument("--stock-timeout", type=float, default=900)
    parser.add_argument("--no-stock", action="store_true", help="leave stock Mininet out")
    parser.add_argument("--worker", nargs=2, metavar=("JOB", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    if os.geteuid() != 0:
        raise SystemExit("run as root: stock Mininet needs it (MNSS does not)")
    signal.signal(signal.SIGTERM, _interrupted)  # as Ctrl-C: a running stock Mininet is stopped, see stock()
    params = {
        "regions": args.regions,
        "hospitals": args.hospitals,
        "clinics": args.clinics,
        "floors": args.floors,
        "hosts_per_floor": args.hosts_per_floor,
        "clinic_hosts": args.clinic_hosts,
    }
    region = measured("region", json.dumps(params))
    print(
        f"MNSS region: {region['nodes']} nodes, {region['links']} links: up in {region['up']:.1f} s "
        f"(goal < 120 s; phases {region['phases']}), memory {region['mem_up'] / GIB:.2f} GiB when up, "
        f"peak {region['mem_peak'] / GIB:.2f} GiB (goal < 8), ping {region['pairs']} pairs among "
        f"{region['probes']} devices across regions: {region['loss_pct']:.1f}% loss "
        f"({region['lost_pairs']} pairs with loss, max rtt {region['rtt_ms']:.2f} ms), torn down in "
        f"{region['down']:.1f} s, leftovers: {region['leftovers'] or 'none'}",
        flush=True,
    )
    switches = args.compare_nodes // 2
    ours = measured("linear", str(switches))
    print(
        f"MNSS linear,{switches} ({2 * switches} nodes): up {ours['up']:.1f} s, up+down {ours['total']:.1f} s, "
        f"leftovers: {ours['leftovers'] or 'none'}",
        flush=True,
    )
    failed = bool(region["leftovers"] or ours["leftovers"] or region["lost_pairs"])
    if not args.no_stock:
        theirs = stock(switches, args.stock_timeout)
        if "gave_up" in theirs:
            print(f"stock Mininet linear,{switches} ({2 * switches} nodes): gave up: {theirs['gave_up']}")
        else:
            print(
                f"stock Mininet linear,{switches} ({2 * switches} nodes): up {theirs['up']:.1f} s, "
                f"up+down {theirs['total']:.1f} s\n"
                f"ratio stock / MNSS at {2 * switches} nodes: up {theirs['up'] / ours['up']:.1f}x, "
                f"up+down {theirs['total'] / ours['total']:.1f}x\n"
                f"MNSS's {region['nodes']}-node region up in {region['up']:.1f} s vs stock's "
                f"{2 * switches} nodes up in {theirs['up']:.1f} s: {theirs['up'] / region['up']:.2f}x"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
