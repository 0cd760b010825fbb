"""Reading uploaded spreadsheets (.xlsx, .csv) within limits.

An upload can be anything, including a small file that unpacks into a great deal: an
.xlsx of 0.1 MB holding three million shared strings kept a worker parsing for two
minutes. Before openpyxl reads an .xlsx, its ZIP directory is checked (entries, the
unpacked size) and its shared strings are counted without building them; while rows are
read, their number, the cells and the time are bounded. A sheet past any limit is refused
with a message saying which. Callers parse before they write (no write transaction is
open meanwhile) and then write what they found in one short transaction.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import zipfile
from dataclasses import dataclass

from ..i18n import gettext as _
from . import ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    rows: int = 5000
    #: Cells read in all (rows × columns, empty ones included).
    cells: int = 250_000
    #: Bytes the .xlsx's parts unpack into, in all.
    unpacked: int = 32 * 1024 * 1024
    entries: int = 500
    shared_strings: int = 250_000
    #: Seconds spent reading rows.
    seconds: float = 10.0


LIMITS = Limits()


def read_sheet(filename: str, data: bytes, limits: Limits = LIMITS) -> list[list]:
    """The rows of an .xlsx or .csv file (CSV in UTF-8 with or without BOM, GBK/GB18030 or
    UTF-16), at most ``limits.rows`` + 1 (the header); ServiceError if it cannot be read or
    goes past a limit."""
    lower = (filename or "").lower()
    if lower.endswith((".xlsx", ".csv", ".txt")) and not data:
        raise ServiceError(_("上传的文件是空的。"))
    if lower.endswith(".xlsx"):
        return _read_xlsx(data, limits)
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return _read_csv(data, limits)
    if lower.endswith(".xls"):
        raise ServiceError(_("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 .csv 后上传。"))
    raise ServiceError(_("请上传 .xlsx 或 .csv 格式的表格。"))


def _too_big(limits: Limits) -> ServiceError:
    return ServiceError(_("表格过大或过于复杂（最多 %(rows)s 行），请拆分后分批上传。",
                          rows=limits.rows))


def _check_package(data: bytes, limits: Limits) -> None:
    """The .xlsx's ZIP directory and shared strings, before openpyxl builds anything."""
    unreadable = ServiceError(_("无法读取该 Excel 文件，请确认文件未损坏且为 .xlsx 格式。"))
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise unreadable from error
    with package:
        entries = package.infolist()
        if len(entries) > limits.entries or sum(e.file_size for e in entries) > limits.unpacked:
            raise _too_big(limits)
        strings = next((e for e in entries if e.filename.lower().endswith("sharedstrings.xml")),
                       None)
        if strings is None:
            return
        count, tail = 0, b""
        try:
            with package.open(strings) as stream:  # counted as it unpacks, never kept
                while chunk := stream.read(1 << 16):
                    count += (tail + chunk).count(b"<si") - tail.count(b"<si")
                    tail = chunk[-3:]
                    if count > limits.shared_strings:
                        raise _too_big(limits)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
            raise unreadable from error


def _read_xlsx(data: bytes, limits: Limits) -> list[list]:
    from openpyxl import load_workbook

    _check_package(data, limits)
    unreadable = _("无法读取该 Excel 文件，请确认文件未损坏且为 .xlsx 格式。")
    # An upload can be anything: whatever openpyxl fails with (BadZipFile, KeyError, XML
    # parse errors …) means the same to the admin.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        log.info("unreadable .xlsx upload: %r", error)
        raise ServiceError(unreadable) from error
    try:
        # read-only workbooks parse the sheet lazily: a broken sheet fails while iterating
        sheet = workbook.worksheets[0]
        # read-only mode trusts the sheet's recorded size, which some programs write wrong
        # (e.g. "A1"): read every row and column that is actually there
        sheet.reset_dimensions()
        return _bounded(sheet.iter_rows(values_only=True), limits)
    except ServiceError:
        raise
    except Exception as error:
        log.info("unreadable .xlsx upload: %r", error)
        raise ServiceError(unreadable) from error
    finally:
        workbook.close()


def _bounded(rows, limits: Limits) -> list[list]:
    """Rows read while within the limits (one past ``limits.rows``, so that a caller can
    say there are too many); ServiceError past the cells or the time."""
    deadline = time.monotonic() + limits.seconds
    out, cells = [], 0
    for row in rows:
        row = list(row)
        cells += len(row)
        if cells > limits.cells or time.monotonic() > deadline:
            raise _too_big(limits)
        out.append(row)
        if len(out) > limits.rows + 1:
            break
    return out


def _read_csv(data: bytes, limits: Limits) -> list[list]:
    # Excel's "Unicode text" is UTF-16 with a BOM; otherwise UTF-8 (BOM or not) or GBK
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ServiceError(_("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV。"))
    if "\x00" in text:
        raise ServiceError(_("文件内容不是文本表格，请上传 .xlsx 或 .csv 文件。"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        # newline="": a lone CR (old Mac files, a stray one in a cell) ends a line, as in
        # Excel, instead of failing the reader
        return _bounded(csv.reader(io.StringIO(text, newline=""), dialect), limits)
    except csv.Error as error:  # e.g. a cell of more than 128 kB
        log.info("unreadable .csv upload: %r", error)
        raise ServiceError(_("无法读取该 CSV 文件，请在 Excel 中打开检查后"
                             "另存为 .xlsx 或 .csv 再上传。")) from error
