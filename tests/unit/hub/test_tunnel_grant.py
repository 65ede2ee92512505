"""The site's `tunnel` section: checked with every bad key named, off by default, and given to the
servers of the permitted users only (by name or course), as the engine reads it."""

from types import SimpleNamespace

import pytest
from traitlets.config import Config

from mnss_foundation.server_settings import ServerSettings
from mnss_hub import apply, cli, siteconfig
from mnss_hub.spawners import LocalLabSpawner

TUNNEL = {
    "enabled": True,
    "users": ["ann"],
    "courses": ["pacs-ops"],
    "allow": [{"to": "10.20.30.0/24", "ports": [104, 11112]}, {"to": "192.0.2.7", "ports": [2575]}],
    "rate_mbit": 4,
    "audit_log": "/var/log/mnss/tunnel.jsonl",
}


def env_of(tunnel: dict | None, name: str, groups=()) -> dict:
    c = Config()
    site = {"courses": {"enabled": False}, "culler": {"enabled": False}, "recommender": {"enabled": False}}
    if tunnel is not None:
        site["tunnel"] = tunnel
    apply.apply_site_config(c, siteconfig.validate(site))
    user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])
    return LocalLabSpawner(user=user, homes_dir="/nonexistent", config=c).lab_env({})


def test_off_by_default_nobody_is_told_anything():
    assert siteconfig.validate({})["tunnel"]["enabled"] is False
    assert not any(k.startswith("MNSS_TUNNEL") for k in env_of(None, "ann"))
    assert not any(k.startswith("MNSS_TUNNEL") for k in env_of({**TUNNEL, "enabled": False}, "ann"))


def test_a_named_user_and_a_courses_members_get_the_grant_others_do_not():
    ann = ServerSettings.from_env(env_of(TUNNEL, "ann"))
    assert ann.tunnel_allow == "10.20.30.0/24:104,11112 192.0.2.7/32:2575"
    assert ann.tunnel_rate_mbit == 4 and ann.tunnel_audit_log == "/var/log/mnss/tunnel.jsonl"
    for groups in (["pacs-ops-learners"], ["pacs-ops-instructors"]):
        assert env_of(TUNNEL, "bob", groups)["MNSS_TUNNEL_ALLOW"] == ann.tunnel_allow
    assert "MNSS_TUNNEL_ALLOW" not in env_of(TUNNEL, "bob", ["hospital-lan-learners"])
    assert "MNSS_TUNNEL_ALLOW" not in env_of(TUNNEL, "annabel")


@pytest.mark.parametrize(
    ("tunnel", "named"),
    [
        ({"enabeld": True}, "tunnel.enabeld: unknown key"),
        ({"allow": [{"to": "10.20.30.0/24", "port": [104]}]}, "tunnel.allow.0.port: unknown key"),
        ({"allow": [{"to": "10.20.30.0/24", "ports": [70000]}]}, "tunnel.allow.0.ports.0: 70000 is out of range"),
        ({"allow": [{"to": "10.20.30.5/24", "ports": [104]}]}, "tunnel.allow.0.to: '10.20.30.5/24' is not an IPv4"),
        ({"allow": [{"to": "pacs.example", "ports": [104]}]}, "tunnel.allow.0.to: 'pacs.example'"),
        ({"enabled": True}, "tunnel.allow: empty while tunnel.enabled is true"),
        ({"rate_mbit": 0}, "tunnel.rate_mbit"),
    ],
)
def test_check_config_names_a_bad_tunnel_key(tmp_path, capsys, tunnel, named):
    path = tmp_path / "site.yaml"
    path.write_text(siteconfig_yaml({"courses": {"enabled": False}, "tunnel": tunnel}))
    assert cli.main(["--config", str(path), "check-config"]) == 2
    assert named in capsys.readouterr().err


def siteconfig_yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data)


def test_the_permitted_hold_the_scope_to_report_sessions_and_servers_ask_for_it():
    from mnss_hub import tunnel_sessions

    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"tunnel": TUNNEL, "recommender": {"enabled": False}}))
    assert tunnel_sessions.SCOPE in c.JupyterHub.custom_scopes
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "mnss-tunnel")
    assert role["scopes"] == [tunnel_sessions.SCOPE]
    assert role["users"] == ["ann"]
    assert role["groups"] == ["pacs-ops-instructors", "pacs-ops-learners"]
    assert tunnel_sessions.SCOPE in c.Spawner.server_token_scopes
    assert "users:activity!user" in c.Spawner.server_token_scopes  # JupyterHub's own stay
    assert (r"/api/mnss/tunnel-sessions", tunnel_sessions.TunnelSessions) in c.JupyterHub.extra_handlers


def test_with_the_tunnel_off_no_one_may_report_a_session():
    from mnss_hub import tunnel_sessions

    c = Config()
    apply.apply_site_config(c, siteconfig.validate({"recommender": {"enabled": False}}))
    assert tunnel_sessions.SCOPE not in c.JupyterHub.get("custom_scopes", {})
    assert tunnel_sessions.SCOPE not in c.Spawner.get("server_token_scopes", [])
    assert not any(r["name"] == "mnss-tunnel" for r in c.JupyterHub.get("load_roles", []))
