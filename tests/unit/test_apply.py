"""Applying the site config sets the JupyterHub traits it promises, and nothing else happens."""

import pytest
from traitlets.config import Config

from mnss_hub import apply, siteconfig


def applied(data=None):
    c = Config()
    apply.apply_site_config(c, siteconfig.validate(data or {}))
    return c


def test_local_mode_wires_our_spawner_and_authenticator(tmp_path):
    c = applied({"hub": {"state_dir": str(tmp_path)}})
    assert c.JupyterHub.spawner_class == "mnss-local"
    assert c.JupyterHub.authenticator_class == "mnss-password"
    assert c.PasswordAuthenticator.accounts_db == str(tmp_path / "accounts.sqlite")
    assert c.LocalLabSpawner.homes_dir == str(tmp_path / "homes")
    assert c.LocalLabSpawner.cmd[0].endswith("/bin/jupyterhub-singleuser")
    assert not tmp_path.joinpath("homes").exists(), "apply must not touch the disk"


def test_hub_addresses_and_state():
    c = applied({"hub": {"ip": "127.0.0.1", "port": 9000, "base_url": "/lab/", "state_dir": "/srv/m"}})
    assert c.JupyterHub.bind_url == "http://127.0.0.1:9000/lab/"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.db_url == "sqlite:////srv/m/jupyterhub.sqlite"
    assert c.JupyterHub.cookie_secret_file == "/srv/m/jupyterhub_cookie_secret"
    assert c.JupyterHub.template_vars["mnss_mode"] == "local"


def test_explicit_db_url_wins():
    assert applied({"hub": {"db_url": "postgresql://hub@db/hub"}}).JupyterHub.db_url == "postgresql://hub@db/hub"


def test_limits_and_admins():
    c = applied({"spawn": {"concurrent_spawn_limit": 3, "active_server_limit": 7, "start_timeout": 30},
                 "hub": {"admin_users": ["root1", "ops"]}})
    assert c.JupyterHub.concurrent_spawn_limit == 3
    assert c.JupyterHub.active_server_limit == 7
    assert c.Spawner.start_timeout == 30
    assert c.Authenticator.admin_users == {"root1", "ops"}


@pytest.mark.parametrize("mode", ["docker", "swarm"])
def test_modes_not_in_this_release_refuse_clearly(mode):
    with pytest.raises(siteconfig.ConfigError, match=f"mode: '{mode}' is known to the schema but not provided"):
        applied({"mode": mode})


def test_extra_config_files_in_name_order(tmp_path):
    for name in ("20-b.py", "10-a.py", "notes.txt"):
        (tmp_path / name).write_text("")
    site = siteconfig.validate({"hub": {"extra_config_dir": str(tmp_path)}})
    assert [p.name for p in apply.extra_config_files(site)] == ["10-a.py", "20-b.py"]
    assert apply.extra_config_files(siteconfig.validate({})) == []


def test_recommender_section_adds_service_scopes_and_server_settings():
    c = applied({"recommender": {"enabled": True, "catalog": "/srv/courses", "port": 9999, "flush_seconds": 5},
                 "hub": {"state_dir": "/srv/m"}})
    (service,) = c.JupyterHub.services
    assert service["name"] == "mnss-recommender" and service["url"] == "http://127.0.0.1:9999"
    assert "--db-url=sqlite:////srv/m/recommender.sqlite" in service["command"]
    assert "access:services!service=mnss-recommender" in c.Spawner.server_token_scopes
    assert c.Spawner.environment["MNSS_RECOMMENDER_URL"] == "http://127.0.0.1:9999/services/mnss-recommender/api/events"
    assert c.JupyterHub.extra_user_scopes == ["access:services!service=mnss-recommender"]


def test_recommender_needs_a_catalog():
    with pytest.raises(siteconfig.ConfigError, match="recommender.catalog: empty, and so is courses.catalog"):
        applied({"recommender": {"enabled": True}})


def test_disabled_recommender_sets_nothing():
    assert "services" not in applied().JupyterHub
