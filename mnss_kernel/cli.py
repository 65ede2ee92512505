"""`mnss`: validate, inspect and run topology files from a shell."""

from __future__ import annotations

import argparse
import sys
import time

from mnss_foundation import plugins

from .diagnose.command import add_commands as diagnose_commands
from .runtime.shell import EngineError
from .topology import Imported, Topology, TopologyError, load, plan
from .topology.loader import FORMATS


def _load(path: str, args) -> Topology:
    """Any topology format; the import's notes go to stderr, so stdout stays the command's result."""
    name, topo_args, params = _mininet_topo(getattr(args, "topo", None))
    imported: Imported = load(path, getattr(args, "format", None), name=name, args=topo_args, params=params)
    for note in imported.notes:
        print(f"note: {imported.source} ({imported.format}): {note}", file=sys.stderr)
    return imported.topology


def _mininet_topo(spec: str | None) -> tuple[str | None, tuple, dict]:
    """`--topo name,arg,key=value`, read by Mininet's own parser, as `mn --topo` reads it."""
    if not spec:
        return None, (), {}
    from mininet.util import splitArgs

    name, values, params = splitArgs(spec)
    return name or None, tuple(values), params


# Entry-point group of command areas other packages add to `mnss`, each a function
# add_commands(subparsers); the course tools add `mnss course` (the engine does not import them).
AREAS = "mnss_kernel.cli"


def cmd_validate(args) -> int:
    bad = 0
    for path in args.files:
        try:
            topo = _load(path, args)
            print(f"OK {path}: {len(topo.nodes)} nodes, {len(topo.links)} links")
        except TopologyError as err:
            print(err, file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def cmd_convert(args) -> int:
    from .topology.loader import write_file

    topo = _load(args.source, args)
    print(f"wrote {write_file(topo, args.target)}: {len(topo.nodes)} nodes, {len(topo.links)} links")
    return 0


def cmd_reference(args) -> int:
    from .topology.reference import reference

    print(reference(), end="")
    return 0


def cmd_plan(args) -> int:
    topo = _load(args.file, args)
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

    topo = _load(args.file, args)
    last = [0.0]

    def progress(phase, done, total):
        if time.monotonic() - last[0] > 0.5 or done == total:
            print(f"  {phase}: {done}/{total}", file=sys.stderr)
            last[0] = time.monotonic()

    with Lab(topo, progress=progress) as lab:
        print(f"running {topo.name}: {len(topo.nodes)} nodes up in {lab.build_seconds:.2f} s")
        if args.ping:
            pings = measure.ping_matrix(lab, count=args.count)
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
    formats = ", ".join(FORMATS)

    def source_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--format",
            choices=list(FORMATS),
            help=f"the file's format ({formats}); by default found from its name and content",
        )
        command.add_argument(
            "--topo",
            metavar="NAME[,ARG,KEY=VALUE]",
            help="Mininet .py file: which of its topologies, with parameters, as for mn --topo",
        )

    v = topo.add_parser("validate", help="check topology files in any format; exit 1 if any is invalid")
    v.add_argument("files", nargs="+")
    source_options(v)
    v.set_defaults(func=cmd_validate)
    c = topo.add_parser(
        "convert", help="convert between MNSS YAML/JSON, Mininet .py, containerlab .clab.yml (and read cytoscape JSON)"
    )
    c.add_argument("source")
    c.add_argument("target", help="the file name decides the format")
    source_options(c)
    c.set_defaults(func=cmd_convert)
    p = topo.add_parser("plan", help="show the subnets, addresses and routes the engine would build")
    p.add_argument("file")
    source_options(p)
    p.set_defaults(func=cmd_plan)
    r = topo.add_parser("run", help="build the network (root), measure, tear down")
    r.add_argument("file")
    source_options(r)
    r.add_argument("--ping", action="store_true", help="ping every host and router from every other one")
    r.add_argument("--count", type=int, default=3, help="pings per pair (default 3)")
    r.add_argument("--iperf", nargs=2, metavar=("SRC", "DST"), help="TCP throughput between two nodes")
    r.add_argument("--seconds", type=float, default=2, help="iperf duration")
    r.add_argument("--hold", action="store_true", help="keep it running until Ctrl+C")
    r.set_defaults(func=cmd_run)
    topo.add_parser("reference", help="print the topology format reference (Markdown)").set_defaults(func=cmd_reference)
    diagnose_commands(sub)
    for _name, add_commands in plugins.hooks(AREAS):
        add_commands(sub)
    parser.set_defaults(areas=tuple(sub.choices))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    area = next((a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")), None)
    if area is not None and area not in parser.get_default("areas"):
        print(
            f"mnss: no command area {area!r} is installed (have: {', '.join(parser.get_default('areas'))}); "
            f"areas besides 'topo' come from packages registered under the entry-point group {AREAS!r} "
            f"('course' from the course tools); {plugins.REINSTALL}",
            file=sys.stderr,
        )
        return 2
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (TopologyError, EngineError, KeyError, ValueError) as err:
        print(f"mnss: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
