"""`mnss`: validate, inspect and run topology files from a shell."""

from __future__ import annotations

import argparse
import sys
import time

from mnss_foundation import plugins

from .runtime.shell import EngineError
from .topology import Topology, TopologyError, plan

# Entry-point group of command areas other packages add to `mnss`, each a function
# add_commands(subparsers); the course tools add `mnss course` (the engine does not import them).
AREAS = "mnss_kernel.cli"


def cmd_validate(args) -> int:
    bad = 0
    for path in args.files:
        try:
            topo = Topology.load(path)
            print(f"OK {path}: {len(topo.nodes)} nodes, {len(topo.links)} links")
        except TopologyError as err:
            print(err, file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def cmd_convert(args) -> int:
    from .topology.convert import read_file, write_file

    topo = read_file(args.source)
    print(f"wrote {write_file(topo, args.target)}: {len(topo.nodes)} nodes, {len(topo.links)} links")
    return 0


def cmd_plan(args) -> int:
    topo = Topology.load(args.file)
    p = plan(topo)
    for seg in p.segments:
        members = ", ".join(f"{m.node}:{m.name}={m.ip}" for m in seg.members)
        print(f"subnet {seg.subnet}: {members}")
    for node, routes in p.routes.items():
        for net, via in routes:
            print(f"route {node}: {net} via {via}")
    for node, gw in p.gateways.items():
        print(f"gateway {node}: {gw}")
    return 0


def cmd_run(args) -> int:
    from . import measure
    from .runtime import Lab

    topo = Topology.load(args.file)
    last = [0.0]

    def progress(phase, done, total):
        if time.monotonic() - last[0] > 0.5 or done == total:
            print(f"  {phase}: {done}/{total}", file=sys.stderr)
            last[0] = time.monotonic()

    with Lab(topo, progress=progress) as lab:
        print(f"running {topo.name}: {len(topo.nodes)} nodes up in {lab.build_seconds:.2f} s")
        if args.ping:
            pings = measure.ping_matrix(lab)
            print(measure.loss_matrix(pings).to_string())
            print(f"pairs: {len(pings)}, with loss: {(pings.loss_pct > 0).sum()}")
        if args.iperf:
            print(measure.iperf(lab, *args.iperf, seconds=args.seconds).to_string(index=False))
        if args.hold:
            print("holding; press Ctrl+C to stop", file=sys.stderr)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    print("stopped; everything removed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mnss", description="MNSS network emulation engine")
    sub = parser.add_subparsers(dest="area", required=True)
    topo = sub.add_parser("topo", help="topology files").add_subparsers(dest="command", required=True)
    v = topo.add_parser("validate", help="check topology files; exit 1 if any is invalid")
    v.add_argument("files", nargs="+")
    v.set_defaults(func=cmd_validate)
    c = topo.add_parser("convert", help="convert between MNSS YAML/JSON, Mininet .py and containerlab .clab.yml")
    c.add_argument("source")
    c.add_argument("target", help="the file name decides the format")
    c.set_defaults(func=cmd_convert)
    p = topo.add_parser("plan", help="show the subnets, addresses and routes the engine would build")
    p.add_argument("file")
    p.set_defaults(func=cmd_plan)
    r = topo.add_parser("run", help="build the network (root), measure, tear down")
    r.add_argument("file")
    r.add_argument("--ping", action="store_true", help="ping every host from every host")
    r.add_argument("--iperf", nargs=2, metavar=("SRC", "DST"), help="TCP throughput between two nodes")
    r.add_argument("--seconds", type=float, default=2, help="iperf duration")
    r.add_argument("--hold", action="store_true", help="keep it running until Ctrl+C")
    r.set_defaults(func=cmd_run)
    for _name, add_commands in plugins.hooks(AREAS):
        add_commands(sub)
    parser.set_defaults(areas=tuple(sub.choices))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    area = next((a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")), None)
    if area is not None and area not in parser.get_default("areas"):
        print(f"mnss: no command area {area!r} is installed (have: {', '.join(parser.get_default('areas'))}); "
              f"areas besides 'topo' come from packages registered under the entry-point group {AREAS!r} "
              f"('course' from the course tools); {plugins.REINSTALL}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (TopologyError, EngineError, KeyError, ValueError) as err:
        print(f"mnss: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
