"""The record as files: the learner's CSV and Excel export, the training office's Excel sheet,
and the completion certificate as a PDF (fpdf2, with a CJK font so Chinese names and titles
print). Pure functions from a LearningRecord to bytes; the hub decides who may have which.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from mnss_foundation import i18n
from mnss_foundation.errors import MnssError

from .record import CourseRecord, LearningRecord

# fonts-wqy-microhei (Debian/Ubuntu); scripts/install-system.sh installs it with the run packages.
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)

HEADER = (
    "课程 Course",
    "课程名称 Course title",
    "作业 Assignment",
    "作业名称 Assignment title",
    "状态 State",
    "得分 Score (%)",
    "通过 Passed",
    "学习时长 Minutes",
    "课程完成 Course completed",
    "学时 Credit hours",
)
RECORD_STATES = i18n.load(__package__)["record_states"].pairs()  # state -> (zh-CN, en), for pages
STATES = {state: f"{zh} {en.lower()}" for state, (zh, en) in RECORD_STATES.items()}  # the sheets' cells


class CertificateError(MnssError, ValueError):
    """No certificate can be made (course not completed, no CJK font); says why in zh-CN and English."""

    def __init__(self, code: str, **details):
        zh, en = i18n.load(__package__)["certificate"].pair(code, **details)
        super().__init__(code, zh, en, **details)

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def _date(ts: float | None, tz: tzinfo) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d")


def record_rows(record: LearningRecord, tz: tzinfo) -> list[list]:
    """One row per assignment; the course's completion date and hours on each of its rows."""
    rows = []
    for c in record.courses:
        for i in c.items:
            rows.append(
                [
                    c.id,
                    f"{c.title_zh} / {c.title_en}",
                    i.id,
                    f"{i.title_zh} / {i.title_en}",
                    STATES.get(i.state, i.state),
                    None if i.score is None else round(i.score * 100, 1),
                    "是 yes" if i.passed else "否 no",
                    round(i.seconds / 60, 1),
                    _date(c.completed_at, tz),
                    c.hours_awarded,
                ]
            )
    return rows


def record_csv(record: LearningRecord, tz: tzinfo) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in record_rows(record, tz))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(sheets: Sequence[tuple[str, Sequence, Sequence[Sequence]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def record_xlsx(record: LearningRecord, tz: tzinfo) -> bytes:
    """Two sheets: every assignment, and credit hours per year."""
    years = [(y, h) for y, h in record.hours_by_year.items()]
    return _xlsx(
        [
            ("学习记录 Record", HEADER, record_rows(record, tz)),
            ("学时 Hours", ("年度 Year", "学时 Credit hours"), years),
        ]
    )


@dataclass(frozen=True)
class StaffRow:
    username: str
    name: str
    institution: str
    department: str
    hours_by_year: Mapping[int, float]


def staff_years(rows: Sequence[StaffRow]) -> list[int]:
    return sorted({y for r in rows for y in r.hours_by_year})


def staff_xlsx(rows: Sequence[StaffRow]) -> bytes:
    """The training office's sheet: one row per person, one column per year, and the total."""
    years = staff_years(rows)
    header = ("用户名 Username", "姓名 Name", "机构 Institution", "科室 Department", *map(str, years), "合计 Total")
    body = [
        [
            r.username,
            r.name,
            r.institution,
            r.department,
            *(r.hours_by_year.get(y, 0) for y in years),
            sum(r.hours_by_year.values()),
        ]
        for r in rows
    ]
    return _xlsx([("学时汇总 Hours", header, body)])


def require_completed(course: CourseRecord) -> None:
    if not course.completed:
        raise CertificateError("not_completed", course=i18n.Both(course.title_zh, course.title_en))


def _digest(key: bytes, username: str, course_id: str, day: str) -> str:
    text = f"{username}\n{course_id}\n{day}"
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:12].upper()


def verification_id(key: bytes, username: str, course: CourseRecord, tz: tzinfo) -> str:
    """MNSS-<completion date>-<12 hex>: a keyed hash of who, which course and which day. Whoever
    has the certificate can have the hub (which holds the key) confirm it with the username and
    course (see verify); the id alone reveals nothing."""
    require_completed(course)
    day = datetime.fromtimestamp(course.completed_at, tz).strftime("%Y%m%d")
    return f"MNSS-{day}-{_digest(key, username, course.id, day)}"


VERIFICATION = re.compile(r"^MNSS-(\d{8})-([0-9A-F]{12})$")


def verify(key: bytes, username: str, course_id: str, vid: str) -> str | None:
    """The completion date (YYYY-MM-DD) when `vid` is the id of username's certificate for
    course_id, else None."""
    found = VERIFICATION.match(vid.strip().upper())
    if not found or not hmac.compare_digest(found[2], _digest(key, username.strip(), course_id.strip(), found[1])):
        return None
    day = found[1]
    return f"{day[:4]}-{day[4:6]}-{day[6:]}"


def cjk_font() -> Path:
    for path in CJK_FONTS:
        if path.exists():
            return path
    raise CertificateError("no_cjk_font")


def certificate_pdf(
    *, name: str, course: CourseRecord, verification: str, tz: tzinfo, issuer: str = "MNSS Lab", verify_url: str = ""
) -> bytes:
    """A one-page A4 landscape certificate in Chinese and English."""
    require_completed(course)
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{course.title_en} - certificate")
    pdf.set_creator(issuer)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("cjk", fname=str(cjk_font()))
    pdf.set_draw_color(30, 80, 140)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)
    date = _date(course.completed_at, tz)

    def line(text: str, size: float, top: float, color=(20, 20, 20)) -> None:
        pdf.set_font("cjk", size=size)
        pdf.set_text_color(*color)
        pdf.set_xy(20, top)
        pdf.cell(257, size * 0.5, text, align="C")

    line("继续教育学时证书", 30, 32, (30, 80, 140))
    line("Certificate of Continuing Education", 16, 50, (30, 80, 140))
    line("兹证明 / This certifies that", 13, 70)
    line(name, 28, 82)
    line("已完成课程 / has completed the course", 13, 104)
    line(course.title_zh, 22, 116)
    line(course.title_en, 15, 132)
    line(f"学时 / Credit hours: {course.credit_hours:g}      完成日期 / Date: {date}", 13, 152)
    line(f"{issuer}", 12, 170, (90, 90, 90))
    line(f"验证编号 / Verification ID: {verification}", 10, 180, (90, 90, 90))
    if verify_url:
        line(f"验证 / Verify: {verify_url}", 8, 187, (90, 90, 90))
    return bytes(pdf.output())
