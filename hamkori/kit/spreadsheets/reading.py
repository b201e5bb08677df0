"""Safe reading of spreadsheets: the hardened intake every importer uses (docs/adr/0004).

An upload is one sheet: the first of an ``.xlsx`` workbook, or a ``.csv`` file in UTF-8 (with or
without a byte-order mark, separated by ``,`` or ``;``). A hostile file must not pin a worker:

- :class:`LimitedUploadHandler` refuses an upload while it streams in (declared length, then bytes);
- :func:`check_upload` checks extension, declared type and size;
- :func:`check_workbook_zip` inspects a workbook's zip before openpyxl opens it (parts, unpacked
  sizes declared and read, the shared strings table);
- :func:`read_table` counts every row read, empty ones too, stops at :data:`MAX_ROWS_READ` and after
  :data:`PARSE_SECONDS`; CSV lines have a maximum length.

Workbooks are read with ``data_only=False`` on purpose: with ``data_only=True`` openpyxl hands over a
formula's cached result, so ``=HYPERLINK(...)`` would slip through unseen. :func:`looks_like_formula`
tells a cell to refuse. Cells are turned into text and values with :func:`cell_text`,
:func:`parse_year`, :func:`parse_date` and :func:`split_list`; headers and vocabularies are compared
with :func:`norm` and matched in Tajik, Russian and English with :func:`choice_map`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils import translation
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
#: The rest of a multipart request around the file (the form's fields, boundaries, headers).
UPLOAD_OVERHEAD = 1024 * 1024
#: What an .xlsx may hold once unzipped, all parts together and any one part; checked from the
#: zip's declared sizes and again by reading (a zip may lie), before openpyxl parses anything.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_MEMBER_BYTES = 40 * 1024 * 1024
MAX_MEMBERS = 200
#: xl/sharedStrings.xml: 5,000 rows of 14 columns need at most 70,000 strings.
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 100_000
MAX_ROWS = 5000
#: Rows read at most, empty and hashtag rows included (a little slack for trailing blank rows).
MAX_ROWS_READ = MAX_ROWS + 100
MAX_COLUMNS = 60
#: A CSV line longer than this is refused (no cell of the template needs a tenth of it).
MAX_LINE_CHARS = 20_000
#: Reading a file stops with an error after this many seconds.
PARSE_SECONDS = 20.0
FORMATS = ("xlsx", "csv")
#: What browsers and operating systems report for the two formats (Windows says a CSV is an Excel file).
ACCEPTED_MIME = {
    "xlsx": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
        "application/x-zip-compressed",
        "application/octet-stream",
        "",
    },
    "csv": {
        "text/csv",
        "text/plain",
        "text/comma-separated-values",
        "text/x-csv",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "",
    },
}
LANGUAGES = ("tg", "ru", "en")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
# Excel serial numbers accepted as dates: 1990-01-01 .. 2100-12-31.
_SERIAL_RANGE = (32874, 73415)
Cell = Any  # str, int, float, date, datetime or None


def norm(value: Any) -> str:
    """Compare headers and vocabulary case- and space-insensitively, with any dash as ``-``."""
    text = unicodedata.normalize("NFC", str(value)).translate(_DASHES)
    return " ".join(text.casefold().split())


def choice_map(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """{normalised label in tg, ru or en, or the value itself: value} for a model's choices."""
    choices = list(choices)
    out: dict[str, str] = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            for value, label in choices:
                out[norm(label)] = value
    for value, _label in choices:
        out[norm(value)] = value
    return out


