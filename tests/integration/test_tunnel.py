"""The virtual-real tunnel against a "real" hospital network that the test builds itself (its own
namespace and veth, not the engine's), with a DICOM server and an HL7 listener in it: a lab's
gateway reaches the allowed peer and port and nothing else, the session and its drops are in the
audit log, and without the site's permission the lab does not start at all."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import tunnel_lab, unprivileged

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the test's hospital network is built as root"),
    pytest.mark.skipif(shutil.which("slirp4netns") is None, reason="slirp4netns (Debian package) is not installed"),
]

SCRIPT = str(Path(__file__).parents[1] / "support" / "tunnel_lab.py")
DICOM, HL7 = 11112, 2575


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Hospital:
    """Namespace mnssH<pid> with two addresses (PACS .2, other host .3) on 198.19.<n>.0/24, joined to
    this host by a veth (.1 here), running a DICOM SCP and an HL7 listener on both addresses."""

    def __init__(self):
        n = os.getpid() % 250 + 1
        self.ns, self.link = f"mnssH{os.getpid()}", f"mnssH{os.getpid()}"[:15]
        self.net = f"198.19.{n}"
        self.pacs, self.other = f"{self.net}.2", f"{self.net}.3"
        self.storage = Path(tempfile.mkdtemp(prefix="mnss-tunnel-pacs-"))
        self.procs: list[subprocess.Popen] = []

    def start(self) -> Hospital:
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.link, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        _ip("addr", "add", f"{self.net}.1/24", "dev", self.link)
        _ip("link", "set", self.link, "up")
        inside = ["nsenter", f"--net=/run/netns/{self.ns}"]
        for line in (f"{self.pacs}/24", f"{self.other}/24"):
            subprocess.run([*inside, "ip", "addr", "add", line, "dev", "eth0"], check=True)
        subprocess.run([*inside, "ip", "link", "set", "eth0", "up"], check=True)
        subprocess.run([*inside, "ip", "link", "set", "lo", "up"], check=True)
        env = {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
        serve = [*inside, sys.executable, "-m", "mnss_kernel.services", "serve"]
        for argv in (
            [*serve, "dicom-scp", "--port", str(DICOM), "--storage", str(self.storage)],
            [*serve, "hl7-mllp", "--port", str(HL7)],
        ):
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.procs.append(proc)
            assert proc.stdout.readline().startswith("READY"), f"{argv[-4:]} did not start"
        return self

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        subprocess.run(["ip", "link", "del", self.link], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.storage, ignore_errors=True)

    def stored(self) -> int:
        return sum(1 for p in self.storage.rglob("*") if p.is_file())

    def forget_stored(self) -> None:
        """Empty the PACS's storage (the sample image has one UID: a second store overwrites it)."""
        for p in self.storage.rglob("*"):
            if p.is_file():
                p.unlink()


@pytest.fixture(scope="module")
def hospital():
    h = Hospital()
    try:
        yield h.start()
    finally:
        h.stop()
    assert not Path(f"/run/netns/{h.ns}").exists()


