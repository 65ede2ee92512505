"""Ping all on the hospital campus template (51 addressed nodes, 2,550 pairs), through the canvas,
side by side in one run with stock Mininet's way of pinging all (`Mininet.pingAll`: one
`ping -c1 -W1` per pair, in turn) on the same running lab (as root).

Prints both times and the ratio ours / stock; also that both found the same unreachable pairs
(the guest network is walled off by design, so some loss is expected). The stock way takes minutes:
each unreachable pair waits its 1 s timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnss_kernel import templates  # noqa: E402
from mnss_kernel.canvas import TopologyCanvas  # noqa: E402


def stock_ping_all(lab, nodes: list[str]) -> tuple[float, set]:
    """What stock Mininet's pingAll does: each pair once, one packet, one after another."""
    started, lost = time.perf_counter(), set()
    for src in nodes:
        for dst in nodes:
            if src != dst and lab.cmd(src, f"LC_ALL=C ping -c1 -W1 {lab.address(dst)}").returncode != 0:
                lost.add((src, dst))
    return time.perf_counter() - started, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (median); stock runs once")
    args = parser.parse_args()

    canvas = TopologyCanvas(templates.hospital_campus(), language="en")
    quiet = contextlib.redirect_stdout(io.StringIO())  # outside a notebook the canvas prints its tables
    with quiet:
        lab = canvas.run()
    try:
        ours = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            with quiet:
                pings = canvas.ping_all()
            ours.append(time.perf_counter() - started)
        nodes = sorted(set(pings.src))
        stock, stock_lost = stock_ping_all(lab, nodes)
    finally:
        canvas.stop()
    our_lost = {(r.src, r.dst) for r in pings.itertuples() if r.received == 0}
    median = statistics.median(ours)
    print(f"Ping all, hospital campus: {len(nodes)} nodes, {len(pings)} pairs")
    print(f"{'ours (canvas, 3 pings/pair) s':>32}{'stock pingAll (1 ping/pair) s':>32}{'ours/stock':>12}")
    print(f"{median:>32.2f}{stock:>32.2f}{median / stock:>12.3f}")
    print(f"pairs with no reply: ours {len(our_lost)}, stock {len(stock_lost)}, same: {our_lost == stock_lost}")


if __name__ == "__main__":
    main()
