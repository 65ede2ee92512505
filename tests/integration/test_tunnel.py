"""The virtual-real tunnel against a "real" hospital network that the test builds itself (its own
namespace and veth, not the engine's), with a DICOM server and an HL7 listener in it: a lab's
gateway reaches the allowed peer and port and nothing else, the session and its drops are in the
hub's audit log (sent with the token of the user's real server) and in the user's audit file, and
without the site's permission the lab does not start at all."""

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
import requests

from mnss_foundation import system_accounts
from mnss_hub import siteconfig, tunnel_sessions
from mnss_hub.hubclient import HubClient
from mnss_hub.people import site as people_site
from mnss_hub.spawners import ACCOUNT_PREFIX
from tests.support import tunnel_lab, unprivileged
from tests.support.browser import browser_page, chromium_path, screenshot, sign_in
from tests.support.hospital import DICOM, HL7, Hospital
from tests.support.hubproc import create_accounts, logged_in, running_hub, site_config

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the test's hospital network is built as root"),
    pytest.mark.skipif(shutil.which("slirp4netns") is None, reason="slirp4netns (Debian package) is not installed"),
]

SCRIPT = str(Path(__file__).parents[1] / "support" / "tunnel_lab.py")
SESSION = {  # a well-formed session of learner7's, as a server reports one
    "event": "tunnel_session",
    "user": "learner7",
    "lab": "l1",
    "gateway": "gw1",
    "started": "2026-12-02T05:00:00+00:00",
    "ended": "2026-12-02T05:01:00+00:00",
    "allowed": [],
    "rate_mbit": 1,
    "connections": [],
    "bytes_out": 0,
    "bytes_in": 0,
    "dropped": {"packets": 0, "bytes": 0, "to": []},
}


@pytest.fixture(scope="module")
def hospital():
    h = Hospital()
    try:
        yield h.start()
    finally:
        h.stop()
    assert not Path(f"/run/netns/{h.ns}").exists()


