"""The tunnel's pure parts: the grant read from the hub's settings, the refusal without one, the
gateway's rules, and the audit record read back from the rule counters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mnss_foundation.server_settings import ServerSettings
from mnss_kernel.runtime import capabilities, commands, registry, tunnel
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.runtime.shell import EngineError
from mnss_kernel.topology import Topology, TopologyError

LAB = {
    "nodes": [{"name": "m1", "kind": "modality"}, {"name": "gw1", "kind": "gateway"}],
    "links": [{"a": "m1", "b": "gw1"}],
}


@pytest.fixture
def no_grant(monkeypatch):
    for name in ("MNSS_TUNNEL_ALLOW", "MNSS_TUNNEL_RATE_MBIT", "MNSS_TUNNEL_AUDIT_LOG", "JUPYTERHUB_USER"):
        monkeypatch.delenv(name, raising=False)


def test_the_allow_list_is_read_as_prefix_and_port_pairs():
    assert tunnel.parse_allow("10.20.0.0/24:104,11112  192.0.2.7:2575") == (
        ("10.20.0.0/24", 104),
        ("10.20.0.0/24", 11112),
        ("192.0.2.7/32", 2575),
    )


@pytest.mark.parametrize("entry", ["10.20.0.0/24", "10.20.0.0/24:", "10.20.0.300/32:104", "10.0.0.0/8:0", "x:1"])
def test_a_bad_allow_entry_is_named_in_both_languages(entry):
    with pytest.raises(EngineError) as err:
        tunnel.parse_allow(f"192.0.2.7/32:104 {entry}")
    assert err.value.code == "tunnel_setting"
    assert "$MNSS_TUNNEL_ALLOW" in err.value.en and repr(entry) in err.value.en
    assert err.value.zh.startswith("虚实通道的设置有误") and repr(entry) in err.value.zh


def test_no_allow_list_means_no_grant_and_the_audit_log_defaults_to_the_home(monkeypatch, tmp_path):
    assert tunnel.grant_from(ServerSettings(), "ann") is None
    monkeypatch.setenv("HOME", str(tmp_path))
    grant = tunnel.grant_from(ServerSettings(tunnel_allow="192.0.2.0/24:104", tunnel_rate_mbit=3), "ann")
    assert grant == tunnel.Grant((("192.0.2.0/24", 104),), 3.0, tmp_path / ".mnss" / "tunnel-audit.jsonl", "ann")


def test_a_lab_with_a_gateway_and_no_grant_is_refused_before_anything_is_built(no_grant, monkeypatch):
    built = []
    monkeypatch.setattr(registry, "sweep", lambda owner: built.append(owner))
    monkeypatch.setattr(capabilities, "missing_for", lambda topo: built.append("checked") or [])
    lab = Lab(Topology.from_dict(LAB), owner="ann")
    with pytest.raises(EngineError) as err:
        lab.start()
    assert err.value.code == "tunnel_disabled"
    assert err.value.en.startswith("node gw1 is a virtual-real gateway, but the site has not enabled the tunnel")
    assert err.value.zh.startswith("节点 gw1 是虚实网关，但本站点未允许您使用虚实通道")
    assert built == [] and not lab.running


def test_a_lab_without_a_gateway_needs_no_grant(no_grant):
    assert tunnel.check_allowed(Topology.from_dict({"nodes": [{"name": "h1", "kind": "host"}]}), "ann") is None


def test_the_grant_names_the_hub_user(no_grant, monkeypatch):
    monkeypatch.setenv("MNSS_TUNNEL_ALLOW", "192.0.2.0/24:104")
    monkeypatch.setenv("JUPYTERHUB_USER", "learner7")
    assert tunnel.check_allowed(Topology.from_dict(LAB), "mnss-u-x").user == "learner7"


def test_one_gateway_per_topology():
    two = {**LAB, "nodes": [*LAB["nodes"], {"name": "gw2", "kind": "gateway"}], "links": LAB["links"]}
    two["links"] = [*LAB["links"], {"a": "m1", "b": "gw2"}]
    with pytest.raises(TopologyError) as err:
        Topology.from_dict(two)
    assert any("at most one virtual-real gateway (2 here)" in p for p in err.value.problems)
    assert "一个拓扑最多只能有一个虚实网关（本拓扑有 2 个）" in err.value.zh


def test_a_missing_slirp4netns_is_named_before_building(monkeypatch):
    monkeypatch.setattr(tunnel.shutil, "which", lambda name: None)
    assert any("slirp4netns" in p for p in capabilities.missing_for(Topology.from_dict(LAB)))


def test_without_root_a_tun_device_closed_to_users_is_named(monkeypatch):
    monkeypatch.setattr(tunnel.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(tunnel.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(tunnel.os, "access", lambda path, mode: path != "/dev/net/tun")
    assert "/dev/net/tun readable and writable by every user (mode 0666" in tunnel.missing()


def test_the_gateway_rules_drop_by_default_and_accept_only_new_tcp_to_the_allowed():
    rules = commands.tunnel_rules("out0", [("192.0.2.0/24", 104)]).splitlines()
    assert ":FORWARD DROP [0:0]" in rules
    allowed = [r for r in rules if "192.0.2.0/24" in r]
    assert [r.split()[1] for r in allowed] == ["FORWARD", "OUTPUT"]  # routed and the gateway's own
    assert all("-o out0 -d 192.0.2.0/24 -p tcp --dport 104 -m conntrack --ctstate NEW" in r for r in allowed)
    for chain in ("FORWARD", "OUTPUT"):  # the last word on the way out is a counted drop
        last = [r for r in rules if r.startswith(f"-A {chain} -o out0")][-1]
        assert last.endswith("-j DROP") and "--rdest --set" in last
    for chain in ("INPUT", "FORWARD"):  # inwards: replies only
        inwards = [r for r in rules if r.startswith(f"-A {chain} -i out0")]
        assert "ESTABLISHED,RELATED" in inwards[0] and inwards[1].endswith("-j DROP")
    assert "-A POSTROUTING -o out0 -j MASQUERADE" in rules


# iptables-save -c as iptables 1.8.9 (nf_tables) writes it, after a session (abridged)
SAVED = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
[9:4000] -A INPUT -i out0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "mnss-tunnel:in" -j ACCEPT
[0:0] -A INPUT -i out0 -m comment --comment "mnss-tunnel:drop-in" -j DROP
[20:6000] -A FORWARD -i out0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "mnss-tunnel:in" -j ACCEPT
[1:60] -A FORWARD -i out0 -m comment --comment "mnss-tunnel:drop-in" -j DROP
[40:50000] -A FORWARD ! -o out0 -j ACCEPT
[30:45000] -A FORWARD -o out0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "mnss-tunnel:out" -j ACCEPT
[2:120] -A FORWARD -d 192.0.2.0/24 -o out0 -p tcp -m tcp --dport 104 -m conntrack --ctstate NEW -m comment --comment "mnss-tunnel:allow:192.0.2.0/24:104" -j ACCEPT
[4:240] -A FORWARD -o out0 -m recent --set --name mnss_tunnel_drop --mask 255.255.255.255 --rdest -m comment --comment "mnss-tunnel:drop-out" -j DROP
[3:180] -A OUTPUT -o out0 -m recent --set --name mnss_tunnel_drop --mask 255.255.255.255 --rdest -m comment --comment "mnss-tunnel:drop-out" -j DROP
COMMIT
"""  # noqa: E501
RECENT = "src=192.0.2.9 ttl: 64 last_seen: 1 oldest_pkt: 2 1, 2\nsrc=198.51.100.3 ttl: 64 last_seen: 1 oldest_pkt: 1\n"


