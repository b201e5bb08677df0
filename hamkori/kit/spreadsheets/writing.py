"""Writing spreadsheets: XLSX (openpyxl) and CSV in UTF-8 with a byte-order mark (for Excel).

A :class:`Sheet` holds the header (in the user's language), an optional HXL hashtag row written under
it, the rows and notes written after a blank row. Every text cell that a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return, also after leading blanks) is
prefixed with ``'`` (:func:`neutralise`). :func:`render` gives the bytes of one format.
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


def _cell_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    return neutralise(value)


def write_csv(sheet: Sheet) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_value(v) for v in sheet.header])
    if sheet.hxl:
        writer.writerow(sheet.hxl)
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

    def clean(value: Any) -> Any:
        value = _cell_value(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, used))
        widths = [len(str(h)) for h in sheet.header]
        for row in sheet.rows[:200]:
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], min(len(str(value or "")), 60))
        for index, width in enumerate(widths):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(index + 1)].width = max(10, width + 2)
        ws.freeze_panes = "A3" if sheet.hxl else "A2"
        header = []
        for value in sheet.header:
            cell = WriteOnlyCell(ws, value=clean(value))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        if sheet.hxl:
            ws.append([clean(v) for v in sheet.hxl])
        for index, row in enumerate(sheet.rows):
            if index in sheet.bold_rows:
                cells = []
                for value in row:
                    cell = WriteOnlyCell(ws, value=clean(value))
                    cell.font = bold
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([clean(v) for v in row])
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                ws.append([clean(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["CONTENT_TYPES", "FORMATS", "Sheet", "neutralise", "render", "write_csv", "write_xlsx"]


def render(sheets: Sequence[Sheet], fmt: str) -> bytes:
    """CSV carries the first sheet only."""
    if fmt == "csv":
        return write_csv(sheets[0])
    if fmt == "xlsx":
        return write_xlsx(sheets)
    raise ValueError(fmt)
