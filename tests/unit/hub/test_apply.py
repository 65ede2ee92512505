"""Applying the site config sets the JupyterHub traits it promises, and nothing else happens."""

import os
from pathlib import Path

import pytest
from jupyterhub.app import JupyterHub
from jupyterhub.spawner import Spawner
from traitlets.config import Config

from mnss_hub import apply, siteconfig
from mnss_hub.auth import PasswordAuthenticator
from mnss_hub.spawners import LabServerSettings
from mnss_recommender.service import DB_URL_ENV as RECOMMENDER_DB_ENV

OFF = {"culler": {"enabled": False}, "courses": {"enabled": False}, "recommender": {"enabled": False}}


def applied(data=None):
    c = Config()
    apply.apply_site_config(c, siteconfig.validate({**OFF, **(data or {})}))
    return c


def test_local_mode_wires_our_spawner_and_authenticator(tmp_path):
    c = applied({"hub": {"state_dir": str(tmp_path)}})
    assert c.JupyterHub.spawner_class == "mnss-local"
    assert c.JupyterHub.authenticator_class == "mnss-password"
    assert c.PasswordAuthenticator.accounts_url == f"sqlite:///{tmp_path / 'people.sqlite'}"
    assert c.PasswordAuthenticator.legacy_accounts_file == str(tmp_path / "accounts.sqlite")
    assert c.LocalLabSpawner.homes_dir == str(tmp_path / "homes")
    assert c.LocalLabSpawner.cmd[0].endswith("/bin/jupyterhub-singleuser")
    assert not tmp_path.joinpath("homes").exists(), "apply must not touch the disk"


def test_local_servers_never_see_the_course_sources(tmp_path):
    """Every course's source/ (with its hidden tests) is hidden from the servers: in the site's
    catalog, or in every installed one when none is named."""
    given = applied({"courses": {"enabled": False, "catalog": str(tmp_path / "catalog")}})
    assert given.LocalLabSpawner.hidden_paths == [str(tmp_path / "catalog" / "*" / "source")]
    installed = applied().LocalLabSpawner.hidden_paths
    assert str(Path(apply.__file__).resolve().parents[2] / "courses" / "*" / "source") in installed


def test_the_no_isolation_banner_shows_only_where_servers_share_the_hubs_user(monkeypatch):
    monkeypatch.setattr(apply.os, "geteuid", lambda: 0)
    assert applied().JupyterHub.template_vars["mnss_local_isolated"] is True
    assert applied().LocalLabSpawner.own_accounts is True
    shared = applied({"local": {"own_accounts": False}})
    assert shared.LocalLabSpawner.own_accounts is False
    assert shared.JupyterHub.template_vars["mnss_local_isolated"] is False
    monkeypatch.setattr(apply.os, "geteuid", lambda: 1000)
    assert applied().JupyterHub.template_vars["mnss_local_isolated"] is False


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
    c = applied(
        {
            "spawn": {"concurrent_spawn_limit": 3, "active_server_limit": 7, "start_timeout": 30},
            "hub": {"admin_users": ["root1", "ops"]},
        }
    )
    assert c.JupyterHub.concurrent_spawn_limit == 3
    assert c.JupyterHub.active_server_limit == 7
    assert c.Spawner.start_timeout == 30
    assert c.Authenticator.admin_users == {"root1", "ops"}


@pytest.mark.parametrize(
    "mode, cores, expected",
    [("local", 1, 4), ("docker", 2, 8), ("docker", 4, 16), ("local", 64, 20), ("swarm", 2, 20)],
)
def test_an_automatic_spawn_limit_fits_the_cores_that_start_the_servers(mode, cores, expected):
    site = siteconfig.validate({**OFF, "mode": mode})
    assert site["spawn"]["concurrent_spawn_limit"] == 0  # the default: automatic
    assert apply.concurrent_spawn_limit(site, cores) == expected
    site["spawn"]["concurrent_spawn_limit"] = 50
    assert apply.concurrent_spawn_limit(site, cores) == 50


def test_the_hub_gets_the_automatic_spawn_limit_of_its_own_machine():
    assert applied().JupyterHub.concurrent_spawn_limit == min(20, 4 * len(os.sched_getaffinity(0)))


@pytest.mark.parametrize("section, table", [("spawn", apply.SPAWN_TRAITS), ("lockout", apply.LOCKOUT_TRAITS)])
def test_every_copied_key_lands_on_its_trait(section, table):
    """Each key of the table, set to a value of its own, reaches the trait the table names."""
    given = {key: 20 + n for n, key in enumerate(table)} | ({"default_url": "/lab"} if section == "spawn" else {})
    c = applied({"spawn": given} if section == "spawn" else {"auth": {"lockout": given}})
    classes = {"JupyterHub": JupyterHub, "Spawner": Spawner, "LabServerSettings": LabServerSettings}
    classes["PasswordAuthenticator"] = PasswordAuthenticator
    for key, target in table.items():
        cls, trait = target.split(".")
        assert c[cls][trait] == given[key], target
        assert classes[cls].class_traits(config=True).get(trait), f"{target} is not a configurable trait"


