"""The programme's money, as a page and as the grants ledger (XLSX).

``overview(calls)`` gives what the money page shows: per call its envelope, what grants committed, what was
released and what is left, what was paid by the currency it was paid in; and the totals per currency of the
calls (amounts of different currencies are never added). ``ledger_rows(programme)`` lists every award and
every disbursement; ``ledger_totals(rows)`` adds them up per currency; ``workbook(rows, totals)`` writes them.
Both add the same stored amounts (``money.call_totals``), so the page and the ledger agree to the diram.

The workbook is written with openpyxl, as the kit's spreadsheets are (text as explicit string cells, never
formulas), with real numbers in two-decimal number formats and real dates, so that LibreOffice and Excel sort,
filter and add them."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from hamkori.events.services import local_date
from hamkori.grants.models import ZERO, Disbursement, Grant, GrantCall
from hamkori.grants.money import Totals, call_totals, places_of
from hamkori.programmes.models import Programme

AMOUNT_FORMAT = "#,##0.00"
RATE_FORMAT = "0.000000"
DATE_FORMAT = "yyyy-mm-dd"


# --- The money page ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallMoney:
    call: GrantCall
    totals: Totals


@dataclass
class CurrencyMoney:
    """The calls of one currency together."""

    currency: str
    envelope: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.envelope - self.committed

    @property
    def undisbursed(self) -> Decimal:
        return self.committed - self.disbursed


@dataclass
class Overview:
    calls: list[CallMoney]
    #: Per currency of the calls (envelope, committed, released).
    currencies: list[CurrencyMoney]
    #: What reached grantees, by the currency it was paid in (all calls).
    paid: dict[str, Decimal] = field(default_factory=dict)


def exact(value: Decimal, currency: str) -> Decimal:
    """``value`` with the currency's places (a sum read from SQLite carries more, all zeros)."""
    return value.quantize(Decimal(1).scaleb(-places_of(currency)))


def overview(calls: Sequence[GrantCall]) -> Overview:
    """The money page's figures for ``calls``, in a constant number of queries."""
    per_call = {
        pk: Totals(
            currency=t.currency,
            envelope=exact(t.envelope, t.currency),
            committed=exact(t.committed, t.currency),
            disbursed=exact(t.disbursed, t.currency),
            paid={c: exact(v, c) for c, v in t.paid.items()},
        )
        for pk, t in call_totals(list(calls)).items()
    }
    currencies: dict[str, CurrencyMoney] = {}
    paid: dict[str, Decimal] = {}
    rows = []
    for call in calls:
        totals = per_call[call.pk]
        rows.append(CallMoney(call, totals))
        sums = currencies.setdefault(call.currency, CurrencyMoney(call.currency))
        sums.envelope += totals.envelope
        sums.committed += totals.committed
        sums.disbursed += totals.disbursed
        for currency, value in totals.paid.items():
            paid[currency] = paid.get(currency, ZERO) + value
    return Overview(
        calls=rows,
        currencies=[currencies[c] for c in sorted(currencies)],
        paid={c: paid[c] for c in sorted(paid)},
    )


# --- The ledger -------------------------------------------------------------------------------------------
AWARD, TRANCHE = "award", "tranche"


@dataclass(frozen=True)
class LedgerRow:
    on: dt.date
    call: str
    number: str
    grantee: str
    district: str
    kind: str  # AWARD or TRANCHE
    tranche: int | None
    amount: Decimal
    currency: str
    paid_amount: Decimal | None = None
    paid_currency: str = ""
    rate: Decimal | None = None
    rate_on: dt.date | None = None
    reference: str = ""


@dataclass(frozen=True)
class LedgerTotals:
    awarded: dict[str, Decimal]
    released: dict[str, Decimal]
    paid: dict[str, Decimal]


