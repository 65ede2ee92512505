"""After people register, a full dump of the database holds no ID number or mobile in clear."""

import sqlite3

from mnss_hub.people import invitations as inv, profiles

from .conftest import HOSPITAL, form, make_id


def test_database_dump_has_no_id_number_or_mobile(store, admin, tmp_path):
    people = [(make_id(seq=f"{n:02d}1"), f"1391234{n:04d}", f"wx_secret{n:03d}") for n in range(10, 20)]
    for n, (number, mobile, wechat) in enumerate(people):
        code = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL)).code
        profiles.register(store, code, form(id_number=number, mobile=mobile, wechat=wechat, email=f"p{n}@example.cn"))
        profiles.reveal(store, admin, f"p{n}", "id_number", "desk check")
    profiles.export_personal_data(store, admin, "p0", "asked by p0")
    store.close()
    with sqlite3.connect(tmp_path / "people.sqlite") as db:
        dump = "\n".join(db.iterdump())
    assert "INSERT INTO" in dump and "mnss_profiles" in dump and "p9@example.cn" in dump  # the dump is real
    for number, mobile, wechat in people:
        for secret in (number, number[-8:], mobile, mobile[3:], wechat):
            assert secret not in dump, secret
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("people.sqlite*"))
    assert not any(number.encode() in raw or mobile.encode() in raw for number, mobile, _ in people)