class FileRejected(Exception):
    """The file as a whole cannot be read (format, size, encoding, headers)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_of(filename: str) -> str:
    name = (filename or "").lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    raise FileRejected(
        _("Upload an Excel workbook (.xlsx) or a CSV file (.csv); other kinds of file are not accepted.")
    )


def check_upload(filename: str, size: int, content_type: str) -> str:
    """The format of an upload, or :class:`FileRejected` for a wrong extension, type or size."""
    fmt = format_of(filename)
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in ACCEPTED_MIME[fmt]:
        raise FileRejected(_("The file says it is %(type)s, not an Excel workbook or a CSV file.") % {"type": mime})
    if size > MAX_BYTES:
        raise FileRejected(_("The file is too large: at most 5 MB is accepted. Split it into several files."))
    if size == 0:
        raise FileRejected(_("The file is empty."))
    return fmt


def too_large_message() -> str:
    return _("The file is too large: at most 5 MB is accepted. Split it into several files.")


class LimitedUploadHandler(FileUploadHandler):
    """First of a request's upload handlers on the import page: stops reading the request as soon
    as it is known to be too large, from its declared length or from the bytes actually streamed
    (a request may not declare its length honestly), and says so in :attr:`stopped`.
    It passes every chunk on to Django's own handlers untouched."""

    def __init__(self, request: Any = None, limit: int = MAX_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.stopped = False

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        if content_length > self.limit + UPLOAD_OVERHEAD:
            self.stopped = True

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.stopped:
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.stopped = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _now() -> float:
    return time.monotonic()


def check_workbook_zip(data: bytes) -> None:
    """Refuse a workbook whose zip would be expensive to open, before openpyxl parses anything:
    too many parts, too much once unpacked (all parts, or any one part), or a shared-strings table
    too large or too long. Sizes are checked as the zip declares them, then again by reading each
    part with a bound (a zip can declare sizes it does not have)."""
    unreadable = _("This file could not be read as an Excel workbook (.xlsx).")
    strings_error = _(
        "The workbook holds too much text in its shared strings table: it cannot be read. Split it into several files."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(unreadable) from exc
    if len(infos) > MAX_MEMBERS:
        raise FileRejected(_("The workbook has too many parts to be a spreadsheet of people."))

    def is_strings(info: zipfile.ZipInfo) -> bool:
        return info.filename.lower().lstrip("/") == "xl/sharedstrings.xml"

    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES or any(i.file_size > MAX_MEMBER_BYTES for i in infos):
        raise FileRejected(too_large_message())  # a "zip bomb": small to upload, huge to open
    if any(is_strings(i) and i.file_size > MAX_SHARED_STRINGS_BYTES for i in infos):
        raise FileRejected(strings_error)
    total = 0
    try:
        for info in infos:
            strings = is_strings(info)
            limit = MAX_SHARED_STRINGS_BYTES if strings else MAX_MEMBER_BYTES
            size = count = 0
            tail = b""
            with archive.open(info) as member:
                while chunk := member.read(1024 * 1024):
                    size += len(chunk)
                    total += len(chunk)
                    if size > limit:
                        raise FileRejected(strings_error if strings else too_large_message())
                    if total > MAX_UNPACKED_BYTES:
                        raise FileRejected(too_large_message())
                    if strings:
                        window = tail + chunk
                        count += len(_SHARED_STRING.findall(window)) - len(_SHARED_STRING.findall(tail))
                        tail = window[-64:]
                        if count > MAX_SHARED_STRINGS:
                            raise FileRejected(strings_error)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise FileRejected(unreadable) from exc


def _xlsx_rows(data: bytes) -> Iterator[list[Cell]]:
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx)."))
    check_workbook_zip(data)
    try:
        # data_only=False on purpose: a formula must be seen (and refused), not replaced by its result.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx).")) from exc
    try:
        if not book.worksheets:
            raise FileRejected(_("The workbook has no sheet."))
        sheet = book.worksheets[0]
        try:
            for row in sheet.iter_rows(max_row=MAX_ROWS_READ + 2, max_col=MAX_COLUMNS):
                values: list[Cell] = []
                for cell in row:
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f" and not (
                        isinstance(value, str) and value.startswith("=")
                    ):
                        value = "=" + str(value or "")  # array and table formulas: still formulas
                    values.append(value)
                yield values
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx).")) from exc
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[Cell]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("The CSV file is not in UTF-8. In Excel choose \u201cSave as\u201d \u2192 \u201cCSV UTF-8\u201d.")
        ) from exc
    if "\x00" in text:
        raise FileRejected(_("This does not look like a CSV file."))
    if any(len(line) > MAX_LINE_CHARS for line in text.splitlines()):
        raise FileRejected(
            _("A line of the CSV file is too long: at most %(max)s characters are accepted.") % {"max": MAX_LINE_CHARS}
        )
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileRejected(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc


def read_table(fmt: str, data: bytes) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    """(headers, [(row number, cells)]) of the first sheet; at most :data:`MAX_ROWS` data rows.

    Every row read counts, empty ones too: reading stops after :data:`MAX_ROWS_READ` rows, and
    after :data:`PARSE_SECONDS` seconds."""
    if len(data) > MAX_BYTES:
        raise FileRejected(too_large_message())
    too_many = _("The file has more than %(max)s rows (empty rows count too). Split it into several files.") % {
        "max": MAX_ROWS
    }
    deadline = _now() + PARSE_SECONDS
    rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    header: list[str] | None = None
    body: list[tuple[int, list[Cell]]] = []
    for number, cells in enumerate(rows, start=1):
        if number > MAX_ROWS_READ + 1:  # the header, then at most MAX_ROWS_READ rows
            raise FileRejected(too_many)
        if _now() > deadline:
            raise FileRejected(_("The file took too long to read. Split it into several files."))
        if header is None:
            header = ["" if c is None else str(c) for c in cells]
            while header and not header[-1].strip():
                header.pop()
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if (
            not body
            and number == 2
            and all(c is None or (isinstance(c, str) and (not c.strip() or c.strip().startswith("#"))) for c in cells)
        ):
            continue  # an HXL hashtag row under the headers
        if len(body) >= MAX_ROWS:
            raise FileRejected(too_many)
        body.append((number, list(cells)))
    if not header:
        raise FileRejected(_("The file has no header row."))
    return header, body


# --- Checking cells ------------------------------------------------------------------------------
def looks_like_formula(text: str) -> bool:
    if not text:
        return False
    if text.startswith(FORMULA_START):
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in "=+-@"


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_year(value: Cell) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = cell_text(value)
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise ValueError


def parse_date(value: Cell) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise ValueError
    text = cell_text(value)
    if text.endswith(" 00:00:00"):
        text = text[: -len(" 00:00:00")]
    if _ISO_DATE.fullmatch(text):
        return dt.date.fromisoformat(text)
    if match := _DOTTED_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]
