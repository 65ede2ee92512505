"""Reading and writing the sheets admins exchange: .xlsx (openpyxl, read-only streaming) and .csv.

A CSV may come from Excel: UTF-8 with or without BOM, else GB18030 (what Chinese Excel writes).
Rows are returned as lists of text with their 1-based sheet row number; fully empty rows are
skipped. Nothing here knows what the columns mean.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from .errors import CellError, SheetRejected

FORMATS = ("csv", "xlsx")


def format_of(name: str | Path) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise SheetRejected([CellError(0, "", "file", "bad_file_type")])
    return suffix


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):  # not a workbook
        raise SheetRejected([CellError(0, "", "file", "unreadable")]) from None
    try:
        for number, row in enumerate(book.active.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in row]
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetRejected([CellError(0, "", "file", "unreadable")])
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        yield number, [cell.strip() for cell in row]


def read_rows(data: bytes, fmt: str) -> list[tuple[int, list[str]]]:
    """(sheet row number, cells) of every non-empty row, the header first."""
    rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    return [(n, cells) for n, cells in rows if any(cells)]


def _inert(cell):
    """Text a spreadsheet will not run as a formula (a name like "=HYPERLINK(...)" stays text)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def write(header: Sequence[str], rows: Sequence[Sequence], fmt: str) -> bytes:
    """A sheet as bytes: CSV in UTF-8 with BOM (so Excel shows Chinese right), or .xlsx."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([_inert(c) for c in row] for row in rows)
        return out.getvalue().encode("utf-8-sig")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(header))
    for row in rows:
        sheet.append([_inert(c) for c in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
