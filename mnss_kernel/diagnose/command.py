"""`mnss diagnose FILE`: build the topology, put faults in (a drill), diagnose, then show the truth.

A lab lives as long as the process that built it, so the command builds its own; in a notebook,
`lab.diagnose()` diagnoses the lab that is running there.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from .. import faults
from .suspects import fault_key
from .texts import en_zh

FAULT_KINDS = {cls.kind: cls for cls in faults.Fault.__subclasses__()}
_TYPES = {"int": int, "float": float, "str": str}


def said(code: str, /, **values) -> str:
    """A line of the command in both languages, 'English (中文)': a drill is read by either."""
    return "{} ({})".format(*en_zh("cli", code, **values))


def parse_fault(spec: str) -> faults.Fault:
    """'link_down:a,b', 'wrong_vlan:s1,h1,20', 'throttle:a,b,1' ... as a fault object."""
    kind, _, rest = spec.partition(":")
    cls = FAULT_KINDS.get(kind)
    if cls is None:
        raise ValueError(said("unknown_kind", kind=kind, kinds=", ".join(FAULT_KINDS)))
    fields = dataclasses.fields(cls)
    values = [v for v in rest.split(",") if v] if rest else []
    if len(values) != len(fields):
        wanted = ",".join(f.name for f in fields)
        raise ValueError(said("bad_spec", kind=kind, wanted=wanted, spec=spec))
    try:
        return cls(*(_TYPES[str(f.type)](v) for f, v in zip(fields, values, strict=True)))
    except ValueError as err:
        raise ValueError(f"{spec!r}: {err}") from None


def add_commands(sub) -> None:
    d = sub.add_parser(
        "diagnose",
        help="build a topology, seed faults (a drill), find them from measurements and reads, show the truth",
    )
    d.add_argument("file", help="the topology to build (any format mnss topo reads)")
    d.add_argument("--intended", metavar="FILE", help="the topology the lab was meant to have (default: FILE)")
    d.add_argument("--inject", action="append", default=[], metavar="KIND:ARGS", help="a fault, e.g. link_down:r1,s1")
    d.add_argument("--faults", type=int, default=0, help="random faults to seed (with --seed)")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--language", choices=["zh-CN", "en", "both"], default="both")
    d.add_argument("--json", action="store_true", help="the suspects as JSON lines")
    d.set_defaults(func=cmd_diagnose)


def cmd_diagnose(args) -> int:
    from ..runtime import Lab
    from ..topology import load
    from . import diagnose

    topo = load(args.file).topology
    intended = load(args.intended).topology if args.intended else None
    seeded = [parse_fault(spec) for spec in args.inject]
    with Lab(topo) as lab:
        if args.faults:
            seeded += faults.random_faults(lab.topology, lab.plan, seed=args.seed, count=args.faults)
        for fault in seeded:
            fault.inject(lab)
        result = diagnose(lab, intended)
    if args.json:
        for s in result.suspects:
            print(
                json.dumps(
                    {"kind": s.kind, "where": s.where, "score": s.score, "summary": s.summary, "evidence": s.evidence},
                    ensure_ascii=False,
                    default=str,
                )
            )
    else:
        languages = ["zh-CN", "en"] if args.language == "both" else [args.language]
        print("\n\n".join(result.text(language) for language in languages))
    if seeded:
        keys = [s.key for s in result.suspects]
        print(f"\n{said('seeded')}:", file=sys.stderr)
        for fault in seeded:
            rank = keys.index(fault_key(fault)) + 1 if fault_key(fault) in keys else None
            found = said("found_at", rank=rank) if rank else said("not_found")
            print(f"  {fault}: {found}", file=sys.stderr)
    return 0
