"""Fault localisation: given a running lab and the topology it was meant to have, find what is wrong.

`diagnose(lab)` reads every node as an admin would (ip link, ip route, iptables, tc), compares that
with the topology's plan, measures the ping matrix (fping) and traces failing pairs, and returns
ranked suspects with their evidence in English and Chinese. It never looks at the faults the lab
itself put in (its ledger): a drill grades a learner's or this diagnosis against those.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from .. import measure
from ..topology import Topology, plan as make_plan
from . import findings, observe
from .paths import Paths
from .suspects import KIND_LABELS, Diagnosis, Suspect, fault_key, key_of
from .texts import en_zh

__all__ = ["KIND_LABELS", "Diagnosis", "Suspect", "diagnose", "fault_key", "key_of"]

MAX_TRACES = 4  # traceroutes per diagnosis: evidence for the top suspects and for unexplained loss


def diagnose(lab, topology: Topology | None = None, *, ping: bool = True, trace: bool = True) -> Diagnosis:
    """Ranked suspects for what differs between the running `lab` and `topology` (default: the
    topology the lab was started with)."""
    started = time.perf_counter()
    topology = (topology or lab.topology).validated()
    plan = make_plan(topology)
    running = set(lab.topology.names())
    nodes = [n for n in topology.nodes if n.name in running]
    with ThreadPoolExecutor(max_workers=2) as pool:  # reads and pings do not disturb each other
        reading = pool.submit(observe.read_nodes, lab, plan, nodes)
        pings = observe.ping_all(lab, plan, topology) if ping else pd.DataFrame(columns=measure.PING_COLUMNS)
        views = reading.result()
    suspects = findings.find(topology, plan, views)
    paths = Paths(topology, plan)
    bad = findings.failing(pings, paths)
    findings.weigh(suspects, bad, paths)
    if trace and len(bad):
        _traces(lab, suspects, bad, paths)
    return Diagnosis(suspects, pings, bad, time.perf_counter() - started)


def _traces(lab, suspects: list[Suspect], bad: pd.DataFrame, paths: Paths) -> None:
    """Traceroute one failing pair per top suspect, and a few pairs nothing explains (those become
    'unexplained' suspects pointing at the last hop that answered)."""
    wanted: dict[tuple[str, str], Suspect | None] = {}
    for s in suspects[:MAX_TRACES]:
        pair = next(((r.src, r.dst) for r in bad.itertuples() if findings.related_to(s, r, paths)), None)
        if pair:
            wanted.setdefault(pair, s)
    for pair in findings.unexplained(suspects, bad, paths)[: max(0, MAX_TRACES - len(wanted))]:
        wanted.setdefault(pair, None)
    if not wanted:
        return
    traces = observe.trace(lab, list(wanted))
    for (src, dst), s in wanted.items():
        hops = traces[(src, dst)]
        answered = hops[hops.address.notna()]
        path = " → ".join(f"{h.node or h.address}" for h in answered.itertuples()) or "(none)"
        reached = bool(len(answered)) and answered.iloc[-1].node == dst
        read = en_zh("evidence", "trace_reached" if reached else "trace_stopped", src=src, dst=dst, path=path)
        if s is not None:
            s.evidence.append(read)
            continue
        last = answered.iloc[-1].node if len(answered) else src
        suspects.append(
            Suspect(
                "unexplained",
                {"src": src, "dst": dst, "last_hop": last},
                en_zh("summaries", "unexplained", src=src, dst=dst, last=last),
                [read],
                score=findings.UNEXPLAINED,
                nodes=frozenset({src, dst}),
            )
        )
