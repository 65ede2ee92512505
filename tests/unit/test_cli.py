"""`mnss-hub`: fails fast on bad config, prints a generated admin password exactly once."""

import io
import stat

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


def test_config_reference_lists_every_key():
    text = cli.config_reference(siteconfig.schema())

    def keys(schema, prefix=""):
        for key, prop in schema["properties"].items():
            if prop.get("type") == "object" and "properties" in prop:
                yield f"**{prefix}{key}**"
                yield from keys(prop, f"{prefix}{key}.")
            else:
                yield f"`{prefix}{key}`"

    listed = list(keys(siteconfig.schema()))
    assert "`auth.lockout.after`" in listed
    for key in listed:
        assert key in text


def test_check_config_also_runs_the_apply_checks(tmp_path, capsys):
    path = tmp_path / "mnss.yaml"
    path.write_text("courses: {enabled: false}\nrecommender: {enabled: true}\n")
    assert cli.main(["--config", str(path), "check-config"]) == 2
    assert "recommender.catalog: empty, and so is courses.catalog" in capsys.readouterr().err
