"""SSO identities link to one profile each, by (issuer, subject) only."""

import pytest

from mnss_hub.people import INSTITUTION_ADMIN, Actor, NotAllowed, consent, invitations as inv, profiles, sso

from .conftest import HOSPITAL, form, make_id

ISSUER = "https://sso.hospital.example/"


def register(store, admin, **changes):
    code = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL)).code
    return profiles.register(store, code, form(**changes)).username


def test_link_find_and_refuse_a_second_link(store, admin):
    first = register(store, admin)
    second = register(store, admin, id_number=make_id(seq="125"), email="li@example.cn")
    assert sso.linked_username(store, ISSUER, "sub-1") is None
    sso.link(store, Actor(first), first, ISSUER, "sub-1")
    assert sso.linked_username(store, ISSUER, "sub-1") == first
    assert sso.linked_username(store, "https://other.example/", "sub-1") is None
    with pytest.raises(NotAllowed, match="already linked"):
        sso.link(store, admin, second, ISSUER, "sub-1")  # the identity is taken
    with pytest.raises(NotAllowed, match="already linked"):
        sso.link(store, admin, first, ISSUER, "sub-2")  # the account is taken
    with pytest.raises(NotAllowed):
        sso.link(store, Actor(second), first, ISSUER, "sub-3")
    assert sso.unlink(store, Actor("ia", INSTITUTION_ADMIN, HOSPITAL), first, "moved") == 1
    sso.link(store, admin, second, ISSUER, "sub-1")
    assert sso.linked_username(store, ISSUER, "sub-1") == second


def test_deleting_a_profile_removes_its_link(store, admin):
    name = register(store, admin)
    sso.link(store, admin, name, ISSUER, "sub-1")
    profiles.complete_deletion(store, admin, name, "asked")
    assert sso.linked_username(store, ISSUER, "sub-1") is None
    assert store.verify_audit() is None


def test_consent_version_is_recorded(store, admin):
    name = register(store, admin)
    assert profiles.export_personal_data(store, admin, name, "r")["consent_version"] == consent.CONSENT_VERSION
    assert "身份证号码" in consent.text("zh-CN") and "ID number" in consent.text("en")
