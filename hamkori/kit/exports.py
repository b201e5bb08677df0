"""Audited exports: rows for those allowed to see them, protected aggregates for everyone else.

- A row-level export is a :class:`~hamkori.kit.spreadsheets.Sheet` built by the app from
  ``visible_to(user)`` (personal data read from the vault in one call, where allowed).
- An aggregate export (donors, the public) goes through :func:`safe_table` (the disclosure control
  of :mod:`hamkori.core.disclosure`: small counts hidden, secondary suppression, totals dropped when
  no safe pattern with totals exists) and :func:`aggregate_sheet`; never finer than a district.
- :func:`send_export` records the audit event (who, format, rows, aggregate or not, filters), then
  sends the file: every export view ends with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from hamkori.core import audit
from hamkori.core.disclosure import DisclosureError, SafeTable, protect
from hamkori.kit.spreadsheets import CONTENT_TYPES, FORMATS, Sheet, render


class _HasPath(Protocol):
    path: str


P = TypeVar("P", bound=_HasPath)


def check_format(fmt: str) -> str:
    """``fmt`` when it is one of :data:`~hamkori.kit.spreadsheets.FORMATS`, else 404."""
    if fmt not in FORMATS:
        raise Http404
    return fmt


def wants_hxl(request: Any) -> bool:
    """``?hxl=1``: a CSV export with the HXL hashtag row under its header."""
    return request.GET.get("hxl") == "1"


def download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    """A file to save (never shown inline, never cached)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def record_export(
    *,
    actor: Any,
    programme: Any,
    action: str,
    fmt: str,
    rows: int,
    aggregate: bool,
    filters: dict[str, str] | None = None,
) -> None:
    """Every export is audited: who, when, which format, how many rows, aggregate or not."""
    summary: dict[str, Any] = {"format": fmt, "rows": rows, "aggregate": aggregate}
    if filters:
        summary["filters"] = filters
    audit.record(
        actor=actor,
        action=action,
        programme=programme,
        object_type="programmes.programme",
        object_id=str(programme.pk),
        object_repr=programme.code,
        summary=summary,
    )


def send_export(
    *,
    actor: Any,
    programme: Any,
    sheet: Sheet,
    fmt: str,
    action: str,
    name: str,
    aggregate: bool,
    filters: dict[str, str] | None = None,
    hxl: bool = False,
) -> HttpResponse:
    """Audit the export (who, format, rows, aggregate or not), then send the file, named
    ``<programme>-<name>-<today>.<fmt>``. ``hxl``: a CSV carries the HXL row under its header
    (the views pass ``?hxl=1``); an XLSX always has it, on its own sheet."""
    record_export(
        actor=actor,
        programme=programme,
        action=action,
        fmt=fmt,
        rows=len(sheet.rows),
        aggregate=aggregate,
        filters=filters,
    )
    return download(render([sheet], fmt, hxl=hxl), fmt, f"{programme.code}-{name}-{timezone.localdate().isoformat()}")


def district_of(path: str, locations: Sequence[P]) -> P | None:
    """The first of ``locations`` (places, longest path first) that ``path`` lies in."""
    for location in locations:
        if path.startswith(location.path):
            return location
    return None


def safe_table(counts: list[list[int]], rows: list[str], columns: list[str]) -> SafeTable:
    """Disclosure-controlled counts: with totals when a safe pattern exists, else without.
    Raises :class:`~hamkori.core.disclosure.DisclosureError` when nothing can be published."""
    try:
        return protect(counts, rows, columns)
    except DisclosureError:
        return protect(counts, rows, columns, show_totals=False)


def aggregate_sheet(title: str, table: SafeTable, hxl_measure: str) -> Sheet:
    """A district x female/male table as a sheet, with its HXL row and the note on hidden cells."""
    lines = table.as_rows(total_label=_("Total"), corner=_("District"))
    hxl = ["#adm2+name", f"{hxl_measure}+f", f"{hxl_measure}+m"]
    if table.has_totals:
        hxl.append(f"{hxl_measure}+total")

    def value(cell: str) -> Any:
        return int(cell) if cell.isdigit() else cell

    rows = [[line[0], *(value(c) for c in line[1:])] for line in lines[1:]]
    note = _("<5: hidden to protect small numbers; some hidden cells are larger.")
    return Sheet(title=title, header=lines[0], hxl=hxl, rows=rows, notes=[note])


def sex_index(sex: str) -> int | None:
    """The column of a female/male table (None for anything else)."""
    return {"female": 0, "male": 1}.get(sex)
