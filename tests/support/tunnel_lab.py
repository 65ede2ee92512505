"""Build a lab with a virtual-real gateway and probe a "hospital" beyond it; print what happened as
JSON. Run by tests/integration/test_tunnel.py as root and as an unprivileged account, with the
tunnel's settings in the environment ($MNSS_TUNNEL_*), like a user's server gets them from the hub.

usage: tunnel_lab.py PACS_IP OTHER_IP DICOM_PORT HL7_PORT
"""

from __future__ import annotations

import json
import os
import shlex
import sys

from mnss_kernel.runtime.lab import Lab
from mnss_kernel.runtime.shell import EngineError
from mnss_kernel.topology import Topology

TOPOLOGY = {
    "name": "tunnel-test",
    "nodes": [
        {"name": "m1", "kind": "modality"},
        {"name": "s1", "kind": "switch"},
        {"name": "r1", "kind": "router"},  # routes what lies beyond the lab to the gateway
        {"name": "gw1", "kind": "gateway"},
    ],
    "links": [{"a": "m1", "b": "s1"}, {"a": "s1", "b": "r1"}, {"a": "r1", "b": "gw1"}],
}


# Run on a lab node: the probes given as JSON in argv[1], in one process (pynetdicom imports once).
PROBES = """
import json, sys
from mnss_kernel.services.registry import probe
wanted = json.loads(sys.argv[1])
print(json.dumps([probe(kind)(host, int(port), timeout=timeout) for kind, host, port, timeout in wanted]))
"""


def probes(lab: Lab, node: str, *wanted: tuple) -> list[dict]:
    """(kind, host, port, timeout) probes from a lab node; a dropped one waits its timeout for nothing."""
    done = lab.cmd(node, f"{sys.executable} -c {shlex.quote(PROBES)} {shlex.quote(json.dumps(wanted))}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        return [{"ok": False, "error": (done.stderr or done.stdout)[-300:]}] * len(wanted)


DEFEAT = "MNSS_TEST_DEFEAT"  # set: the learner then takes the gateway's rules away and tries again


def defeat(lab: Lab, pacs: str, other: str, dicom: str, hl7: str) -> dict:
    """What a learner who sets out to defeat the tunnel reaches: in their own lab they are root, so
    they empty the gateway's filter table and open its policies, then try the refused ones again."""
    opened = lab.cmd("gw1", "iptables -P FORWARD ACCEPT && iptables -P OUTPUT ACCEPT && iptables -F")
    assert opened.returncode == 0, opened.stderr
    tried = probes(lab, "m1", ("hl7", pacs, hl7, 2), ("dicom-echo", other, dicom, 2))
    return {
        "rules_left": lab.cmd("gw1", "iptables -S").stdout,
        **dict(zip(("other_port", "other_peer"), tried, strict=True)),
        "from_gateway": probes(lab, "gw1", ("hl7", other, hl7, 2))[0],
    }


def main(pacs: str, other: str, dicom: str, hl7: str) -> dict:
    lab = Lab(Topology.from_dict(TOPOLOGY), owner=f"tun{os.getpid()}")
    try:
        lab.start()
    except EngineError as err:
        return {"refused": {"code": err.code, "zh": err.zh, "en": err.en}, "running": lab.running}
    try:
        out = {
            "uid": os.geteuid(),
            "rootless": lab.rootless,
            **dict(
                zip(
                    ("echo", "store", "other_port", "other_peer"),
                    probes(
                        lab,
                        "m1",
                        ("dicom-echo", pacs, dicom, 3),
                        ("dicom-store", pacs, dicom, 3),
                        ("hl7", pacs, hl7, 1),
                        ("dicom-echo", other, dicom, 1),
                    ),
                    strict=True,
                )
            ),
            **dict(
                zip(
                    ("gateway_echo", "from_gateway"),
                    probes(lab, "gw1", ("dicom-echo", pacs, dicom, 3), ("hl7", other, hl7, 1)),
                    strict=True,
                )
            ),
            "out_classes": lab.cmd("gw1", "tc class show dev out0").stdout,
            "slirp_pid": lab._tunnel._slirp.pid,
        }
        if os.environ.get(DEFEAT):
            out["defeated"] = defeat(lab, pacs, other, dicom, hl7)
    finally:
        lab.stop()
    out["session"] = lab.tunnel_session
    out["slirp_alive"] = os.path.exists(f"/proc/{out['slirp_pid']}") and _not_zombie(out["slirp_pid"])
    return out


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
