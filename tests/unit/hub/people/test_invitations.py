"""Invitations: single use, expiry, revocation, all-or-nothing imports, institution admin scope."""

import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from mnss_hub.people import (
    INSTITUTION_ADMIN,
    Actor,
    InvitationRefused,
    NotAllowed,
    ReasonRequired,
    SheetRejected,
    ValidationFailed,
    invitations as inv,
    profiles,
)
from mnss_hub.people.tables import audit_log, invitations
from tests.support.files import xlsx

from .conftest import HOSPITAL, form


def count(store, table=invitations):
    with store.begin() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_code_is_single_use(store, admin):
    issued = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL, "张三", "信息中心", ("net-101",)))
    assert inv.redeem(store, issued.code.lower().replace("-", " ")).id == issued.invitation.id
    assert profiles.register(store, issued.code, form()).courses == ("net-101",)
    with pytest.raises(InvitationRefused) as err:
        inv.redeem(store, issued.code)
    assert err.value.reason == "used"
    assert err.value.messages("zh-CN") == ["该邀请已被使用"]
    with pytest.raises(InvitationRefused, match="already been used"):
        profiles.register(store, issued.code, form(id_number="11010119900307125X"))


def test_code_is_not_stored_in_clear(store, admin, tmp_path):
    issued = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL))
    raw = issued.code.replace("-", "")
    assert raw.encode() not in (tmp_path / "people.sqlite").read_bytes()
    assert issued.code.encode() not in (tmp_path / "people.sqlite").read_bytes()


def test_unknown_expired_and_revoked_are_told_apart(store, admin, clock):
    with pytest.raises(InvitationRefused) as err:
        inv.redeem(store, "AAAA-BBBB-CCCC-DDDD")
    assert err.value.reason == "unknown"
    with pytest.raises(InvitationRefused) as err:
        inv.redeem(store, "")
    assert err.value.reason == "unknown"
    short = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL), expires_days=1)
    revoked = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL))
    assert inv.revoke_invitation(store, admin, revoked.code, "sent to the wrong person").state == "revoked"
    clock.advance(hours=23)
    assert inv.redeem(store, short.code).state == "open"
    clock.advance(hours=2)
    for code, reason in ((short.code, "expired"), (revoked.code, "revoked")):
        with pytest.raises(InvitationRefused) as err:
            profiles.register(store, code, form())
        assert err.value.reason == reason
    assert [i.state for i in inv.list_invitations(store, admin).items] == ["revoked", "expired"]
    assert inv.list_invitations(store, admin, state="expired").total == 1


def test_revoke_by_id_and_a_used_one_stays_used(store, admin):
    first = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL))
    profiles.register(store, first.code, form())
    with pytest.raises(InvitationRefused) as err:
        inv.revoke_invitation(store, admin, str(first.invitation.id))
    assert err.value.reason == "used"
    second = inv.create_invitation(store, admin, inv.InvitationRequest(HOSPITAL))
    assert inv.revoke_invitation(store, admin, second.invitation.id).revoked_at is not None


def test_bulk_import_xlsx(store, admin):
    data = xlsx(
        [
            ["姓名", "科室", "课程"],
            ["张三", "信息中心", "net-101; net-102"],
            ["李四", "放射科", ""],
            [None, None, None],
            ["王五", "", "net-101"],
        ]
    )
    issued = inv.import_invitations(store, admin, data, "xlsx", institution=HOSPITAL, expires_days=7)
    assert [i.invitation.name for i in issued] == ["张三", "李四", "王五"]
    assert issued[0].invitation.courses == ("net-101", "net-102")
    assert len({i.invitation.batch for i in issued}) == 1
    assert (issued[0].invitation.expires_at - issued[0].invitation.created_at).days == 7
    assert inv.redeem(store, issued[2].code).name == "王五"


def test_bulk_import_is_all_or_nothing_and_names_row_and_column(store, admin):
    before = count(store, audit_log)
    data = xlsx(
        [
            ["name", "institution", "department"],
            ["张三", HOSPITAL, "信息中心"],
            ["李四", HOSPITAL, "不存在的科室"],
            ["王五", "某医院", ""],
        ]
    )
    with pytest.raises(SheetRejected) as err:
        inv.import_invitations(store, admin, data, "xlsx")
    assert [(e.row, e.column, e.code) for e in err.value.errors] == [
        (3, "C", "unknown_department"),
        (4, "B", "unknown_institution"),
    ]
    assert err.value.messages("en")[0] == "row 3, column C: Department: is not a department of this institution"
    assert err.value.messages("zh-CN")[1] == "第 4 行 B 列：机构不在机构列表中"
    assert count(store) == 0 and count(store, audit_log) == before


