"""The virtual-real tunnel in docker mode, with a real dockerd, the real image, hub and proxy, against
a hospital network the test builds itself on this host: a learner allowed the tunnel gets the tun
node and a lab whose gateway reaches the allowed PACS port, recorded in the hub's audit log; beyond
the host their container reaches nothing else, also once they have emptied their gateway's rules,
and a learner without the tunnel reaches nothing of the hospital at all."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mnss_hub import egress, siteconfig, tunnel_sessions
from mnss_hub.hubclient import HubClient
from mnss_hub.people import site as people_site
from tests.support import dockerhub, tunnel_lab
from tests.support.dockerhub import docker
from tests.support.hospital import DICOM, HL7, Hospital
from tests.support.hubproc import create_accounts, logged_in, running_hub

pytestmark = [
    pytest.mark.integration,
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the test's hospital network and the hub's firewall need root"),
]

RUN = f"u{os.getpid()}"
LAB_SOURCE = Path(tunnel_lab.__file__).read_text()

# In a learner's kernel: the tunnel lab of tests/support/tunnel_lab.py, its gateway's rules emptied
# at the end, as a learner who sets out to defeat the tunnel would.
IN_THE_LAB = """
import json, os
os.environ[{defeat!r}] = "1"
lab_module = {{"__name__": "tunnel_lab"}}
exec(compile({source!r}, "tunnel_lab.py", "exec"), lab_module)
out = lab_module["main"]({pacs!r}, {other!r}, "{dicom}", "{hl7}")
out["device"] = oct(os.stat("/dev/net/tun").st_mode & 0o777)
print(json.dumps(out))
"""

PROBES = """
import json
from mnss_kernel.services.registry import probe
print(json.dumps([
    probe('dicom-echo')({pacs!r}, {dicom}, timeout=3)['ok'],
    probe('hl7')({pacs!r}, {hl7}, timeout=2)['ok'],
    probe('dicom-echo')({other!r}, {dicom}, timeout=2)['ok'],
]))
"""


@pytest.fixture(scope="module")
def hospital():
    dockerhub.require_engine()
    h = Hospital(offset=125)
    try:
        yield h.start()
    finally:
        h.stop()


def test_a_container_reaches_beyond_the_host_only_its_users_tunnel_destinations(tmp_path, hospital):
    ann, ben = f"ann{RUN}", f"ben{RUN}"
    config = dockerhub.docker_site(tmp_path / "state", RUN, subnet_offset=25)
    config["tunnel"] = {"enabled": True, "users": [ann], "allow": [{"to": f"{hospital.pacs}/32", "ports": [DICOM]}]}
    create_accounts(Path(config["hub"]["state_dir"]), (ann, ben))
    bridge = None
    try:
        with running_hub(tmp_path / "hub", config) as (url, _, _):
            bridge = "br-" + docker("network", "inspect", "-f", "{{.Id}}", config["docker"]["network"]).stdout[:12]
            admin = HubClient(url, timeout=60)
            admin.login("admin", "admin-test-password")
            admin.create_user(ben)  # ann exists already: the site's tunnel role names her
            clients = logged_in(url, (ann, ben))
            for name, client in clients.items():
                client.start_server(name, wait=180)
            ids = dict(pacs=hospital.pacs, other=hospital.other, dicom=DICOM, hl7=HL7)

            # Only ann's container got a device, /dev/net/tun, and still no capability.
            devices = {n: json.loads(docker("inspect", f"mnss-{n}").stdout)[0]["HostConfig"] for n in (ann, ben)}
            assert devices[ann]["Devices"] == [
                {
                    "PathOnHost": "/dev/net/tun",
                    "PathInContainer": "/dev/net/tun",
                    "CgroupPermissions": "rw",
                }
            ]
            assert not devices[ben]["Devices"] and not devices[ann]["CapAdd"]

            # From their kernels: ann reaches the PACS's DICOM port only, ben nothing of the hospital.
            reached = {n: json.loads(c.execute(n, PROBES.format(**ids)).stdout) for n, c in clients.items()}
            assert reached == {ann: [True, False, False], ben: [False, False, False]}

            # ann's lab through its gateway: the allowed port, nothing else, also with the gateway's rules gone.
            said = clients[ann].execute(
                ann, IN_THE_LAB.format(defeat=tunnel_lab.DEFEAT, source=LAB_SOURCE, **ids), timeout=240
            )
            assert said.error is None, f"{said.error}\n{said.stderr[-3000:]}"
            out = json.loads(said.stdout.splitlines()[-1])
            assert "refused" not in out, out
            assert out["device"] == "0o666" and out["rootless"], out
            assert out["echo"]["ok"] and out["store"]["ok"], out
            assert not any(out[w]["ok"] for w in ("other_port", "other_peer", "from_gateway")), out
            assert "mnss-tunnel" not in out["defeated"]["rules_left"]
            assert not any(out["defeated"][w]["ok"] for w in ("other_port", "other_peer", "from_gateway")), out
            assert hospital.stored() >= 1

            # The session is in the hub's audit log, as ann's.
            store = people_site.open_store(siteconfig.validate(config))
            try:
                with store.begin() as conn:
                    entries = store.audit.entries(conn, subject=f"profile {ann}")
            finally:
                store.close()
            sessions = [e for e in entries if e.action == tunnel_sessions.ACTION]
            assert len(sessions) == 1 and sessions[0].actor == ann
            assert sessions[0].detail == tunnel_sessions.detail(out["session"])

            # The grant goes with the container: its address may be the next container's.
            container = docker("inspect", "-f", "{{.Id}}", f"mnss-{ann}").stdout.strip()
            assert egress.granted_ids(bridge) == {container[:12]}
            clients[ann]._call("DELETE", f"hub/api/users/{ann}/server", expect=(202, 204))
            clients[ann].wait_for(ann, ready=False, timeout=60)
            assert egress.granted_ids(bridge) == set()
    finally:
        dockerhub.remove_leftovers(config, RUN)
    rules = subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True).stdout
    assert bridge is not None and egress.network_chain(bridge) not in rules, "the network's chain went with it"
