"""`mnss-hub invite / audit verify / pii rotate-key` on a site config's state dir."""

import csv
import io
import json
import os
import stat

import pytest
from sqlalchemy import text

from mnss_hub import cli, siteconfig
from mnss_hub.people import ADMIN, Actor, invitations as inv, profiles, site

from .conftest import form


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_PII_KEY", raising=False)
    path = tmp_path / "mnss.yaml"
    path.write_text(f"hub: {{state_dir: {tmp_path / 'state'}, port: 9000}}\naccounts: {{invitation_days: 3}}\n")
    return path


def run(config, *args):
    return cli.main(["--config", str(config), *args])


def test_import_list_revoke_export(config, tmp_path, capsys):
    sheet = tmp_path / "people.csv"
    sheet.write_text("姓名,科室\n张三,信息中心\n李四,放射科\n", encoding="utf-8")
    out = tmp_path / "links.csv"
    assert run(config, "invite", "import", str(sheet), "--institution", "示例医院", "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert "Imported 2 invitations" in said and f"Links written to {out}" in said
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    links = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert links[1][6].startswith("http://127.0.0.1:9000/hub/register?code=")
    state = tmp_path / "state"
    assert stat.S_IMODE((state / "pii.key").stat().st_mode) == 0o600
    assert run(config, "invite", "revoke", links[1][5], "--reason", "duplicate") == 0
    assert run(config, "invite", "list") == 0
    listing = capsys.readouterr().out
    assert "revoked" in listing and "open" in listing and "(2 of 2)" in listing
    assert run(config, "invite", "export", "--out", str(tmp_path / "again.xlsx"), "--reason", "resend") == 0
    assert (tmp_path / "again.xlsx").stat().st_size > 0


def test_bad_sheet_names_row_and_column_and_imports_nothing(config, tmp_path, capsys):
    sheet = tmp_path / "people.csv"
    sheet.write_text("姓名,机构\n张三,示例医院\n李四,没有这家医院\n", encoding="utf-8")
    assert run(config, "invite", "import", str(sheet)) == 2
    err = capsys.readouterr().err
    assert "row 3, column B: Institution: is not in the list of institutions" in err
    assert "第 3 行 B 列：机构不在机构列表中" in err
    assert run(config, "invite", "list") == 0
    assert "(0 of 0)" in capsys.readouterr().out
    assert run(config, "invite", "import", str(tmp_path / "people.txt")) == 2
    assert "File: must be .xlsx or .csv" in capsys.readouterr().err


def test_audit_verify_finds_a_modified_entry(config, tmp_path, capsys):
    sheet = tmp_path / "p.csv"
    sheet.write_text("姓名\n张三\n", encoding="utf-8")
    assert run(config, "invite", "import", str(sheet), "--institution", "示例医院") == 0
    assert run(config, "invite", "export", "--out", str(tmp_path / "l.csv"), "--reason", "r") == 0
    assert run(config, "audit", "verify") == 0
    assert "OK: the audit log is intact (2 entries)" in capsys.readouterr().out
    store = site.open_store(siteconfig.load(config))
    with store.begin() as conn:
        conn.execute(text("UPDATE mnss_audit_log SET reason = 'nothing' WHERE seq = 2"))
    store.close()
    assert run(config, "audit", "verify") == 1
    assert "audit log broken at entry 2: changed" in capsys.readouterr().err


def test_rotate_key(config, tmp_path, capsys):
    site_config = siteconfig.load(config)
    store = site.open_store(site_config)
    admin = Actor("admin", ADMIN)
    issued = inv.create_invitation(store, admin, inv.InvitationRequest("示例医院"))
    name = profiles.register(store, issued.code, form()).username
    store.close()
    key_file = tmp_path / "state" / "pii.key"
    before = json.loads(key_file.read_text())
    assert run(config, "pii", "rotate-key") == 0
    assert "Re-encrypted 1 profiles and 1 invitations" in capsys.readouterr().out
    after = json.loads(key_file.read_text())
    assert list(after["keys"]) == [after["current"]] and after["current"] not in before["keys"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    store = site.open_store(site_config)
    assert profiles.reveal(store, admin, name, "mobile", "test") == "+8613812345678"
    store.close()
    assert run(config, "audit", "verify") == 0
    os.chmod(key_file, 0o644)
    assert run(config, "audit", "verify") == 2
    assert "mode 0644: others could read the personal-data key" in capsys.readouterr().err


def test_rotate_key_refused_with_key_in_environment(config, monkeypatch, capsys):
    monkeypatch.setenv("MNSS_PII_KEY", "{}")
    assert run(config, "pii", "rotate-key") == 2
    assert "the key comes from $MNSS_PII_KEY" in capsys.readouterr().err
