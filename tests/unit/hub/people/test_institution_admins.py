"""Institution admins granted and revoked without a restart: audited, refusals named in both languages."""

from types import SimpleNamespace

import pytest

from mnss_hub import cli
from mnss_hub.accounts import AccountStore
from mnss_hub.people import NotAllowed, NotFound, institution_admins as ia, site
from mnss_hub.people.store import MEMBER, Actor
from mnss_hub.people_pages import InstitutionAdminNames, PeoplePages

from .conftest import HOSPITAL

CONFIGURED = {"wang.admin": "第二医院"}


def users(*names):
    return lambda name: name in names


def test_grant_is_audited_and_makes_the_account_an_institution_admin(store, admin):
    done = ia.grant(store, admin, "li.wei", HOSPITAL, is_user=users("li.wei"), configured=CONFIGURED)
    assert (done.username, done.institution, done.granted_by) == ("li.wei", HOSPITAL, "admin")
    assert ia.institution_of(store.engine, "li.wei") == HOSPITAL
    ia.grant(store, admin, "li.wei", "第二医院", is_user=users("li.wei"), configured=CONFIGURED)
    assert ia.institution_of(store.engine, "li.wei") == "第二医院", "a second grant replaces the first"
    assert [(a.username, a.institution, a.source) for a in ia.list_all(store, CONFIGURED)] == [
        ("li.wei", "第二医院", ia.GRANTED),
        ("wang.admin", "第二医院", ia.CONFIG),
    ]
    ia.revoke(store, admin, "li.wei", configured=CONFIGURED)
    assert ia.institution_of(store.engine, "li.wei") is None
    with store.begin() as conn:
        entries = store.audit.entries(conn, subject="li.wei")
    assert [(e.action, e.detail) for e in reversed(entries)] == [
        ("grant_institution_admin", {"institution": HOSPITAL}),
        ("grant_institution_admin", {"institution": "第二医院", "replaces": HOSPITAL}),
        ("revoke_institution_admin", {"institution": "第二医院"}),
    ]
    assert store.verify_audit() is None


def test_refusals_name_what_is_wrong_and_change_nothing(store, admin):
    with pytest.raises(NotFound) as err:
        ia.grant(store, admin, "nobody", HOSPITAL, is_user=users("li.wei"), configured=CONFIGURED)
    assert err.value.messages("en") == ["no account 'nobody'"]
    assert err.value.messages("zh-CN") == ["找不到账号 'nobody'"]
    with pytest.raises(NotFound) as err:
        ia.grant(store, admin, "li.wei", "不存在医院", is_user=users("li.wei"), configured=CONFIGURED)
    assert "no institution '不存在医院'" in str(err.value) and "找不到机构 '不存在医院'" in str(err.value)
    with pytest.raises(NotAllowed, match="by the site config"):
        ia.grant(store, admin, "wang.admin", HOSPITAL, is_user=users("wang.admin"), configured=CONFIGURED)
    with pytest.raises(NotAllowed, match="by the site config"):
        ia.revoke(store, admin, "wang.admin", configured=CONFIGURED)
    with pytest.raises(NotFound, match="no institution admin 'li.wei'") as err:
        ia.revoke(store, admin, "li.wei", configured=CONFIGURED)
    assert "找不到机构管理员 'li.wei'" in str(err.value)
    with pytest.raises(NotAllowed, match="only an administrator"):
        ia.grant(store, Actor("li.wei", MEMBER), "li.wei", HOSPITAL, is_user=users("li.wei"), configured={})
    assert ia.list_all(store, {}) == []
    with store.begin() as conn:
        assert store.audit.entries(conn, subject="li.wei") == []


def test_a_grant_reaches_the_running_hubs_pages(store, admin, tmp_path):
    """The people pages and the top bar ask the database, so a grant needs no restart."""
    accounts = {"database_url": "", "institution_admins": CONFIGURED}
    people = {"hub": {"state_dir": str(tmp_path), "db_url": ""}, "accounts": accounts}
    pages = PeoplePages(people, accounts=None)
    pages.store = store  # the fixture's store on tmp_path/people.sqlite: the same database
    names = InstitutionAdminNames(people)
    li = SimpleNamespace(name="li.wei", admin=False)
    assert pages.actor(li) is None and names(li) == ["wang.admin"]
    ia.grant(store, admin, "li.wei", HOSPITAL, is_user=users("li.wei"), configured=CONFIGURED)
    actor = pages.actor(li)
    assert (actor.role, actor.institution) == ("institution_admin", HOSPITAL)
    assert names(li) == ["wang.admin", "li.wei"] and names(None) == ["wang.admin"]
    assert pages.actor(SimpleNamespace(name="wang.admin", admin=False)).institution == "第二医院"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_PII_KEY", raising=False)
    path = tmp_path / "mnss.yaml"
    path.write_text(
        f"hub: {{state_dir: {tmp_path / 'state'}}}\n"
        "accounts: {institution_admins: {wang.admin: 示例医院}}\n"
        "courses: {enabled: false}\nrecommender: {enabled: false}\n"
    )
    return path


def test_the_cli_grants_revokes_and_lists(config, tmp_path, capsys):
    def run(*args):
        return cli.main(["--config", str(config), "institution-admin", *args])

    assert run("grant", "li.wei", HOSPITAL) == 2
    assert "no account 'li.wei'" in capsys.readouterr().err
    AccountStore(f"sqlite:///{tmp_path / 'state' / 'people.sqlite'}").create("li.wei", "a-long-password")
    assert run("grant", "li.wei", "无此医院") == 2
    err = capsys.readouterr().err
    assert "no institution '无此医院'" in err and "找不到机构 '无此医院'" in err
    assert run("grant", "li.wei", HOSPITAL) == 0
    assert f"'li.wei' is now the institution admin of {HOSPITAL}" in capsys.readouterr().out
    assert run("list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"li.wei\t{HOSPITAL}\tgranted\t") and " UTC by cli:" in lines[0]
    assert lines[1] == f"wang.admin\t{HOSPITAL}\tsite config" and lines[2] == "(2 institution admins)"
    assert run("revoke", "wang.admin") == 2
    assert "accounts.institution_admins" in capsys.readouterr().err
    assert run("revoke", "li.wei") == 0 and run("revoke", "li.wei") == 2
    assert "no institution admin 'li.wei'" in capsys.readouterr().err
    assert cli.main(["--config", str(config), "audit", "verify"]) == 0
    store = site.open_store(cli._load(SimpleNamespace(config=str(config)))[1])
    with store.begin() as conn:
        actions = [e.action for e in store.audit.entries(conn, subject="li.wei")]
    store.close()
    assert actions == ["revoke_institution_admin", "grant_institution_admin"]