def test_swarm_mode_uses_the_docker_settings_as_services():
    c = applied(
        {
            "mode": "swarm",
            "docker": {"mem_limit": "1G", "cpu_limit": 0.5, "pids_limit": 300, "network": "labnet"},
            "swarm": {"constraints": ["node.labels.mnss==lab"]},
        }
    )
    assert c.JupyterHub.spawner_class == "mnss-swarm" and c.JupyterHub.cleanup_servers is False
    spawner = c.SwarmLabSpawner
    assert (spawner.mem_limit, spawner.cpu_limit, spawner.pids_limit) == ("1G", 0.5, 300)
    assert spawner.network_name == "labnet"
    assert c.SwarmLabSpawner.extra_placement_spec == {"constraints": ["node.labels.mnss==lab"]}
    assert c.JupyterHub.hub_ip == "172.29.0.1"


def test_docker_mode_isolates_and_limits():
    c = applied(
        {
            "mode": "docker",
            "docker": {
                "mem_limit": "1G",
                "cpu_limit": 0.5,
                "pids_limit": 300,
                "subnet": "10.77.0.0/16",
                "network": "labnet",
            },
            "spawn": {"max_topology_nodes": 40},
        }
    )
    assert c.JupyterHub.spawner_class == "mnss-docker"
    assert c.JupyterHub.cleanup_servers is False  # servers outlive a hub restart
    assert c.JupyterHub.hub_ip == "10.77.0.1"  # the user network's host side, not every interface
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")  # never reachable from containers
    spawner = c.DockerLabSpawner
    assert (spawner.mem_limit, spawner.cpu_limit, spawner.pids_limit) == ("1G", 0.5, 300)
    assert spawner.network_name == "labnet" and spawner.pull_policy == "never"
    assert spawner.allowed_images == []  # only the configured image; a request for another is refused
    assert c.LabServerSettings.max_topology_nodes == 40


def test_docker_mode_lists_the_default_image_among_allowed_ones():
    c = applied({"mode": "docker", "docker": {"image": "lab:1", "allowed_images": ["lab:2"]}})
    assert c.DockerLabSpawner.allowed_images == ["lab:1", "lab:2"]


def test_docker_mode_services_listen_where_containers_reach_them():
    c = applied(
        {
            "mode": "docker",
            "courses": {"enabled": True, "catalog": "courses", "exchange_port": 9123},
            "recommender": {"enabled": True, "port": 9124},
        }
    )
    urls = {s["name"]: s.get("url") for s in c.JupyterHub.services}
    assert urls["mnss-exchange"] == "http://172.29.0.1:9123"
    assert urls["mnss-recommender"] == "http://172.29.0.1:9124"
    assert c.LabServerSettings.exchange_url.startswith("http://172.29.0.1:9123/")


def test_bad_docker_subnet_is_named():
    with pytest.raises(siteconfig.ConfigError, match="docker.subnet: '10.0.0.1/8' is not a valid ipv4 network"):
        applied({"mode": "docker", "docker": {"subnet": "10.0.0.1/8"}})


def test_idle_culler_service_has_only_the_scopes_it_needs():
    c = applied({"culler": {"timeout": 600, "every": 60, "activity_interval": 30}})
    service = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=600" in service["command"] and "--cull-every=60" in service["command"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert sorted(role["scopes"]) == ["delete:servers", "list:users", "read:servers", "read:users:activity"]
    assert c.Spawner.environment["JUPYTERHUB_ACTIVITY_INTERVAL"] == "30"
    assert not any(
        s["name"] == "idle-culler" for s in applied({"culler": {"enabled": False}}).JupyterHub.get("services", [])
    )


def test_extra_config_files_in_name_order(tmp_path):
    for name in ("20-b.py", "10-a.py", "notes.txt"):
        (tmp_path / name).write_text("")
    site = siteconfig.validate({"hub": {"extra_config_dir": str(tmp_path)}})
    assert [p.name for p in apply.extra_config_files(site)] == ["10-a.py", "20-b.py"]
    assert apply.extra_config_files(siteconfig.validate({})) == []


