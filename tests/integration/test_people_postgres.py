"""The people store on a real PostgreSQL: import, register, reveal, rotate and audit verify there,
and two registrations racing for one invitation (row locks make exactly one win)."""

import threading

import pytest
from sqlalchemy import text

from mnss_hub.people import (
    ADMIN,
    Actor,
    InvitationRefused,
    Keyring,
    PeopleStore,
    SheetRejected,
    ValidationFailed,
    directory,
    invitations as inv,
    profiles,
)
from mnss_hub.people.rotation import reencrypt_all
from tests.integration.test_recommender_postgres import postgres_url  # noqa: F401 (fixture)
from tests.support.files import xlsx
from tests.unit.hub.people.conftest import form, make_id

pytestmark = pytest.mark.integration


def test_import_register_and_audit_on_postgresql(postgres_url):  # noqa: F811
    store = PeopleStore(postgres_url, Keyring.generate(), directory.load())
    admin = Actor("admin", ADMIN)
    try:
        issued = inv.import_invitations(
            store,
            admin,
            xlsx([["姓名", "科室"], ["张三", "信息中心"], ["李四", "放射科"], ["王五", "心内科"]]),
            "xlsx",
            institution="示例医院",
        )
        assert [i.invitation.id for i in issued] == sorted(i.invitation.id for i in issued)
        with pytest.raises(SheetRejected) as err:
            inv.import_invitations(
                store, admin, xlsx([["姓名", "科室"], ["赵六", "无此科室"]]), "xlsx", institution="示例医院"
            )
        assert "row 2, column B" in str(err.value)
        assert inv.list_invitations(store, admin).total == 3

        done = profiles.register(store, issued[0].code, form(institution="示例医院"))
        assert done.status == "active"
        assert profiles.reveal(store, admin, done.username, "id_number", "desk check") == make_id()
        with pytest.raises(InvitationRefused, match="already been used"):
            profiles.register(store, issued[0].code, form(institution="示例医院"))
        with pytest.raises(ValidationFailed, match="already has an account"):
            profiles.register(store, issued[1].code, form(institution="示例医院", email="b@example.cn"))

        with store.begin() as conn:
            dump = "\n".join(
                str(tuple(r))
                for t in ("mnss_profiles", "mnss_invitations", "mnss_audit_log")
                for r in conn.execute(text(f"SELECT * FROM {t}"))
            )
        assert make_id() not in dump and "13812345678" not in dump and issued[2].code not in dump

        assert reencrypt_all(store, store.keyring.with_new_key()).profiles == 1
        assert profiles.reveal(store, admin, done.username, "mobile", "call") == "+8613812345678"
        assert store.verify_audit() is None
        with store.begin() as conn:
            conn.execute(text("UPDATE mnss_audit_log SET actor = 'someone' WHERE seq = 2"))
        assert store.verify_audit().seq == 2
    finally:
        store.close()


def test_one_invitation_two_racing_registrations(postgres_url):  # noqa: F811
    ring = Keyring.generate()
    stores = [PeopleStore(postgres_url, ring, directory.load()) for _ in range(2)]
    try:
        code = inv.create_invitation(stores[0], Actor("admin", ADMIN), inv.InvitationRequest("示例医院")).code
        results, start = [], threading.Barrier(2)

        def attempt(store, seq):
            start.wait()
            try:
                results.append(
                    profiles.register(
                        store,
                        code,
                        form(institution="示例医院", id_number=make_id(seq=seq), email=f"r{seq}@example.cn"),
                    ).username
                )
            except InvitationRefused as err:
                results.append(err.reason)

        threads = [
            threading.Thread(target=attempt, args=(s, seq)) for s, seq in zip(stores, ("101", "103"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(r.startswith("r1") for r in results) == [False, True], results
        assert "used" in results
        assert stores[0].verify_audit() is None
    finally:
        for s in stores:
            s.close()