@pytest.fixture
def audit_dir():
    """A folder the unprivileged account may write its audit log in (pytest's tmp_path is root's)."""
    path = Path(tempfile.mkdtemp(prefix="mnss-tunnel-audit-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _lab(hospital: Hospital, env: dict, as_nobody: bool, tun: Path | None = None) -> dict:
    args = (SCRIPT, hospital.pacs, hospital.other, str(DICOM), str(HL7))
    base = unprivileged.env(**env)
    cmd = unprivileged.argv(*args) if as_nobody else [sys.executable, *args]
    if tun is not None:  # this command alone sees `tun` as /dev/net/tun (a private mount namespace)
        bind = 'mount --bind "$0" /dev/net/tun && exec "$@"'
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", bind, str(tun), *cmd]
    done = subprocess.run(cmd, env=base, cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(done.stdout.splitlines()[-1]), "log": done.stderr}


def test_the_hospital_answers_from_the_host(hospital):
    """The control: from this host, the disallowed port and peer do answer; so a drop seen from
    the lab is the tunnel's doing, not a dead service."""
    from mnss_kernel.services.registry import probe

    assert probe("hl7")(hospital.pacs, HL7, timeout=3)["ok"]
    assert probe("dicom-echo")(hospital.other, DICOM, timeout=3)["ok"]
    assert probe("hl7")(hospital.other, HL7, timeout=3)["ok"]


@pytest.mark.parametrize("as_nobody", [False, True], ids=["root", "rootless"])
def test_the_gateway_reaches_the_allowed_peer_and_port_only(hospital, tmp_path, audit_dir, as_nobody):
    """C-ECHO and C-STORE pass to the allowed PACS port, from a modality behind a router and from the
    gateway itself; the HL7 port of the same peer and another peer are dropped; the session (user,
    destinations, bytes, drops) is in the audit log and slirp4netns is gone once the lab stops."""
    if as_nobody and unprivileged.why_not():
        pytest.skip(unprivileged.why_not())
    audit = audit_dir / "audit" / "tunnel.jsonl"
    hospital.forget_stored()
    env = {
        "MNSS_TUNNEL_ALLOW": f"{hospital.pacs}/32:{DICOM}",
        "MNSS_TUNNEL_RATE_MBIT": "0.5",
        "MNSS_TUNNEL_AUDIT_LOG": str(audit),
        "JUPYTERHUB_USER": "learner7",
    }
    tun = None
    if as_nobody and os.stat("/dev/net/tun").st_mode & 0o006 != 0o006:
        # This machine's /dev/net/tun is 0600 (Debian's default is 0666): the unprivileged run gets a
        # 0666 node of the same device, bound over it in its own mount namespace only.
        tun = tmp_path / "tun"
        os.mknod(tun, 0o666 | stat.S_IFCHR, os.stat("/dev/net/tun").st_rdev)
        tun.chmod(0o666)
    out = _lab(hospital, env, as_nobody, tun)

    assert "refused" not in out, out
    assert out["rootless"] is as_nobody
    assert out["echo"]["ok"], out["echo"]
    assert out["store"]["ok"], out["store"]
    assert out["gateway_echo"]["ok"], out["gateway_echo"]  # the gateway's own connections: the same rules
    assert hospital.stored() == 1, "the PACS stored the image"
    # 0.5 Mbit/s on the outside link: the ~39 KB image (15 KB burst) takes at least ~0.35 s
    assert out["store"]["rtt_ms"] >= 250, out["store"]
    assert "rate 500Kbit" in out["out_classes"], out["out_classes"]
    for refused in ("other_port", "other_peer", "from_gateway"):
        assert not out[refused]["ok"], (refused, out[refused])

    lines = audit.read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record == out["session"]
    assert f"tunnel session: {lines[0]}" in out["log"], "the server's log has the session too"
    assert record["user"] == "learner7"
    assert record["allowed"] == [f"{hospital.pacs}/32:{DICOM}"]
    assert record["connections"] == [{"to": f"{hospital.pacs}/32:{DICOM}", "opened": 3}]
    assert record["bytes_out"] > 30_000 and record["bytes_in"] > 0
    assert record["dropped"]["packets"] >= 3
    assert record["dropped"]["to"] == sorted([hospital.pacs, hospital.other])
    assert not out["slirp_alive"]


def test_without_the_sites_permission_the_lab_does_not_start(hospital, tmp_path, monkeypatch):
    """No $MNSS_TUNNEL_ALLOW: the lab with a gateway is refused in both languages before anything
    is built, and nothing reaches the hospital."""
    hospital.forget_stored()
    monkeypatch.delenv("MNSS_TUNNEL_ALLOW", raising=False)
    monkeypatch.setenv("MNSS_TUNNEL_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    out = tunnel_lab.main(hospital.pacs, hospital.other, str(DICOM), str(HL7))  # in this process

    assert out["refused"]["code"] == "tunnel_disabled"
    assert "gw1" in out["refused"]["en"] and "not enabled the tunnel" in out["refused"]["en"]
    assert "gw1" in out["refused"]["zh"] and "未允许您使用虚实通道" in out["refused"]["zh"]
    assert out["running"] is False
    assert hospital.stored() == 0
    assert not (tmp_path / "audit.jsonl").exists()
