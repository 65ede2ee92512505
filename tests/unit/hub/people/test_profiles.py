"""Profiles: registration in one transaction, approval policy, masked views, audited reveals,
own-data export, deletion, key rotation."""

import dataclasses

import pytest
from sqlalchemy import func, select

from mnss_hub.people import (
    INSTITUTION_ADMIN,
    Actor,
    Keyring,
    NotAllowed,
    NotFound,
    PeopleStore,
    ReasonRequired,
    ValidationFailed,
    invitations as inv,
    profiles,
)
from mnss_hub.people.rotation import reencrypt_all
from mnss_hub.people.tables import audit_log, invitations, profiles as prof_table

from .conftest import HOSPITAL, form, make_id


def invite(store, admin, institution=HOSPITAL, **kw):
    return inv.create_invitation(store, admin, inv.InvitationRequest(institution, **kw)).code


def rows(store, table):
    with store.begin() as conn:
        return conn.execute(select(table)).all()


def test_register_creates_a_masked_profile_and_an_audit_entry(store, admin):
    done = profiles.register(store, invite(store, admin), form())
    assert (done.username, done.status) == ("zhang.san", "active")
    view = profiles.get_profile(store, Actor("zhang.san"), "zhang.san")
    assert view.id_number == make_id()[:4] + "*" * 10 + make_id()[-4:]
    assert view.mobile == "138****5678" and view.wechat == "zh********x"
    assert [r.action for r in rows(store, audit_log)][-1] == "register"


def test_failed_registration_writes_nothing(store, admin):
    code = invite(store, admin)
    with pytest.raises(ValidationFailed):
        profiles.register(store, code, form(mobile="123"))
    with pytest.raises(ValidationFailed) as err:
        profiles.register(store, code, form(institution="第二医院", department="信息科"))
    assert err.value.errors[0].code == "not_invited_institution"
    assert rows(store, prof_table) == [] and inv.redeem(store, code).state == "open"


def test_one_account_per_id_number(store, admin):
    profiles.register(store, invite(store, admin), form())
    code = invite(store, admin)
    with pytest.raises(ValidationFailed) as err:
        profiles.register(store, code, form(id_number=make_id().lower(), email="other@example.cn"))
    assert err.value.messages("en") == ["ID number: already has an account"]
    assert inv.redeem(store, code).state == "open"


def test_usernames_are_derived_normalised_and_never_shared(store, admin):
    taken = {"zhang.san2"}
    first = profiles.register(store, invite(store, admin), form(email="Zhang.San@example.cn"))
    second = profiles.register(
        store,
        invite(store, admin),
        form(id_number=make_id(seq="125"), email="zhang.san@other.cn"),
        is_taken=taken.__contains__,
    )
    assert (first.username, second.username) == ("zhang.san", "zhang.san3")
    chosen = profiles.register(store, invite(store, admin), form(id_number=make_id(seq="127")), username="ＬＩ")
    assert chosen.username == "li"  # NFKC + lower case
    with pytest.raises(ValidationFailed, match="Username: is already taken"):
        profiles.register(store, invite(store, admin), form(id_number=make_id(seq="129")), username="Li")
    with pytest.raises(ValidationFailed, match="Username: contains characters"):
        profiles.register(store, invite(store, admin), form(id_number=make_id(seq="129")), username="张三")


def test_approval_by_the_own_institution_admin(tmp_path, clock, test_directory, admin):
    store = PeopleStore(
        f"sqlite:///{tmp_path / 'p.sqlite'}",
        Keyring.generate(),
        test_directory,
        approval="institution_admin",
        clock=clock,
    )
    try:
        done = profiles.register(store, invite(store, admin), form())
        assert done.status == "pending" and profiles.status_of(store, done.username) == "pending"
        with pytest.raises(NotAllowed):
            profiles.approve(store, Actor("ib", INSTITUTION_ADMIN, "第二医院"), done.username)
        assert profiles.approve(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL), done.username).status == "active"
        with pytest.raises(NotAllowed, match="is active"):
            profiles.approve(store, admin, done.username)
        assert profiles.disable(store, admin, done.username, "left").status == "disabled"
        assert profiles.status_of(store, "nobody") is None
    finally:
        store.close()


def test_reveal_needs_role_and_reason_and_is_audited(store, admin):
    name = profiles.register(store, invite(store, admin), form()).username
    with pytest.raises(ReasonRequired):
        profiles.reveal(store, admin, name, "id_number", "  ")
    with pytest.raises(NotAllowed):
        profiles.reveal(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL), name, "id_number", "check")
    with pytest.raises(NotAllowed):
        profiles.reveal(store, Actor(name), name, "mobile", "curious")
    with pytest.raises(ValidationFailed) as wrong_field:
        profiles.reveal(store, admin, name, "email_password", "curious")
    assert wrong_field.value.messages("zh-CN") == ["要查看的信息不是可选的值"]
    assert wrong_field.value.messages("en") == ["Item to see: is not one of the choices"]
    assert profiles.reveal(store, admin, name, "id_number", "identity check at desk") == make_id()
    assert profiles.reveal(store, admin, name, "mobile", "call back") == "+8613812345678"
    entries = [(r.actor, r.action, r.reason, r.detail) for r in rows(store, audit_log) if r.action == "reveal"]
    assert entries == [
        ("admin", "reveal", "identity check at desk", '{"field":"id_number"}'),
        ("admin", "reveal", "call back", '{"field":"mobile"}'),
    ]


