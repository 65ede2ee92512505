"""Small files built in memory for tests: a spreadsheet of rows, a tar.gz with one named entry."""

import io
import tarfile

import openpyxl


def xlsx(rows) -> bytes:
    """An .xlsx workbook whose first sheet holds `rows`."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def tar_with_name(name: str) -> bytes:
    """A tar.gz with one 2-byte entry called `name` (any name, as an older or hostile client sent it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    return buffer.getvalue()