def test_recommender_section_adds_service_scopes_and_server_settings():
    c = applied(
        {
            "recommender": {
                "enabled": True,
                "catalog": "/srv/courses",
                "port": 9999,
                "flush_seconds": 5,
                "tune_seconds": 12,
            },
            "hub": {"state_dir": "/srv/m"},
        }
    )
    (service,) = c.JupyterHub.services
    assert service["name"] == "mnss-recommender" and service["url"] == "http://127.0.0.1:9999"
    # in the environment, which only the service's own account reads; a command line every account can
    assert service["environment"][RECOMMENDER_DB_ENV] == "sqlite:////srv/m/recommender.sqlite"
    assert not any("db-url" in part or "sqlite" in part for part in service["command"]), service["command"]
    assert "--tune-seconds=12" in service["command"]
    assert "--RecommenderService.log_level=INFO" in service["command"], "the hub's log says how each retrain went"
    assert "access:services!service=mnss-recommender" in c.Spawner.server_token_scopes
    assert c.Spawner.environment["MNSS_RECOMMENDER_URL"] == "http://127.0.0.1:9999/services/mnss-recommender/"
    assert c.JupyterHub.extra_user_scopes == ["access:services!service=mnss-recommender"]


def test_recommender_needs_a_catalog():
    with pytest.raises(siteconfig.ConfigError, match="recommender.catalog: empty, and so is courses.catalog"):
        applied({"recommender": {"enabled": True}})


def test_disabled_recommender_sets_nothing():
    assert "services" not in applied().JupyterHub


def test_every_service_the_hub_starts_ends_with_the_hub():
    """Exchange, formgraders, recommender and culler run under mnss_foundation.with_parent, so a
    hub killed with -9 leaves none of them holding its port."""
    site = siteconfig.complete(
        siteconfig.validate(
            {"recommender": {"enabled": True}, "culler": {"enabled": True}, "hub": {"state_dir": "/srv/m"}}
        )
    )
    c = Config()
    apply.apply_site_config(c, site)
    started = [s for s in c.JupyterHub.services if "command" in s]
    assert {"mnss-exchange", "mnss-recommender", "idle-culler"} <= {s["name"] for s in started}
    assert any(s["name"].startswith("formgrader-") for s in started)
    for service in started:
        assert service["command"][1:3] == ["-m", "mnss_foundation.with_parent"], service["name"]


def test_record_pages_come_with_the_recommender():
    rec = {"enabled": True, "catalog": "/srv/courses", "port": 9999}
    c = applied({"recommender": rec, "hub": {"state_dir": "/srv/m"}})
    patterns = [h[0] for h in c.JupyterHub.extra_handlers]
    assert patterns[:2] == [r"/record", r"/record/export\.(csv|xlsx)"] and r"/record/institution" in patterns
    source = c.JupyterHub.extra_handlers[0][2]["source"]
    assert source.api_url == "http://127.0.0.1:9999/services/mnss-recommender/" and source.service == "mnss-recommender"
    assert source.key_file == "/srv/m/certificate.key" and c.JupyterHub.template_vars["mnss_record"] is True
    bare = [h[0] for h in applied().JupyterHub.extra_handlers]
    assert not any(p.startswith("/record") for p in bare)  # no recommender, no record pages


def test_institution_admins_are_given_to_the_people_pages_and_must_name_a_known_institution():
    c = applied({"accounts": {"institution_admins": {"li.admin": "示例医院"}}})
    assert c.PasswordAuthenticator.people_site["accounts"]["institution_admins"] == {"li.admin": "示例医院"}
    assert c.JupyterHub.template_vars["mnss_institution_admins"](None) == ["li.admin"]
    with pytest.raises(siteconfig.ConfigError, match="accounts.institution_admins.li.admin: '不存在医院'"):
        applied({"accounts": {"institution_admins": {"li.admin": "不存在医院"}}})


def test_the_hub_waits_for_every_service_it_starts_side_by_side():
    """The embedded default starts the exchange, the recommender and a formgrader per course at
    once: each gets the same long start timeout, or a slow one on a busy machine stops the hub."""
    courses = {"enabled": True, "catalog": "courses", "members": [{"course": "hospital-lan", "instructors": ["t"]}]}
    c = applied({"courses": courses, "recommender": {"enabled": True}})
    waited = {s["name"]: s.get("timeout") for s in c.JupyterHub.services if s.get("url")}
    assert {"mnss-exchange", "mnss-recommender", "formgrader-hospital-lan"} <= set(waited)
    assert set(waited.values()) == {apply.SERVICE_START_TIMEOUT}


def test_server_pages_see_labs_only_in_local_mode():
    for mode, visible in (("local", True), ("docker", False), ("swarm", False)):
        c = Config()
        apply.apply_server_pages(c, {"mode": mode})
        (pattern, _, kw), *_ = c.JupyterHub.extra_handlers
        assert pattern == r"/mnss-admin/servers" and kw == {"labs_visible": visible}


def test_workbench_pages_are_always_on():
    patterns = [h[0] for h in applied().JupyterHub.extra_handlers]
    assert {r"/research/?", r"/engineering/?", r"/mnss-uploads/([0-9a-f]{32})"} <= set(patterns)