def test_the_session_record_sums_the_counters_and_names_the_dropped_destinations(tmp_path):
    grant = tunnel.Grant((("192.0.2.0/24", 104), ("192.0.2.0/24", 2575)), 10.0, tmp_path / "a.jsonl", "learner7")
    session = tunnel.Tunnel(grant, "lab1", "gw1", "ns", place=None)
    session.started = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    record = tunnel.session_record(session, SAVED, RECENT, datetime(2026, 11, 30, 20, 5, tzinfo=UTC))
    assert record == {
        "event": "tunnel_session",
        "user": "learner7",
        "lab": "lab1",
        "gateway": "gw1",
        "started": "2026-11-30T20:00:00+00:00",
        "ended": "2026-11-30T20:05:00+00:00",
        "allowed": ["192.0.2.0/24:104", "192.0.2.0/24:2575"],
        "rate_mbit": 10.0,
        "connections": [{"to": "192.0.2.0/24:104", "opened": 2}],
        "bytes_out": 45120,
        "bytes_in": 10000,
        "dropped": {"packets": 8, "bytes": 480, "to": ["192.0.2.9", "198.51.100.3"]},
    }


def test_the_audit_log_gets_one_private_json_line_per_session(tmp_path):
    path = tmp_path / "audit" / "tunnel.jsonl"
    tunnel.append_audit(path, {"user": "张三", "bytes_out": 1})
    tunnel.append_audit(path, {"user": "ann", "bytes_out": 2})
    assert [json.loads(line)["user"] for line in path.read_text("utf-8").splitlines()] == ["张三", "ann"]
    assert path.stat().st_mode & 0o777 == 0o600 and Path(path.parent).stat().st_mode & 0o777 == 0o700