class TunnelHub:
    """A real hub (local mode) whose site lets `learner7` use the tunnel, with learner7's server
    running: the hub API URL and token that server's kernels hold, and the hub's audit log."""

    USER, OTHER = "learner7", "learner8"

    def __init__(self, url: str, config: dict, api_url: str, server_token: str, clients: dict):
        self.url, self.config, self.api_url = url, config, api_url
        self.server_token, self.clients = server_token, clients
        self.other_token = clients[self.OTHER].token

    def entries(self) -> list:
        """The audit entries of learner7's tunnel sessions, newest first."""
        store = people_site.open_store(siteconfig.validate(self.config))
        try:
            with store.begin() as conn:
                found = store.audit.entries(conn, subject=f"profile {self.USER}")
            assert store.verify_audit() is None
        finally:
            store.close()
        return [e for e in found if e.action == tunnel_sessions.ACTION]

    def post(self, token: str, body) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.post(self.api_url + "/mnss/tunnel-sessions", json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def hub(tmp_path_factory, hospital):
    work = tmp_path_factory.mktemp("tunnel-hub")
    state = work / "state"
    state.mkdir(mode=0o700)
    create_accounts(state, (TunnelHub.USER, TunnelHub.OTHER))
    allow = [{"to": f"{hospital.pacs}/32", "ports": [DICOM]}]
    config = site_config(state, tunnel={"enabled": True, "users": [TunnelHub.USER], "allow": allow})
    with running_hub(work, config) as (url, _, _):
        admin = HubClient(url, timeout=60)
        admin.login("admin", "admin-test-password")
        admin.create_user(TunnelHub.OTHER)  # learner7 exists already: the site's tunnel role names them
        clients = logged_in(url, (TunnelHub.USER, TunnelHub.OTHER))
        for name, client in clients.items():
            client.start_server(name)
        said = clients[TunnelHub.USER].execute(
            TunnelHub.USER, "import os; print(os.environ['JUPYTERHUB_API_URL'], os.environ['JUPYTERHUB_API_TOKEN'])"
        )
        api_url, token = said.stdout.split()
        yield TunnelHub(url, config, api_url, token, clients)


@pytest.fixture
def audit_dir():
    """A folder the unprivileged account may write its audit log in (pytest's tmp_path is root's)."""
    path = Path(tempfile.mkdtemp(prefix="mnss-tunnel-audit-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _tun_for_everyone(tmp_path: Path) -> Path | None:
    """None when /dev/net/tun is open to every user (Debian's default), else a 0666 node of the same
    device for the lab's command alone (this machine's is 0600)."""
    if os.stat("/dev/net/tun").st_mode & 0o006 == 0o006:
        return None
    tun = tmp_path / "tun"
    os.mknod(tun, 0o666 | stat.S_IFCHR, os.stat("/dev/net/tun").st_rdev)
    tun.chmod(0o666)
    return tun


def _lab(hospital: Hospital, env: dict, account: str | None, tmp_path: Path) -> dict:
    """Run tunnel_lab.py as `account` (None: root) with `env`; what it printed, and its log."""
    args = (SCRIPT, hospital.pacs, hospital.other, str(DICOM), str(HL7))
    base = unprivileged.env(**env)
    cmd = unprivileged.argv(*args, account=account) if account else [sys.executable, *args]
    tun = _tun_for_everyone(tmp_path) if account else None
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


def _granted(hospital: Hospital, hub: TunnelHub, audit: Path) -> dict:
    """The environment learner7's server gets from the hub: the PACS's DICOM port allowed at
    0.5 Mbit/s, its audit file, and the hub API with the server's own token."""
    return {
        "MNSS_TUNNEL_ALLOW": f"{hospital.pacs}/32:{DICOM}",
        "MNSS_TUNNEL_RATE_MBIT": "0.5",
        "MNSS_TUNNEL_AUDIT_LOG": str(audit),
        "JUPYTERHUB_USER": TunnelHub.USER,
        "JUPYTERHUB_API_URL": hub.api_url,
        "JUPYTERHUB_API_TOKEN": hub.server_token,
    }


@pytest.mark.slow
@pytest.mark.parametrize("as_nobody", [False, True], ids=["root", "rootless"])
def test_the_gateway_reaches_the_allowed_peer_and_port_only(hospital, hub, tmp_path, audit_dir, as_nobody):
    """C-ECHO and C-STORE pass to the allowed PACS port, from a modality behind a router and from the
    gateway itself; the HL7 port of the same peer and another peer are dropped; the session (user,
    destinations, bytes, drops) is in the hub's audit log, sent with the token of learner7's server,
    and in the audit file; slirp4netns is gone once the lab stops."""
    if as_nobody and unprivileged.why_not():
        pytest.skip(unprivileged.why_not())
    audit = audit_dir / "audit" / "tunnel.jsonl"
    hospital.forget_stored()
    env = _granted(hospital, hub, audit)
    recorded_before = len(hub.entries())
    out = _lab(hospital, env, unprivileged.ACCOUNT if as_nobody else None, tmp_path)

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
    assert record["user"] == TunnelHub.USER
    assert record["allowed"] == [f"{hospital.pacs}/32:{DICOM}"]
    assert record["connections"] == [{"to": f"{hospital.pacs}/32:{DICOM}", "opened": 3}]
    assert record["bytes_out"] > 30_000 and record["bytes_in"] > 0
    assert record["dropped"]["packets"] >= 3
    assert record["dropped"]["to"] == sorted([hospital.pacs, hospital.other])
    assert not out["slirp_alive"]

    entries = hub.entries()
    assert len(entries) == recorded_before + 1, out["log"][-2000:]
    assert (entries[0].actor, entries[0].subject) == (TunnelHub.USER, f"profile {TunnelHub.USER}")
    assert entries[0].detail == tunnel_sessions.detail(record)


@pytest.mark.slow
@pytest.mark.parametrize("own_account", [False, True], ids=["nobody", "learner-account"])
def test_a_learner_who_empties_the_gateways_rules_reaches_nothing_more(hospital, hub, tmp_path, audit_dir, own_account):
    """Rootless, the learner is root in their own lab and can take the gateway's rules away. As
    uid nobody (the control: no rules of the host hold it) the lab then reaches the refused port
    and peer, so the gateway alone is no boundary. As learner7's own account, whose server the hub
    holds to the host's firewall chain, the same lab still reaches the allowed PACS port only."""
    if unprivileged.why_not():
        pytest.skip(unprivileged.why_not())
    account = system_accounts.account_name(ACCOUNT_PREFIX, TunnelHub.USER) if own_account else unprivileged.ACCOUNT
    env = {**_granted(hospital, hub, audit_dir / "audit.jsonl"), tunnel_lab.DEFEAT: "1"}
    out = _lab(hospital, env, account, tmp_path)

    assert out["rootless"] and out["echo"]["ok"], out
    defeated = out["defeated"]
    assert "mnss-tunnel" not in defeated["rules_left"], defeated["rules_left"]  # the gateway's rules are gone
    reached = {what: defeated[what]["ok"] for what in ("other_port", "other_peer", "from_gateway")}
    if own_account:
        assert reached == {"other_port": False, "other_peer": False, "from_gateway": False}, defeated
    else:
        assert reached == {"other_port": True, "other_peer": True, "from_gateway": True}, defeated


@pytest.mark.slow
def test_the_learners_servers_reach_beyond_this_machine_only_where_the_site_allows(hospital, hub):
    """From their own kernels (the servers run as their own accounts): learner7, whom the site lets
    use the tunnel, reaches the PACS's DICOM port and nothing else of the hospital; learner8 reaches
    none of it. The hospital answers all three from the host (test_the_hospital_answers_from_the_host)."""
    code = (
        "import json\nfrom mnss_kernel.services.registry import probe\n"
        f"print(json.dumps([probe('dicom-echo')({hospital.pacs!r}, {DICOM}, timeout=3)['ok'], "
        f"probe('hl7')({hospital.pacs!r}, {HL7}, timeout=2)['ok'], "
        f"probe('dicom-echo')({hospital.other!r}, {DICOM}, timeout=2)['ok']]))"
    )
    reached = {
        name: json.loads(client.execute(name, code).stdout.splitlines()[-1]) for name, client in hub.clients.items()
    }
    assert reached == {TunnelHub.USER: [True, False, False], TunnelHub.OTHER: [False, False, False]}


@pytest.mark.slow
def test_the_hub_records_only_its_owners_well_formed_sessions(hub):
    """learner7's server token may not report a session as learner8, nor a malformed one (the wrong
    field is named); learner8, whom the site does not let use the tunnel, may report nothing, and a
    request without a token neither; none of them is written."""
    before = len(hub.entries())
    as_other = hub.post(hub.server_token, {**SESSION, "user": TunnelHub.OTHER})
    assert as_other.status_code == 403 and "is not this token's user" in as_other.json()["message"]
    malformed = hub.post(hub.server_token, {**SESSION, "bytes_out": -5})
    assert malformed.status_code == 400 and "bytes_out: -5 is less than the minimum of 0" in malformed.json()["message"]
    not_permitted = hub.post(hub.other_token, {**SESSION, "user": TunnelHub.OTHER})
    assert not_permitted.status_code == 403 and "may not report" in not_permitted.json()["message"]
    assert hub.post("", SESSION).status_code == 403
    assert len(hub.entries()) == before
    assert hub.post(hub.server_token, SESSION).status_code == 201  # the control: the same body, whole
    assert len(hub.entries()) == before + 1


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


@pytest.mark.slow
@pytest.mark.browser
def test_the_admin_reads_the_session_on_the_audit_page(hub):
    """The hub admin finds learner7's sessions on the audit page, details named in Chinese, then
    in English, and the chain verifies."""
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (Debian package chromium)")
    seq = hub.entries()[0].seq if hub.entries() else None
    if seq is None:  # run alone: one session of its own, as learner7's server reports it
        assert hub.post(hub.server_token, SESSION).status_code == 201
        seq = hub.entries()[0].seq
    with browser_page() as page:
        sign_in(page, hub.url, "admin", "admin-test-password")
        page.goto(hub.url + f"hub/mnss-admin/audit?q={TunnelHub.USER}&verify=1")
        row = page.locator(f'#mnss-audit tr[data-seq="{seq}"]')
        assert row.get_attribute("data-action") == "tunnel_session"
        text = row.inner_text()
        for shown in ("使用虚实通道", TunnelHub.USER, "允许的去向", "发出字节", "被拦截的去向"):
            assert shown in text, (shown, text)
        assert page.locator("#mnss-audit-status").get_attribute("data-broken") == ""
        screenshot(page, "admin-audit-tunnel-session")
        page.click("#mnss-lang-switch")
        text = row.inner_text()
        assert "used the virtual-real tunnel" in text and "bytes out" in text and "dropped destinations" in text
        screenshot(page, "admin-audit-tunnel-session-en")