def test_list_pages_and_scope(store, admin):
    for n in range(5):
        profiles.register(store, invite(store, admin), form(id_number=make_id(seq=f"1{n}1"), email=f"u{n}@example.cn"))
    profiles.register(
        store,
        invite(store, admin, "第二医院"),
        form(institution="第二医院", department="信息科", id_number=make_id(seq="301"), email="x@e.cn"),
    )
    page = profiles.list_profiles(store, admin, offset=2, limit=2)
    assert page.total == 6 and [p.username for p in page.items] == ["u2", "u3"]
    assert all("*" in p.id_number and "*" in p.mobile for p in page.items)
    local = profiles.list_profiles(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL))
    assert local.total == 5 and {p.institution for p in local.items} == {HOSPITAL}
    assert profiles.list_profiles(store, admin, search="u4").total == 1
    assert profiles.list_profiles(store, admin, search="张").total == 6
    assert profiles.list_profiles(store, admin, search="%").total == 0
    with pytest.raises(NotAllowed):
        profiles.get_profile(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL), "x")


def test_export_own_data_and_deletion(store, admin):
    name = profiles.register(store, invite(store, admin, name="张三"), form()).username
    with pytest.raises(NotAllowed):
        profiles.export_personal_data(store, Actor("someone"), name)
    profiles.reveal(store, admin, name, "mobile", "call back")
    data = profiles.export_personal_data(store, Actor(name), name)
    assert data["id_number"] == make_id() and data["mobile"] == "+8613812345678" and data["name"] == "张三"
    assert [e["action"] for e in data["access_log"]] == ["register", "reveal", "export_personal_data"]
    assert not any(k.endswith(("_enc", "_hash")) for k in data)
    assert profiles.request_deletion(store, Actor(name), "leaving").deletion_requested_at is not None
    assert [p.username for p in profiles.deletion_requests(store, admin)] == [name]
    with pytest.raises(NotAllowed):
        profiles.complete_deletion(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL), name, "done")
    assert profiles.complete_deletion(store, admin, name, "asked on 1 March") == name
    with pytest.raises(NotFound):
        profiles.get_profile(store, admin, name)
    assert rows(store, invitations)[0].name is None
    assert store.verify_audit() is None
    # the name is never given to someone else: learning events stay under its pseudonym
    again = profiles.register(store, invite(store, admin), form(id_number=make_id(seq="125")))
    assert again.username == f"{name}2"
    with pytest.raises(ValidationFailed):
        profiles.register(store, invite(store, admin), form(id_number=make_id(seq="127")), username=name)


def test_rotation_reencrypts_every_row(store, admin):
    name = profiles.register(store, invite(store, admin), form()).username
    open_code = invite(store, admin)
    old_tokens = {r.id_number_enc for r in rows(store, prof_table)}
    new_ring = store.keyring.with_new_key()
    done = reencrypt_all(store, new_ring)
    assert (done.profiles, done.invitations) == (1, 2)
    after = rows(store, prof_table)[0]
    assert after.id_number_enc not in old_tokens and f":{new_ring.current}:" in after.mobile_enc
    store.keyring = new_ring.only_current()  # the old key is gone from the file
    assert profiles.reveal(store, admin, name, "id_number", "after rotation") == make_id()
    with pytest.raises(ValidationFailed, match="already has an account"):  # lookup hash recomputed
        profiles.register(store, invite(store, admin), form(email="again@example.cn"))
    assert inv.redeem(store, open_code).state == "open"
    exported = inv.export_links(store, admin, public_url="/", fmt="csv", reason="r")
    assert open_code in exported.decode("utf-8-sig")
    assert store.verify_audit() is None


def test_views_are_plain_dataclasses(store, admin):
    profiles.register(store, invite(store, admin), form())
    view = profiles.list_profiles(store, admin).items[0]
    assert dataclasses.asdict(view)["username"] == "zhang.san"
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(prof_table)).scalar_one() == 1


def test_an_erased_person_leaves_no_clear_data_in_the_database_files(store, admin, tmp_path):
    name = profiles.register(
        store, invite(store, admin, name="钱七"), form(name="钱七", email="qian.erased@example.org")
    ).username
    profiles.complete_deletion(store, admin, name, "asked")  # the store stays open, as in the hub
    files = [p for p in tmp_path.iterdir() if p.name.startswith("people.sqlite")]
    assert files
    for path in files:
        data = path.read_bytes()
        assert "钱七".encode() not in data and b"qian.erased@example.org" not in data, path.name


def test_real_names_answers_names_only_of_those_asked(store, admin):
    profiles.register(store, invite(store, admin), form())
    assert profiles.real_names(store, ["zhang.san", "nobody"]) == {"zhang.san": "张三"}
    assert profiles.real_names(store, ["nobody"]) == {} and profiles.real_names(store, []) == {}
