"""Fault localisation on the bundled templates: seed faults, diagnose, compare with the truth.

For each template in turn (one lab each, as root or rootless), seeded single faults and pairs of
faults are injected, `mnss_kernel.diagnose` is run on the lab and its suspects are compared with
the seeded faults (by kind and place: the link, node, port, route or rule), then the faults are
repaired. Kinds are taken in turn, so each of the seven kinds is seeded about equally often, each
trial on the next template that offers its kinds; which fault of a kind is picked by
`faults.random_faults` with the run's seed (reproducible).

Reported: top-1 accuracy for single faults, the share of pairs whose two faults are both the two
top-ranked suspects, time per diagnosis (all, and on the 60-node hospital campus), per kind.
Targets: 200 singles >= 95%, 50 pairs both found >= 80%, < 10 s per diagnosis on the campus.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnss_kernel import faults, templates  # noqa: E402
from mnss_kernel.diagnose import fault_key  # noqa: E402
from mnss_kernel.runtime import EngineError, Lab  # noqa: E402
from mnss_kernel.topology import plan  # noqa: E402

SLOW = 10.0  # seconds: the target per diagnosis on the campus
KINDS = ["link_down", "node_down", "wrong_vlan", "wrong_gateway", "route_removed", "firewall_block", "throttle"]


def offered(name: str) -> set[str]:
    topo = templates.TEMPLATES[name].build()
    return {f.kind for f in faults.candidates(topo, plan(topo))}


def schedule(names: list[str], singles: int, doubles: int) -> dict[str, list[tuple[int, tuple[str, ...]]]]:
    """{template: [(trial number, kinds)]}: kinds are taken in turn, so each kind is seeded about
    equally often, and each trial goes to the templates offering its kinds in turn (the routed kinds,
    missing routes and wrong gateways, only exist on the routed templates)."""
    kinds_of = {name: offered(name) for name in names}
    plan_out: dict[str, list] = defaultdict(list)
    wanted = [(KINDS[n % len(KINDS)],) for n in range(singles)]
    wanted += [(KINDS[n % len(KINDS)], KINDS[(n * 3 + 1) % len(KINDS)]) for n in range(doubles)]
    for n, kinds in enumerate(wanted):
        if len(set(kinds)) < len(kinds):
            kinds = (kinds[0], KINDS[(KINDS.index(kinds[0]) + 1) % len(KINDS)])
        hosts = [name for name in names if set(kinds) <= kinds_of[name]]
        if hosts:
            plan_out[hosts[(n // len(KINDS)) % len(hosts)]].append((n, kinds))
    return plan_out


def seeded(lab, kinds: tuple[str, ...], seed: int) -> list[faults.Fault]:
    """One fault of each kind (distinct), chosen by seed."""
    chosen: list[faults.Fault] = []
    for k, kind in enumerate(kinds):
        pool = faults.random_faults(lab.topology, lab.plan, seed=seed * 31 + k, count=1, kinds={kind})
        if fault_key(pool[0]) in {fault_key(c) for c in chosen}:
            return []
        chosen.append(pool[0])
    return chosen


def trial(lab, chosen: list[faults.Fault]) -> tuple[bool, bool, float, list] | None:
    """(top-k all found, all found anywhere, seconds, top keys) or None if the faults cannot go in together."""
    done = []
    try:
        for f in chosen:
            f.inject(lab)
            done.append(f)
    except EngineError:
        for f in reversed(done):
            f.repair(lab)
        return None
    try:
        result = lab.diagnose()
    finally:
        for f in reversed(done):
            f.repair(lab)
    keys = [s.key for s in result.suspects]
    want = {fault_key(f) for f in chosen}
    return want <= set(keys[: len(chosen)]), want <= set(keys), result.seconds, keys[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--doubles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--templates", nargs="*", default=templates.SAVED)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()

    names = args.templates
    trials = schedule(names, args.singles, args.doubles)

    single_hits, single_all, double_hits, double_any = [], [], [], []
    per_kind: dict[str, Counter] = defaultdict(Counter)
    seconds, campus_seconds, skipped, misses, slow = [], [], 0, [], []
    started = time.perf_counter()
    for name in names:
        if not trials[name]:
            continue
        topo = templates.TEMPLATES[name].build()
        with Lab(topo) as lab:
            clean = lab.diagnose()
            if clean.suspects:
                print(f"{name}: the intact lab has {len(clean.suspects)} suspect(s): {clean.suspects[0].summary[0]}")
            for n, kinds in trials[name]:
                chosen = seeded(lab, kinds, args.seed * 1000 + n)
                result = trial(lab, chosen) if chosen else None
                if result is None:
                    skipped += 1
                    continue
                hit, anywhere, took, top = result
                if len(kinds) == 1:
                    single_hits.append(hit)
                    single_all.append(anywhere)
                    per_kind[kinds[0]]["hit" if hit else "miss"] += 1
                else:
                    double_hits.append(hit)
                    double_any.append(anywhere)
                seconds.append(took)
                if name == "hospital_campus":
                    campus_seconds.append(took)
                if took > SLOW:
                    slow.append(f"{name}: {chosen} took {took:.1f} s")
                if not hit:
                    misses.append(f"{name}: {chosen} -> {top}")
        done = len(trials[name])
        print(
            f"  {name}: {len(topo.nodes)} nodes, {done} trials, done at {time.perf_counter() - started:.0f} s",
            flush=True,
        )

    def pct(values: list[bool]) -> str:
        return f"{100 * sum(values) / len(values):.1f}% of {len(values)}" if values else "n/a"

    print(f"\nFault localisation on {len(names)} templates, seed {args.seed}:")
    print(f"  single faults, top-1 correct:              {pct(single_hits)}  (anywhere in the list: {pct(single_all)})")
    print(
        f"  double faults, both found (anywhere):      {pct(double_any)}  (both the top-2 suspects: {pct(double_hits)})"
    )
    print(f"  skipped (fault not offered or contradicts): {skipped}")
    if seconds:
        print(f"  seconds per diagnosis: median {statistics.median(seconds):.2f}, max {max(seconds):.2f}")
    if campus_seconds:
        p95 = statistics.quantiles(campus_seconds, n=20)[-1] if len(campus_seconds) > 1 else campus_seconds[0]
        over = sum(t > SLOW for t in campus_seconds)
        print(
            f"  hospital campus (60 nodes): median {statistics.median(campus_seconds):.2f} s, p95 {p95:.2f} s, "
            f"max {max(campus_seconds):.2f} s over {len(campus_seconds)}; {over} above {SLOW:g} s"
        )
    for kind in KINDS:
        c = per_kind[kind]
        print(f"  {kind:>15}: {c['hit']}/{c['hit'] + c['miss']} top-1")
    if args.verbose:
        for line in misses:
            print("  miss:", line)
        for line in slow:
            print("  slow:", line)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
