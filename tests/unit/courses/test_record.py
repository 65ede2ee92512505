"""The learning record: completion at the pass mark, credit hours in the year of completion, best
score wins, time on task, and the files made from it (CSV, Excel, certificate PDF)."""

import csv
import io
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from mnss_courses import bundle
from mnss_courses.record import (
    CourseTerms,
    LearningEvent as E,
    build_record,
    hours_by_person_year,
    record_from_dict,
    record_to_dict,
)
from mnss_courses.record_files import (
    CertificateError,
    StaffRow,
    certificate_pdf,
    record_csv,
    record_xlsx,
    staff_xlsx,
    verification_id,
    verify,
)

LAN = CourseTerms(
    "lan",
    "医院局域网",
    "Hospital LAN",
    ("build", "vlan"),
    {"build": ("搭建", "Build"), "vlan": ("隔离", "Isolate")},
    credit_hours=2.0,
)
PY = CourseTerms("py", "Python 基础", "Python basics", ("one",), credit_hours=3, pass_mark=0.8)
TERMS = {"lan": LAN, "py": PY}


def ts(*args, tz=UTC):
    return datetime(*args, tzinfo=tz).timestamp()


def test_completed_when_every_assignment_passes_and_hours_go_to_that_year():
    events = [
        E("lan/build", "opened", ts(2025, 12, 1)),
        E("lan/build", "closed", ts(2025, 12, 1, 1), duration=1800),
        E("lan/build", "graded", ts(2025, 12, 2), score=0.9),
        E("lan/vlan", "submitted", ts(2025, 12, 30)),
        E("lan/vlan", "graded", ts(2026, 1, 3), score=0.6),
    ]
    record = build_record(events, TERMS)
    lan = record.course("lan")
    assert lan.completed and lan.completed_at == ts(2026, 1, 3) and lan.completed_year == 2026
    assert [i.state for i in lan.items] == ["graded", "graded"]
    assert lan.items[0].seconds == 1800 and lan.seconds == 1800
    assert record.hours_by_year == {2026: 2.0} and record.total_hours == 2.0
    assert record.course("py") is None  # no event, not enrolled


def test_time_on_task_grows_with_each_execution_before_the_notebook_is_closed():
    events = [
        E("lan/build", "opened", ts(2026, 3, 1)),
        E("lan/build", "executed", ts(2026, 3, 1, 0, 5), score=1.0, duration=300),
        E("lan/build", "executed", ts(2026, 3, 1, 0, 7), score=0.0, duration=120),
    ]
    assert build_record(events, TERMS).course("lan").items[0].seconds == 420  # kernel still running
    closed = build_record([*events, E("lan/build", "closed", ts(2026, 3, 1, 1))], TERMS)
    assert closed.course("lan").items[0].seconds == 420  # closing adds nothing counted twice


def test_below_the_pass_mark_is_not_completed_until_a_better_grade():
    events = [E("py/one", "graded", ts(2026, 3, 1), score=0.7)]
    assert not build_record(events, TERMS).course("py").completed  # py's pass mark is 0.8
    events += [E("py/one", "graded", ts(2026, 4, 1), score=0.85), E("py/one", "graded", ts(2026, 5, 1), score=0.5)]
    py = build_record(events, TERMS).course("py")
    assert py.completed_at == ts(2026, 4, 1)
    assert py.items[0].score == 0.85  # the later, lower grade does not lower the best one


def test_one_assignment_missing_means_no_hours():
    record = build_record([E("lan/build", "graded", ts(2026, 2, 1), score=1.0)], TERMS, enrolled=["py"])
    assert not record.course("lan").completed and record.total_hours == 0
    assert record.course("lan").items[1].state == "not_started"
    assert record.course("py").items[0].state == "not_started"  # enrolled, nothing done yet


def test_year_is_counted_in_the_record_time_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    late = ts(2025, 12, 31, 20)  # 2026-01-01 04:00 in Shanghai
    events = [E("py/one", "graded", late, score=1.0)]
    assert build_record(events, TERMS).hours_by_year == {2025: 3.0}
    assert build_record(events, TERMS, shanghai).hours_by_year == {2026: 3.0}


def test_unknown_courses_and_items_are_ignored():
    record = build_record([E("gone/x", "graded", 1.0, score=1.0), E("lan/old", "graded", 2.0, score=1.0)], TERMS)
    assert record.courses == []


