"""`mnss-hub`: fails fast on bad config, prints a generated admin password exactly once."""

import io
import stat
from pathlib import Path

import pytest
import yaml

from mnss_hub import cli, siteconfig


def test_check_config_ok_and_bad(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("hub: {port: 9100}\n")
    assert cli.main(["--config", str(good), "check-config"]) == 0
    assert "mode=local" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("hub: {port: nine}\n")
    assert cli.main(["--config", str(bad), "check-config"]) == 2
    assert "hub.port: 'nine' is a string, expected integer" in capsys.readouterr().err


def test_run_with_bad_config_changes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"hub: {{state_dir: {tmp_path / 'state'}, colour: blue}}\n")
    assert cli.main(["--config", str(bad), "run"]) == 2
    assert "hub.colour: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()


def test_admin_password_generated_once_goes_to_a_private_file_not_the_log(tmp_path):
    """Not a terminal (a service's log): the password is only in state_dir/initial-admin-password (0600)."""
    site = siteconfig.validate({"hub": {"state_dir": str(tmp_path)}})
    cli.prepare_state_dir(site)
    first, second = io.StringIO(), io.StringIO()
    cli.ensure_admins(site, out=first)
    cli.ensure_admins(site, out=second)
    path = tmp_path / "initial-admin-password"
    name, password = path.read_text().split()
    assert name == "admin" and cli._store(site).verify("admin", password)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password not in first.getvalue()
    assert f"one-time password is in {path}" in first.getvalue()
    assert second.getvalue() == ""


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_admin_password_shown_once_on_a_terminal(tmp_path):
    site = siteconfig.validate({"hub": {"state_dir": str(tmp_path)}})
    cli.prepare_state_dir(site)
    out = Terminal()
    cli.ensure_admins(site, out=out)
    password = out.getvalue().split("(shown only now): ")[1].split()[0]
    assert cli._store(site).verify("admin", password)
    assert (tmp_path / "initial-admin-password").read_text() == f"admin {password}\n"


def test_admin_password_from_config(tmp_path):
    site = siteconfig.validate(
        {"hub": {"state_dir": str(tmp_path)}, "auth": {"initial_admin_password": "from-config-pw"}}
    )
    out = io.StringIO()
    cli.ensure_admins(site, out=out)
    assert "from-config-pw" not in out.getvalue()
    assert cli._store(site).verify("admin", "from-config-pw")


def test_check_config_also_runs_the_apply_checks(tmp_path, capsys):
    path = tmp_path / "mnss.yaml"
    path.write_text("courses: {enabled: false}\nrecommender: {enabled: true}\n")
    assert cli.main(["--config", str(path), "check-config"]) == 2
    assert "recommender.catalog: empty, and so is courses.catalog" in capsys.readouterr().err


@pytest.mark.parametrize(
    "settings, clash",
    [
        (
            {"hub": {"port": 8081, "hub_port": 8081}},
            "port 8081 is used by the proxy (hub.port) and by the hub (hub.hub_port)",
        ),
        (
            {"hub": {"port": 8001}},
            "port 8001 is used by the proxy (hub.port) and by the proxy's API (hub.proxy_api_port)",
        ),
        (
            {"recommender": {"enabled": True, "port": 10101}, "courses": {"exchange_port": 10101}},
            "port 10101 is used by service mnss-exchange (courses.exchange_port) and by service mnss-recommender "
            "(recommender.port)",
        ),
        (
            {"recommender": {"enabled": True, "port": 8081}},
            "port 8081 is used by the hub (hub.hub_port) and by service mnss-recommender (recommender.port)",
        ),
        (
            {"recommender": {"enabled": True, "port": 10111}, "courses": {"exchange_port": 10101}},
            "port 10111 is used by service formgrader-",
        ),
    ],
)
def test_clashing_ports_are_refused_by_check_config_and_run_before_any_state(tmp_path, capsys, settings, clash):
    state = tmp_path / "state"
    path = tmp_path / "mnss.yaml"
    settings = {**settings, "hub": {**settings.get("hub", {}), "state_dir": str(state)}}
    path.write_text(yaml.safe_dump(settings))
    assert cli.main(["--config", str(path), "check-config"]) == 2
    assert clash in capsys.readouterr().err
    assert cli.main(["--config", str(path), "run"]) == 2
    assert clash in capsys.readouterr().err
    assert not state.exists(), "run wrote state before refusing the config"