def test_routers_reach_beyond_the_lab_through_the_gateway_unless_given_a_default_route():
    from mnss_kernel.topology.plan import plan

    chain = {
        "nodes": [
            {"name": "h1", "kind": "host"},
            {"name": "r1", "kind": "router"},
            {"name": "r2", "kind": "router"},
            {"name": "gw1", "kind": "gateway"},
        ],
        "links": [{"a": "h1", "b": "r1"}, {"a": "r1", "b": "r2"}, {"a": "r2", "b": "gw1"}],
    }
    p = plan(Topology.from_dict(chain))

    def towards(node: str, peer: str) -> str:
        return str(next(i.ip.ip for i in p.interfaces[peer] if i.peer_node == node))

    default = {node: {str(net): str(via) for net, via in p.routes[node]}.get("0.0.0.0/0") for node in p.routes}
    assert default == {"r1": towards("r1", "r2"), "r2": towards("r2", "gw1"), "gw1": None}
    chain["nodes"][1]["routes"] = [{"to": "0.0.0.0/0", "via": towards("r1", "h1")}]
    given = plan(Topology.from_dict(chain)).routes["r1"]
    assert [str(via) for net, via in given if str(net) == "0.0.0.0/0"] == [towards("r1", "h1")]


def test_a_tunnel_that_does_not_come_up_is_named_and_leaves_no_process(monkeypatch, tmp_path):
    monkeypatch.setattr(tunnel, "run", lambda *a, **k: None)  # the rules: no namespace here
    monkeypatch.setattr(tunnel, "READY_TIMEOUT", 2.0)
    said = "open(/dev/net/tun): Permission denied"
    monkeypatch.setattr(tunnel.commands, "slirp", lambda *a: ["sh", "-c", f"echo '{said}'; exit 1"])
    place = type("Place", (), {"pid": None, "userns": False, "in_netns": lambda self, ns, argv: argv})()
    grant = tunnel.Grant((("192.0.2.0/24", 104),), 1.0, tmp_path / "a.jsonl", "ann")
    session = tunnel.Tunnel(grant, "lab1", "gw1", "ns", place)
    with pytest.raises(EngineError) as err:
        session.start()
    assert err.value.en == f"gw1: the tunnel (slirp4netns) did not come up: {said}"
    assert session._slirp.poll() == 1 and session._exit_w is None


class Hub:
    """A stand-in for the hub's tunnel-sessions API on loopback: answers each POST with the next
    status of `answers`, keeping what it was sent."""

    def __init__(self, *answers: int):
        import http.server
        import threading

        hub = self
        self.answers, self.seen = list(answers), []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hub.seen.append((self.path, self.headers["Authorization"], json.loads(body)))
                status = hub.answers.pop(0)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(json.dumps({"seq": 7} if status == 201 else {"message": "no"}).encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.env = {
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{self.server.server_address[1]}/hub/api",
            "JUPYTERHUB_API_TOKEN": "server-token",
        }

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


SESSION = {"event": "tunnel_session", "user": "ann", "lab": "l1"}


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr(tunnel.time, "sleep", lambda _: None)


def test_the_session_goes_to_the_hub_with_the_servers_token(no_wait):
    with Hub(201) as hub:
        assert tunnel.report(SESSION, hub.env) is True
    assert hub.seen == [("/hub/api/mnss/tunnel-sessions", "token server-token", SESSION)]


def test_a_hub_that_is_busy_is_asked_again_and_a_refusal_is_not(no_wait, caplog):
    with Hub(503, 502, 201) as hub:
        assert tunnel.report(SESSION, hub.env) is True
    assert len(hub.seen) == 3
    with Hub(403, 201) as hub:
        assert tunnel.report(SESSION, hub.env) is False
    assert len(hub.seen) == 1
    assert "did not record the tunnel session of lab l1 (403" in caplog.text


def test_outside_a_hub_nothing_is_sent():
    assert tunnel.report(SESSION, {}) is False