def ledger_rows(programme: Programme) -> list[LedgerRow]:
    """Every award and every disbursement of the programme, oldest first. Two queries."""
    grants = Grant.objects.filter(programme=programme).select_related("call", "application", "district")
    rows = [
        LedgerRow(
            on=local_date(programme, g.created_at),
            call=g.call.title,
            number=g.number,
            grantee=g.application.applicant_name,
            district=g.district.name,
            kind=AWARD,
            tranche=None,
            amount=g.amount,
            currency=g.currency,
        )
        for g in grants
    ]
    payments = Disbursement.objects.filter(tranche__grant__programme=programme).select_related(
        "tranche__grant__call", "tranche__grant__application", "tranche__grant__district"
    )
    for p in payments:
        g = p.tranche.grant
        rows.append(
            LedgerRow(
                on=p.paid_on,
                call=g.call.title,
                number=g.number,
                grantee=g.application.applicant_name,
                district=g.district.name,
                kind=TRANCHE,
                tranche=p.tranche.number,
                amount=p.amount,
                currency=p.currency,
                paid_amount=p.paid_amount,
                paid_currency=p.paid_currency,
                rate=p.rate,
                rate_on=p.rate_on,
                reference=p.reference,
            )
        )
    rows.sort(key=lambda r: (r.on, r.number, r.kind != AWARD, r.tranche or 0))
    return rows


def ledger_totals(rows: Sequence[LedgerRow]) -> LedgerTotals:
    awarded: dict[str, Decimal] = {}
    released: dict[str, Decimal] = {}
    paid: dict[str, Decimal] = {}
    for row in rows:
        if row.kind == AWARD:
            awarded[row.currency] = awarded.get(row.currency, ZERO) + row.amount
        else:
            released[row.currency] = released.get(row.currency, ZERO) + row.amount
            if row.paid_amount is not None:
                paid[row.paid_currency] = paid.get(row.paid_currency, ZERO) + row.paid_amount
    return LedgerTotals(
        awarded={c: awarded[c] for c in sorted(awarded)},
        released={c: released[c] for c in sorted(released)},
        paid={c: paid[c] for c in sorted(paid)},
    )


def header() -> list[str]:
    return [
        _("Date"),
        _("Call"),
        _("Grant number"),
        _("Grantee"),
        _("District"),
        _("Kind"),
        _("Amount"),
        _("Currency"),
        _("Amount paid"),
        _("Paid in"),
        _("Rate"),
        _("Rate of"),
        _("Payment reference"),
    ]


#: Column widths, in characters.
WIDTHS = [12, 28, 14, 28, 16, 14, 16, 9, 16, 9, 12, 12, 20]


def _kind(row: LedgerRow) -> str:
    if row.kind == AWARD:
        return _("Award")
    return _("Tranche %(n)s") % {"n": row.tranche}


def workbook(rows: Sequence[LedgerRow], totals: LedgerTotals, *, title: str) -> bytes:
    """The ledger as XLSX: the header, one row per award and disbursement, a blank row, then the totals."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Ledger")
    bold = Font(bold=True)
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"

    def text(value: Any, font: Any = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))
        cell.data_type = "s"  # a string cell: a grantee typed as "=HYPERLINK(...)" stays text
        if font is not None:
            cell.font = font
        return cell

    def number(value: Decimal | None, fmt: str = AMOUNT_FORMAT, font: Any = None) -> WriteOnlyCell:
        if value is None:
            return text("")
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = fmt
        if font is not None:
            cell.font = font
        return cell

    def day(value: dt.date | None) -> WriteOnlyCell:
        if value is None:
            return text("")
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    ws.append([text(h, bold) for h in header()])
    for row in rows:
        ws.append(
            [
                day(row.on),
                text(row.call),
                text(row.number),
                text(row.grantee),
                text(row.district),
                text(_kind(row)),
                number(row.amount),
                text(row.currency),
                number(row.paid_amount),
                text(row.paid_currency),
                number(row.rate, RATE_FORMAT),
                day(row.rate_on),
                text(row.reference),
            ]
        )
    ws.append([])
    blank = [text("") for _ in range(5)]
    for label, sums in ((_("Total awarded"), totals.awarded), (_("Total released"), totals.released)):
        for currency, value in sums.items():
            ws.append([text(label, bold), *blank, number(value, font=bold), text(currency, bold)])
    for currency, value in totals.paid.items():
        ws.append([text(_("Total paid"), bold), *blank, text(""), text(""), number(value, font=bold), text(currency)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