def test_distinct_ports_pass():
    site = siteconfig.validate({"recommender": {"enabled": True}})
    cli.check_applies(siteconfig.complete(site))


def test_run_finds_jupyterhub_config_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found, looked = cli.find_hub_config(None)
    assert found == (Path(__file__).resolve().parents[3] / "jupyterhub_config.py")
    assert looked[0] == tmp_path / "jupyterhub_config.py"
    (tmp_path / "jupyterhub_config.py").write_text("# a site's own\n")
    assert cli.find_hub_config(None)[0] == (tmp_path / "jupyterhub_config.py").resolve()
    assert cli.find_hub_config(str(tmp_path / "missing.py"))[0] is None
    assert cli.build_parser().parse_args(["run"]).jupyterhub_config is None


@pytest.mark.parametrize(
    "settings, asked",
    [
        ({"mode": "local", "courses": {"enabled": False}}, True),  # learners' own accounts
        ({"mode": "docker", "courses": {"enabled": True}}, True),  # formgraders' own accounts
        ({"mode": "docker", "courses": {"enabled": False}}, False),
        ({"mode": "local", "local": {"own_accounts": False}, "courses": {"enabled": False}}, False),
    ],
)
def test_a_machine_refusing_mount_namespaces_is_named_before_the_hub_starts(monkeypatch, settings, asked):
    """The probe's own words and the way out reach the sysadmin, in both languages, instead of each
    learner's spawn timing out; only when something would run as its own account."""
    site = siteconfig.validate(settings)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        cli.system_accounts, "mount_namespace_refusal", lambda: "unshare failed: Operation not permitted"
    )
    refused = cli.own_mounts_refused(site)
    if not asked:
        assert refused is None
        return
    assert "unshare failed: Operation not permitted" in refused and "CAP_SYS_ADMIN" in refused
    assert "本机不允许私有挂载命名空间" in refused and "refuses private mount namespaces" in refused
    assert ("local.own_accounts: false" in refused) == (settings["mode"] == "local")
    monkeypatch.setattr(cli.system_accounts, "mount_namespace_refusal", lambda: None)
    assert cli.own_mounts_refused(site) is None


def test_upgrade_db_brings_an_earlier_hub_database_to_the_current_schema(tmp_path, capsys):
    """`mnss-hub upgrade-db` (Ansible's upgrade step) on a hub database one JupyterHub migration
    behind: at head afterwards, a backup beside it, and the URL taken from the site config."""
    import sqlite3
    import subprocess
    import sys

    from jupyterhub import dbutil, orm

    state = tmp_path / "state"
    state.mkdir()
    database = state / "jupyterhub.sqlite"
    url = f"sqlite:///{database}"
    orm.new_session_factory(url)  # a hub database at JupyterHub's current schema ...
    alembic = str(Path(sys.executable).parent / "alembic")
    with dbutil._temp_alembic_ini(url) as ini:  # ... taken one migration back, as an earlier version left it
        subprocess.run([alembic, "-c", ini, "downgrade", "-1"], check=True, capture_output=True)

    def revision() -> str:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]

    behind = revision()
    site = tmp_path / "mnss.yaml"
    site.write_text(f"hub: {{state_dir: {state}}}\n")
    assert cli.main(["--config", str(site), "upgrade-db"]) == 0
    assert "current schema" in capsys.readouterr().out
    assert revision() != behind and orm.check_db_revision(orm.new_session_factory(url)().get_bind()) is None
    assert any(p.name.startswith("jupyterhub.sqlite.20") for p in state.iterdir())  # the backup, dated