def test_person_year_table_and_json_round_trip():
    events = [E("py/one", "graded", ts(2025, 6, 1), score=0.9), E("lan/build", "graded", ts(2026, 1, 1), score=0.9)]
    events += [E("lan/vlan", "graded", ts(2026, 2, 1), score=0.9)]
    table = hours_by_person_year({"a": events, "b": []}, TERMS)
    assert table == {"a": {2025: 3.0, 2026: 2.0}, "b": {}}
    record = build_record(events, TERMS)
    again = record_from_dict(record_to_dict(record))
    assert again.hours_by_year == record.hours_by_year and again.courses == record.courses


def test_terms_from_the_bundled_course_yaml():
    course = bundle.load("courses/hospital-lan")
    terms = CourseTerms.from_meta(course.meta)
    assert terms.credit_hours == course.meta["credit_hours"] > 0 and terms.pass_mark == 0.6
    assert terms.assignments == tuple(course.assignment_ids)


def test_schema_refuses_a_bad_credit_hours_value():
    from mnss_foundation import schemacheck

    meta = dict(bundle.load("courses/hospital-lan").meta, credit_hours=1.3, pass_mark=1.5)
    problems = " ".join(schemacheck.problems(bundle.schema(), meta))
    assert "credit_hours" in problems and "pass_mark" in problems


def completed_record():
    events = [E("lan/build", "graded", ts(2026, 1, 2), score=0.9, duration=600)]
    events += [E("lan/vlan", "graded", ts(2026, 1, 5), score=0.7)]
    return build_record(events, TERMS)


def test_csv_and_xlsx_hold_every_assignment_and_the_hours():
    record = completed_record()
    rows = list(csv.reader(io.StringIO(record_csv(record, UTC).decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][0] == "lan" and rows[1][5] == "90.0" and rows[1][7] == "10.0"
    assert rows[2][8] == "2026-01-05" and rows[2][9] == "2.0"
    book = load_workbook(io.BytesIO(record_xlsx(record, UTC)))
    assert book.sheetnames == ["学习记录 Record", "学时 Hours"]
    assert [list(r) for r in book["学时 Hours"].iter_rows(values_only=True)][1] == [2026, 2.0]


def test_staff_sheet_has_a_column_per_year():
    rows = [StaffRow("a", "张三", "一院", "信息科", {2025: 3.0, 2026: 2.0}), StaffRow("b", "", "", "", {})]
    sheet = load_workbook(io.BytesIO(staff_xlsx(rows))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][4:] == ["2025", "2026", "合计 Total"]
    assert values[1] == ["a", "张三", "一院", "信息科", 3.0, 2.0, 5.0] and values[2][4:] == [0, 0, 0]


def test_verification_id_depends_on_person_course_and_key():
    lan = completed_record().course("lan")
    one = verification_id(b"k", "alice", lan, UTC)
    assert one.startswith("MNSS-20260105-") and one == verification_id(b"k", "alice", lan, UTC)
    assert one != verification_id(b"k", "bob", lan, UTC) and one != verification_id(b"j", "alice", lan, UTC)
    assert verify(b"k", "alice", "lan", one) == "2026-01-05" and verify(b"k", " alice ", "lan", one.lower())
    assert verify(b"k", "bob", "lan", one) is None and verify(b"k", "alice", "py", one) is None
    forged = one.replace("20260105", "20250105")
    assert verify(b"k", "alice", "lan", forged) is None and verify(b"k", "alice", "lan", "garbage") is None


def test_no_certificate_before_completion():
    record = build_record([E("lan/build", "graded", 1.0, score=1.0)], TERMS)
    with pytest.raises(CertificateError, match="尚未完成.*not completed"):
        certificate_pdf(name="x", course=record.course("lan"), verification="v", tz=UTC)
    with pytest.raises(CertificateError, match="not completed"):
        verification_id(b"k", "x", record.course("lan"), UTC)


def test_certificate_is_a_pdf_with_the_chinese_text(tmp_path):
    pdf = certificate_pdf(name="张三", course=completed_record().course("lan"), verification="MNSS-X", tz=UTC)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"], check=True)
    assert (tmp_path / "c.png").stat().st_size > 5000
