"""A chart is a table first: ``kit/_chart.html`` always renders the counts as a table (screen readers,
no JavaScript, text browsers) and, where JavaScript runs, draws the same counts with Chart.js
(vendored in ``static/vendor/chartjs-4.6.1``, loaded by ``kit/_chart_scripts.html`` only on pages
that have a chart). The data reaches the script through ``json_script``: no inline script (CSP).

Build a :class:`Chart` from exact counts (:meth:`Chart.from_counts`, for the field's own scope) or
from a table protected by disclosure control (:meth:`Chart.from_table`, :meth:`Chart.from_series`,
for donors and the public). A protected chart draws only the published counts; hidden cells
("<5", "x") are left out of the drawing and the page says so, the table shows their marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from hamkori.core.disclosure import Cell, SafeSeries, SafeTable

__all__ = ["PALETTE", "Chart", "exact"]

#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442"]


def exact(value: int) -> Cell:
    """An exact count as a published cell (the field sees counts within its scope unprotected)."""
    return Cell(int(value), False)


@dataclass(frozen=True)
class Chart:
    """Counts by ``labels`` (rows: districts, drivers) and ``columns`` (series: stages, ...).

    ``cells[i][j]`` is the count of ``labels[i]`` in ``columns[j]``; totals are optional (a series
    of overlapping categories has none). ``stacked`` draws the columns as one bar per label."""

    id: str
    title: str
    corner: str
    labels: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell] = field(default_factory=list)
    column_totals: list[Cell] = field(default_factory=list)
    grand_total: Cell | None = None
    stacked: bool = False
    colors: Sequence[str] = ()
    protected: bool = False
    note: str = ""

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        *,
        id: str,
        title: str,
        corner: str,
        labels: Sequence[str],
        columns: Sequence[str],
        counts: Sequence[Sequence[int]],
        totals: bool = True,
        **options: Any,
    ) -> Chart:
        """Exact counts (``counts[i][j]``), with row, column and grand totals when ``totals``."""
        cells = [[exact(v) for v in row] for row in counts]
        if not totals:
            return cls(
                id=id, title=title, corner=corner, labels=list(labels), columns=list(columns), cells=cells, **options
            )
        row_totals = [exact(sum(row)) for row in counts]
        column_totals = [exact(sum(row[j] for row in counts)) for j in range(len(columns))]
        return cls(
            id=id,
            title=title,
            corner=corner,
            labels=list(labels),
            columns=list(columns),
            cells=cells,
            row_totals=row_totals,
            column_totals=column_totals,
            grand_total=exact(sum(sum(row) for row in counts)),
            **options,
        )

    @classmethod
    def from_table(cls, *, id: str, title: str, corner: str, table: SafeTable, **options: Any) -> Chart:
        """A table protected by :func:`hamkori.core.disclosure.protect`."""
        return cls(
            id=id,
            title=title,
            corner=corner,
            labels=list(table.rows),
            columns=list(table.columns),
            cells=[list(row) for row in table.cells],
            row_totals=list(table.row_totals),
            column_totals=list(table.column_totals),
            grand_total=table.grand_total,
            protected=True,
            **options,
        )

    @classmethod
    def from_series(
        cls,
        *,
        id: str,
        title: str,
        corner: str,
        column: str,
        series: SafeSeries,
        show_total: bool = True,
        **options: Any,
    ) -> Chart:
        """A one-way table protected by :func:`hamkori.core.disclosure.protect_series`, one label a row.
        ``show_total=False`` leaves its total out (categories that overlap add up to nothing meaningful)."""
        total = series.total if show_total else None
        return cls(
            id=id,
            title=title,
            corner=corner,
            labels=list(series.labels),
            columns=[column],
            cells=[[cell] for cell in series.cells],
            column_totals=[total] if total is not None else [],
            grand_total=None,
            protected=True,
            **options,
        )

    # --- reading (templates, the script) ---------------------------------------------------------
    @property
    def table_id(self) -> str:
        return f"{self.id}-table"

    @property
    def data_id(self) -> str:
        return f"{self.id}-data"

    @property
    def has_row_totals(self) -> bool:
        return bool(self.row_totals)

    @property
    def has_suppressed(self) -> bool:
        every = [c for row in self.cells for c in row] + self.row_totals + self.column_totals
        if self.grand_total is not None:
            every.append(self.grand_total)
        return any(c.suppressed for c in every)

    @property
    def fits_phone(self) -> bool:
        """One or two numbers a row: the table fits a phone's width as a table."""
        return len(self.columns) + (1 if self.row_totals else 0) <= 2

    @property
    def draws_totals(self) -> bool:
        """A protected table whose cells are mostly hidden draws its rows' totals instead (a drawing
        of a few scattered segments would mislead); the table still gives every published cell."""
        if not self.protected or not self.row_totals:
            return False
        body = [c for row in self.cells for c in row]
        hidden = sum(c.suppressed for c in body)
        shown = sum(1 for c in body if not c.suppressed and c.value)
        return hidden > shown and any(not c.suppressed and c.value for c in self.row_totals)

    @property
    def is_empty(self) -> bool:
        """No label, or every count zero: the page says so instead of drawing an empty frame."""
        return not any(c.suppressed or c.value for row in self.cells for c in row)

    def lines(self) -> list[tuple[str, list[Cell]]]:
        """Body rows as ``(label, cells)``, each with its row total last when there are row totals."""
        out = []
        for index, label in enumerate(self.labels):
            cells = list(self.cells[index])
            if self.row_totals:
                cells.append(self.row_totals[index])
            out.append((label, cells))
        return out

    @property
    def total_cells(self) -> list[Cell]:
        """The totals row (column totals, then the grand total), empty without column totals."""
        if not self.column_totals:
            return []
        return [*self.column_totals, *([self.grand_total] if self.grand_total is not None else [])]

    @property
    def data(self) -> dict[str, Any]:
        """What ``charts.js`` draws: published counts only (a hidden cell is ``null``)."""
        colors = list(self.colors) or PALETTE
        if self.draws_totals:
            return {
                "labels": self.labels,
                "stacked": False,
                "series": [
                    {
                        "label": _("Total"),
                        "color": PALETTE[0],
                        "data": [None if c.suppressed else c.value for c in self.row_totals],
                    }
                ],
            }
        return {
            "labels": self.labels,
            "stacked": self.stacked,
            "series": [
                {
                    "label": column,
                    "color": colors[j % len(colors)],
                    "data": [None if row[j].suppressed else row[j].value for row in self.cells],
                }
                for j, column in enumerate(self.columns)
            ],
        }
