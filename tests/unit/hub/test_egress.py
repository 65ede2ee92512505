"""The host's firewall chains that hold learners to the host and their tunnel destinations: the
rules they are filled with, who gets which, and a refusal that stops a start (the real chains are
exercised in tests/integration/test_tunnel.py and test_tunnel_docker.py)."""

import asyncio
import pwd
from types import SimpleNamespace

import pytest
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets.config import Config

from mnss_hub import apply, egress, siteconfig, spawners


def test_the_chain_opens_loopback_replies_and_the_allowed_then_rejects_the_rest():
    text = egress.rules("iptables", 1234, [("10.20.30.0/24", 104), ("192.0.2.7/32", 2575)])
    assert text.splitlines() == [
        "*filter",
        ":MNSS-EGRESS-1234 - [0:0]",
        "-A MNSS-EGRESS-1234 -o lo -j RETURN",
        "-A MNSS-EGRESS-1234 -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN",
        "-A MNSS-EGRESS-1234 -d 10.20.30.0/24 -p tcp --dport 104 -m conntrack --ctstate NEW -j RETURN",
        "-A MNSS-EGRESS-1234 -d 192.0.2.7/32 -p tcp --dport 2575 -m conntrack --ctstate NEW -j RETURN",
        "-A MNSS-EGRESS-1234 -j REJECT --reject-with icmp-admin-prohibited",
        "COMMIT",
    ]
    assert egress.hook(1234) == ["-m", "owner", "--uid-owner", "1234", "-j", "MNSS-EGRESS-1234"]


def test_ipv6_leaves_through_loopback_only():
    text = egress.rules("ip6tables", 1234, [("10.20.30.0/24", 104)])
    assert "--dport" not in text
    assert text.splitlines()[-2:] == ["-A MNSS-EGRESS-1234 -j REJECT --reject-with icmp6-adm-prohibited", "COMMIT"]


def test_a_refusing_firewall_stops_the_start_with_its_reason(monkeypatch):
    class Refused:
        returncode, stderr = 1, "iptables-restore: line 3 failed"

    monkeypatch.setattr(egress, "_run", lambda argv, stdin=None: Refused())
    with pytest.raises(
        egress.EgressError, match=r"cannot limit the server's network \(iptables\): iptables-restore: line 3"
    ):
        egress.limit(1234)


def test_closed_by_default_and_the_site_can_open_it():
    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"recommender": {"enabled": False}}))
    assert c.LocalLabSpawner.egress_closed is True
    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"local": {"egress": "open"}, "recommender": {"enabled": False}}))
    assert c.LocalLabSpawner.egress_closed is False


def test_a_wrong_egress_value_is_named():
    with pytest.raises(siteconfig.ConfigError, match=r"local\.egress.*half"):
        siteconfig.validate({"local": {"egress": "half"}})


def test_grants_are_read_and_taken_back_as_iptables_prints_them(monkeypatch):
    """iptables (nf_tables) quotes comments: the grant's id is read, and its rule deleted, without them."""
    chain = egress.network_chain("br-0123456789ab")
    printed = [
        f"-N {chain}",
        f"-A {chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        f"-A {chain} -s 172.31.1.2/32 -d 10.0.0.0/24 -p tcp -m tcp --dport 104 -m conntrack --ctstate NEW "
        f'-m comment --comment "mnss-grant:ff7d6ffc6be8" -j RETURN',
        f"-A {chain} -j REJECT --reject-with icmp-admin-prohibited",
    ]
    calls = []

    def run(argv, stdin=None):
        calls.append(argv)
        return SimpleNamespace(returncode=0, stdout="\n".join(printed), stderr="")

    monkeypatch.setattr(egress, "_run", run)
    assert egress.granted_ids("br-0123456789ab") == {"ff7d6ffc6be8"}
    egress.revoke("br-0123456789ab", "ff7d6ffc6be8" + "0" * 52)
    deleted = [argv for argv in calls if "-D" in argv]
    assert deleted == [
        ["iptables", "-w", "-D", chain, "-s", "172.31.1.2/32", "-d", "10.0.0.0/24", "-p", "tcp", "-m", "tcp"]
        + ["--dport", "104", "-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment"]
        + ["mnss-grant:ff7d6ffc6be8", "-j", "RETURN"]
    ]


def test_without_iptables_the_refusal_names_the_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(egress.EgressError, match=r"iptables-restore is not installed \(Debian package iptables\)"):
        egress.limit(1234)
    assert egress.granted_ids("br-0123456789ab") == set()  # reading finds nothing, and does not fail


def test_a_server_whose_rules_the_firewall_refuses_does_not_start(monkeypatch):
    account = pwd.struct_passwd(("mnss-u-ann", "x", 2001, 2001, "", "/run/mnss-home/mnss-u-ann", "/usr/sbin/nologin"))
    started, limited = [], []

    def refuse(uid, allowed):
        limited.append((uid, list(allowed)))
        raise egress.EgressError("cannot limit the server's network (iptables): refused")

    async def start(self):
        started.append(self)

    monkeypatch.setattr(spawners.LocalLabSpawner, "isolated", lambda self: True)
    monkeypatch.setattr(spawners.LocalLabSpawner, "prepare_home", lambda self: None)
    monkeypatch.setattr(spawners.LocalLabSpawner, "ensure_account", lambda self: account)
    monkeypatch.setattr(spawners.egress, "limit", refuse)
    monkeypatch.setattr(SimpleLocalProcessSpawner, "start", start)
    user = SimpleNamespace(name="ann", groups=[], url="/user/ann/")
    spawner = spawners.LocalLabSpawner(user=user, homes_dir="/nonexistent")
    with pytest.raises(egress.EgressError, match="refused"):
        asyncio.run(spawner.start())
    assert limited == [(2001, [])] and started == []
