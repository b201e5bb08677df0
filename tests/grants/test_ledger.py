"""The grants ledger (XLSX) over real HTTP: every award and disbursement a row, with real numbers in a
two-decimal number format and real dates, text that looks like a formula kept as text, the totals per currency
equal to the money page's figures to the diram, audited as an export; opened with openpyxl and, where the
machine has LibreOffice, converted by it too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import awards
from hamkori.grants.ledger import AMOUNT_FORMAT, RATE_FORMAT
from tests.grants.money_helpers import awarded, build_money, url

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate() - dt.timedelta(days=1)
CENT = Decimal("0.01")


@pytest.fixture
def money(programme: Any, place: Any, grant_vocab: dict, users: dict) -> dict[str, Any]:
    built = build_money(programme, place, grant_vocab, users, TODAY)
    # A grantee whose name a spreadsheet would run as a formula.
    sly = awarded(built["tjs"], place, grant_vocab, users, amount="1000", name='=HYPERLINK("http://x.example","Гурӯҳ")')
    awards.agreement_sign(actor=None, grant=sly, signed_on=TODAY)
    awards.tranche_release(actor=None, tranche=sly.tranches.get(), paid_on=TODAY)
    built["sly"] = sly
    return built


def download(client: Any, programme: Any) -> bytes:
    response = client.get(url("grants_ledger", programme))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(
        rf'attachment; filename="{programme.code}-grants-ledger-\d{{4}}-\d{{2}}-\d{{2}}\.xlsx"', disposition
    )
    return response.content


def money_page_figures(client: Any, programme: Any) -> dict[tuple[str, str], Decimal]:
    """(what, currency) -> amount, as the money page states them (its ``data-amount`` attributes)."""
    html = client.get(url("grants_money", programme)).content.decode()
    figures: dict[tuple[str, str], Decimal] = {}
    for currency, row in re.findall(r'<tr id="total-(\w+)">(.*?)</tr>', html, re.S):
        committed, released = re.findall(r'data-amount="([\d.]+)"', row)
        figures[("awarded", currency)] = Decimal(committed)
        figures[("released", currency)] = Decimal(released)
    for currency, value in re.findall(r'<li id="paid-(\w+)" data-amount="([\d.]+)"', html):
        figures[("paid", currency)] = Decimal(value)
    return figures


def test_the_ledger_has_real_numbers_and_dates_and_adds_up_to_the_money_page(
    programme: Any, money: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    book = load_workbook(io.BytesIO(download(client, programme)))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "Date",
        "Call",
        "Grant number",
        "Grantee",
        "District",
        "Kind",
        "Amount",
        "Currency",
        "Amount paid",
        "Paid in",
        "Rate",
        "Rate of",
        "Payment reference",
    ]
    data = [r for r in rows[1:] if r[0].is_date]
    assert len(data) == 4 + 4  # four awards, four disbursements
    sums: dict[tuple[str, str], Decimal] = {}
    for row in data:
        assert isinstance(row[0].value, dt.datetime) and row[0].number_format == "yyyy-mm-dd"
        amount = row[6]
        assert amount.data_type == "n" and amount.number_format == AMOUNT_FORMAT, amount
        assert isinstance(amount.value, int | float)
        kind = "awarded" if row[5].value == "Award" else "released"
        sums[(kind, row[7].value)] = sums.get((kind, row[7].value), Decimal(0)) + Decimal(str(amount.value))
        if kind == "released":
            paid, rate = row[8], row[10]
            assert paid.data_type == "n" and paid.number_format == AMOUNT_FORMAT
            assert rate.data_type == "n" and rate.number_format == RATE_FORMAT
            sums[("paid", row[9].value)] = sums.get(("paid", row[9].value), Decimal(0)) + Decimal(str(paid.value))
        else:
            assert row[8].value is None and row[10].value is None
    # The sly grantee is text, never a formula.
    sly = next(r for r in data if r[2].value == money["sly"].number and r[5].value == "Award")
    assert sly[3].data_type == "s" and sly[3].value == '=HYPERLINK("http://x.example","Гурӯҳ")'
    # One payment in another currency: its rate and the rate's day are real cells.
    converted = next(r for r in data if r[2].value == money["grants"][2].number and r[5].value == "Tranche 1")
    assert Decimal(str(converted[10].value)) == Decimal("10.91545") and converted[11].is_date
    assert Decimal(str(converted[8].value)) == Decimal("27288.63") and converted[9].value == "TJS"

    totals = {
        (label, r[7].value if r[6].value is not None else r[9].value): Decimal(
            str(r[6].value if r[6].value is not None else r[8].value)
        )
        for r in rows
        for label in [
            {"Total awarded": "awarded", "Total released": "released", "Total paid": "paid"}.get(str(r[0].value))
        ]
        if label
    }
    for r in rows:
        if str(r[0].value).startswith("Total"):
            number = r[6] if r[6].value is not None else r[8]
            assert number.data_type == "n" and number.number_format == AMOUNT_FORMAT
    page = money_page_figures(client, programme)
    assert totals == {k: v.quantize(CENT) for k, v in sums.items()} == page
    assert page[("awarded", "TJS")] == Decimal("16000.55") and page[("paid", "TJS")] == Decimal("35288.93")
    event = AuditEvent.objects.get(action="grants.ledger.export")
    assert event.actor == users[Role.STAFF] and event.summary["rows"] == 8 and event.summary["aggregate"] is False


def test_libreoffice_reads_the_numbers_as_numbers(
    programme: Any, money: dict, users: dict, client_for: Any, tmp_path: Path
) -> None:
    """Where the machine has LibreOffice, it converts the ledger to CSV and reads the same amounts; without it,
    openpyxl's reading (above) is the check."""
    content = download(client_for(users[Role.ADMIN]), programme)
    book = load_workbook(io.BytesIO(content))
    assert book.worksheets[0]["G2"].data_type == "n"
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(content)
    subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true,false",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    lines = list(csv.reader((tmp_path / "ledger.csv").read_text("utf-8").splitlines()))
    amounts = [line[6] for line in lines[1:] if line and line[0][:1].isdigit()]
    assert amounts and all(re.fullmatch(r"[\d,]+\.\d{2}", a) for a in amounts), amounts


def test_only_the_lead_organisation_downloads_the_ledger(
    programme: Any, money: dict, users: dict, client_for: Any
) -> None:
    for who in (Role.PARTNER, Role.DONOR, Role.LIAISON, Role.GROUP_MEMBER):
        response = client_for(users[who]).get(url("grants_ledger", programme))
        assert response.status_code == 403 and b"PK" not in response.content[:2], who
    assert not AuditEvent.objects.filter(action="grants.ledger.export").exists()
    assert client_for(users[Role.ADMIN]).get(url("grants_ledger", programme)).status_code == 200
