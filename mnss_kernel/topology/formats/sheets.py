"""Reading spreadsheet files as rows: Excel workbooks (openpyxl) and CSV pairs (UTF-8 or GBK).

Kept apart from what the rows mean (inventory.py): this changes when a file kind is added, that
when the sheet's columns do. Row numbers are those a person sees in Excel (the header is row 1).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnss_foundation.problem import Problem

from ..model import TopologyError

#: The sheets of an inventory: key -> (English name, Chinese name, other names accepted).
SHEETS = {
    "devices": ("devices", "设备", ("device", "设备清单", "设备表")),
    "links": ("links", "链路", ("link", "链路清单", "连接", "连线")),
}


@dataclass
class Sheet:
    """One sheet as read: its name as written, its header cells, and (row number, cells) pairs."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]


def _sheet(name: str, rows: Iterable[tuple[int, list[Any]]]) -> Sheet:
    header: list[str] | None = None
    body = []
    for number, cells in rows:
        cells = ["" if c is None else c for c in cells]
        if not any(str(c).strip() for c in cells):
            continue
        if header is None:
            header = [str(c).strip() for c in cells]
        else:
            body.append((number, cells))
    return Sheet(name, header or [], body)


def read_xlsx(path: Path) -> dict[str, Sheet]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors for a bad file
        text = f"cannot read {path.name} as an Excel workbook (.xlsx): {err} (无法读取 Excel 工作簿)"
        raise TopologyError([Problem(text, "not_xlsx", str(path))], str(path)) from None
    try:
        return {
            ws.title: _sheet(ws.title, ((i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)))
            for ws in book.worksheets
        }
    finally:
        book.close()


def _csv_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TopologyError([f"{path.name}: not UTF-8 or GBK text (不是 UTF-8 或 GBK 编码的文本)"], str(path))


def csv_pair(path: Path) -> tuple[Path, Path]:
    """NAME.devices.csv and NAME.links.csv, from either of them."""
    name = path.name
    for sheet in SHEETS:
        suffix = f".{sheet}.csv"
        if name.lower().endswith(suffix):
            stem = name[: -len(suffix)]
            return path.with_name(f"{stem}.devices.csv"), path.with_name(f"{stem}.links.csv")
    text = (
        f"{name}: a CSV inventory is two files, NAME.devices.csv and NAME.links.csv; name the file so "
        "(CSV 清单由两个文件组成：NAME.devices.csv 与 NAME.links.csv，请按此命名)"
    )
    raise TopologyError([Problem(text, "csv_pair_name", str(path))], str(path))


def read_csv(path: Path) -> dict[str, Sheet]:
    sheets = {}
    for sheet, file in zip(SHEETS, csv_pair(path), strict=True):
        if not file.exists():
            text = f"{file.name} is missing: the {sheet} sheet of this inventory (缺少文件 {file.name})"
            raise TopologyError([Problem(text, "csv_pair_missing", str(file))], str(path))
        rows = csv.reader(_csv_text(file).splitlines())
        sheets[sheet] = _sheet(sheet, ((i, r) for i, r in enumerate(rows, 1)))
    return sheets


def read(path: str | Path) -> dict[str, Sheet]:
    path = Path(path)
    if path.suffix.lower() == ".xls":
        text = f"{path.name}: old Excel .xls files are not read; save it as .xlsx (请另存为 .xlsx 格式)"
        raise TopologyError([Problem(text, "xls_unsupported", str(path))], str(path))
    return read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else read_csv(path)


def is_inventory(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv")