def test_bulk_import_csv_from_chinese_excel_and_bad_headers(store, admin, monkeypatch):
    text = "姓名,机构\r\n张三,示例医院\r\n李四,第二医院\r\n"
    issued = inv.import_invitations(store, admin, text.encode("gb18030"), "csv")
    assert [i.invitation.institution for i in issued] == [HOSPITAL, "第二医院"]
    with pytest.raises(SheetRejected) as err:
        inv.import_invitations(store, admin, "姓名,颜色\n张三,红\n".encode(), "csv", institution=HOSPITAL)
    assert [(e.row, e.column, e.code) for e in err.value.errors] == [(1, "B", "unknown_column")]
    with pytest.raises(SheetRejected, match="has no data rows"):
        inv.import_invitations(store, admin, "姓名\n".encode(), "csv", institution=HOSPITAL)
    with pytest.raises(SheetRejected) as err:
        inv.import_invitations(store, admin, "姓名,有效天数\n张三,400\n".encode(), "csv", institution=HOSPITAL)
    assert [(e.row, e.column, e.code) for e in err.value.errors] == [(2, "B", "out_of_range")]
    monkeypatch.setattr(inv, "MAX_SHEET_ROWS", 2)
    with pytest.raises(SheetRejected, match="row 4: File: has more than"):
        inv.import_invitations(store, admin, "姓名\n甲\n乙\n丙\n".encode(), "csv", institution=HOSPITAL)
    with pytest.raises(SheetRejected, match="File: cannot be read"):
        inv.import_invitations(store, admin, b"not a zip", "xlsx")
    assert count(store) == 2


def test_institution_admin_only_for_own_institution(store, admin):
    local = Actor("ia", INSTITUTION_ADMIN, HOSPITAL)
    issued = inv.create_invitation(store, local, inv.InvitationRequest(name="张三"))
    assert issued.invitation.institution == HOSPITAL
    with pytest.raises(ValidationFailed) as err:
        inv.create_invitation(store, local, inv.InvitationRequest("第二医院"))
    assert err.value.messages("en") == ["Institution: is not the institution you administer"]
    with pytest.raises(SheetRejected) as err:
        inv.import_invitations(store, local, "姓名,机构\n张三,示例医院\n李四,第二医院\n".encode(), "csv")
    assert [(e.row, e.column, e.code) for e in err.value.errors] == [(3, "B", "not_own_institution")]
    other = inv.create_invitation(store, admin, inv.InvitationRequest("第二医院"))
    with pytest.raises(NotAllowed, match="only manage invitations and accounts of your own institution"):
        inv.revoke_invitation(store, local, other.code)
    with pytest.raises(NotAllowed):
        inv.list_invitations(store, local, institution="第二医院")
    assert [i.institution for i in inv.list_invitations(store, local).items] == [HOSPITAL]
    with pytest.raises(NotAllowed):
        inv.list_invitations(store, Actor("someone"))


def test_export_links_needs_a_reason_and_holds_working_codes(store, admin):
    issued = inv.import_invitations(store, admin, "姓名\n张三\n=cmd()\n".encode(), "csv", institution=HOSPITAL)
    inv.revoke_invitation(store, admin, issued[0].code)
    with pytest.raises(ReasonRequired):
        inv.export_links(store, admin, public_url="https://lab.example/", fmt="csv", reason=" ")
    data = inv.export_links(store, admin, public_url="https://lab.example/", fmt="csv", reason="send to HR")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2  # header + the one still open
    assert rows[1][1] == "'=cmd()"  # a spreadsheet shows it, never runs it
    assert rows[1][5] == issued[1].code
    assert rows[1][6] == f"https://lab.example/hub/register?code={issued[1].code}"
    book = openpyxl.load_workbook(
        io.BytesIO(inv.export_links(store, admin, public_url="https://lab.example/", fmt="xlsx", reason="again")),
        read_only=True,
    )
    assert [c for c in next(book.active.iter_rows(min_row=2, values_only=True))][5] == issued[1].code
    with store.begin() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.reason)).all()
    assert ("export_invitations", "send to HR") in actions
