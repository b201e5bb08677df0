"""Writing spreadsheets: XLSX (openpyxl) and CSV in UTF-8 with a byte-order mark (for Excel).

A :class:`Sheet` holds the header (in the user's language), optional HXL hashtags, the rows and
notes written after a blank row. :func:`render` gives the bytes of one format.

The data sheet is exactly the header and the rows, so that Excel's sort and filter work on it:

- **XLSX**: the HXL hashtags go on a sheet of their own, ``HXL`` (the header row, then the hashtag
  row), after the data sheets. Every text cell is written as an explicit string cell (``t="s"``),
  which a spreadsheet never evaluates, so a text that looks like a formula (``=cmd``, a phone number
  ``+992 ...``) is kept as it is, without an apostrophe.
- **CSV** has no cell types: every text cell that a spreadsheet would run as a formula (starting with
  ``= + - @``, a tab or a carriage return, also after leading blanks) is prefixed with ``'``
  (:func:`neutralise`). The HXL row is written under the header only on request (``hxl=True``; the
  export views' ``?hxl=1``), for HXL tools.

See docs/adr/0004-imports-and-exports.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from hamkori.kit.spreadsheets.reading import FORMATS, FORMULA_START

_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Any]]
    hxl: list[str] | None = None
    bold_rows: set[int] = field(default_factory=set)  # indexes into rows (help sheet section titles)
    notes: list[str] = field(default_factory=list)  # written under the rows, after a blank row


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value:
        stripped = value.lstrip()
        if value.startswith(FORMULA_START) or (stripped and stripped[0] in "=+-@"):
            return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    return value


def _cell_value(value: Any) -> Any:
    return neutralise(_plain(value))


def write_csv(sheet: Sheet, *, hxl: bool = False) -> bytes:
    """The sheet as CSV; its HXL row under the header only when ``hxl`` is asked for."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_value(v) for v in sheet.header])
    if sheet.hxl and hxl:
        writer.writerow([_cell_value(v) for v in sheet.hxl])
    for row in sheet.rows:
        writer.writerow([_cell_value(v) for v in row])
    if sheet.notes:
        writer.writerow([])
        writer.writerows([_cell_value(note)] for note in sheet.notes)
    return out.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def cell(ws: Any, value: Any, font: Any = None) -> Any:
        """One cell; text is always an explicit string cell, never a formula (no apostrophe needed)."""
        value = _plain(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        written = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            written.data_type = "s"
        if font is not None:
            written.font = font
        return written

    def clean_row(ws: Any, values: Sequence[Any], font: Any = None) -> list[Any]:
        return [cell(ws, v, font) for v in values]

    tagged: list[Sheet] = []
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, used))
        widths = [len(str(h)) for h in sheet.header]
        for row in sheet.rows[:200]:
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], min(len(str(value or "")), 60))
        for index, width in enumerate(widths):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(index + 1)].width = max(10, width + 2)
        ws.freeze_panes = "A2"
        ws.append(clean_row(ws, sheet.header, bold))
        if sheet.hxl:
            tagged.append(sheet)
        for index, row in enumerate(sheet.rows):
            ws.append(clean_row(ws, row, bold if index in sheet.bold_rows else None))
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                ws.append(clean_row(ws, [note]))
    for sheet in tagged:  # the hashtags, out of the way of sorting: the header, then its HXL row
        ws = book.create_sheet(_sheet_title("HXL", used))
        ws.append(clean_row(ws, sheet.header, bold))
        ws.append(clean_row(ws, sheet.hxl or []))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["CONTENT_TYPES", "FORMATS", "Sheet", "neutralise", "render", "write_csv", "write_xlsx"]


def render(sheets: Sequence[Sheet], fmt: str, *, hxl: bool = False) -> bytes:
    """CSV carries the first sheet only (and its HXL row when ``hxl``); XLSX always carries the
    HXL hashtags, on their own sheet."""
    if fmt == "csv":
        return write_csv(sheets[0], hxl=hxl)
    if fmt == "xlsx":
        return write_xlsx(sheets)
    raise ValueError(fmt)
