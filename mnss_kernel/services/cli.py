"""`python -m mnss_kernel.services`: run a server or one probe, for `ip netns exec` in a lab node.

  serve KIND [--host H] [--port P] [--storage DIR] [--ae-title T]   prints `READY KIND PORT`
  probe KIND HOST PORT [--timeout S] [...]                          prints the row as JSON
  list                                                              prints the registry as JSON

Exit codes: 0 ok (serve: stopped by SIGTERM), 1 probe failed or server could not start, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from functools import partial
from pathlib import Path

from pydicom.errors import InvalidDicomError

from .lifecycle import serve_until_signalled
from .registry import PROBE_ALIASES, PROBES, SERVICES, probe

DICOM_PROBES = {"dicom-echo", "dicom-store", "dicom-scp"}
# probe option -> (probe names it applies to, keyword argument of the probe function)
PROBE_OPTIONS = {
    "ae_title": (DICOM_PROBES, "ae_title"),
    "called_ae": (DICOM_PROBES, "called_ae"),
    "image": ({"dicom-store"}, "image"),
    "message_file": ({"hl7", "hl7-mllp"}, "message"),
    "path": ({"http"}, "path"),
}


def _port(text: str, allow_zero: bool) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    low = 0 if allow_zero else 1
    if not low <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside {low}-65535")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"timeout must be positive, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mnss_kernel.services", description="Hospital application services for MNSS lab nodes."
    )
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run a server until SIGTERM")
    serve.add_argument("kind", choices=sorted(SERVICES))
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument(
        "--port",
        type=partial(_port, allow_zero=True),
        help="port (default: the service's usual port; 0 picks a free one)",
    )
    serve.add_argument("--storage", help="dicom-scp: directory for received images (default: a new temp dir)")
    serve.add_argument("--ae-title", help="dicom-scp: the PACS's own AE title (default MNSS-PACS)")
    pr = sub.add_parser("probe", help="run one probe, print its row as JSON")
    pr.add_argument("kind", choices=sorted(set(PROBES) | set(PROBE_ALIASES)))
    pr.add_argument("host")
    pr.add_argument("port", type=partial(_port, allow_zero=False))
    pr.add_argument("--timeout", type=_seconds, default=5.0, help="seconds (default 5)")
    pr.add_argument("--ae-title", help="dicom probes: our (calling) AE title")
    pr.add_argument("--called-ae", help="dicom probes: the PACS's AE title")
    pr.add_argument("--image", help="dicom-store: DICOM file to send (default: bundled sample CT)")
    pr.add_argument("--message-file", help="hl7: file with the HL7 message to send (default: synthetic ADT^A01)")
    pr.add_argument("--path", help="http: path to GET (default /)")
    sub.add_parser("list", help="print the services and probes as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    if args.command == "serve":
        return _serve(p, args)
    if args.command == "probe":
        return _probe(p, args)
    print(
        json.dumps(
            {
                name: {
                    "default_port": s.default_port,
                    "kinds": list(s.kinds),
                    "probe": PROBE_ALIASES[name],
                    "client_kinds": list(s.client_kinds),
                }
                for name, s in SERVICES.items()
            },
            indent=2,
        )
    )
    return 0


def _usage(p: argparse.ArgumentParser, message: str) -> int:
    p.print_usage(sys.stderr)
    print(f"{p.prog}: error: {message}", file=sys.stderr)
    return 2


def _serve(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    spec = SERVICES[args.kind]
    options = {}
    for name in ("storage", "ae_title"):
        if getattr(args, name) is not None:
            if args.kind != "dicom-scp":
                return _usage(p, f"--{name.replace('_', '-')} only applies to dicom-scp")
            options[name] = getattr(args, name)
    port = spec.default_port if args.port is None else args.port
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=f"{args.kind}: %(levelname)s %(message)s")
    try:
        return serve_until_signalled(args.kind, partial(spec.start, args.host, port, **options))
    except ValueError as exc:  # e.g. an AE title pynetdicom refuses
        return _usage(p, str(exc))
    except OSError as exc:
        print(f"{p.prog}: cannot serve {args.kind} on {args.host}:{port}: {exc}", file=sys.stderr)
        return 1


def _probe(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    kwargs: dict = {"timeout": args.timeout}
    for option, (applies_to, keyword) in PROBE_OPTIONS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if args.kind not in applies_to:
            return _usage(p, f"--{option.replace('_', '-')} does not apply to probe {args.kind}")
        kwargs[keyword] = value
    try:
        if "message" in kwargs:
            kwargs["message"] = Path(kwargs["message"]).read_text(encoding="utf-8")
        result = probe(args.kind)(args.host, args.port, **kwargs)
    except (ValueError, OSError, InvalidDicomError) as exc:  # bad arguments or input file, not the network
        return _usage(p, str(exc))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1
