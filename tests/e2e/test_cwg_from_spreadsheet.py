"""In Tajik: a partner sets up a CWG for Vanj from the spreadsheet template, sees that it is short of
women and of a religious leader, fixes it, and activates it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.people.importers import columns
from hamkori.people.models import Sector

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Eight people, two of them women; every required sector but the religious leader.
ROWS = [
    ("Манзура Шоҳмамадова", "зан", 1984, "TJ-GB-VANJ-ROVAND", "civil_society", "chair"),
    ("Давлатбек Мамадназаров", "мард", 1956, "TJ-GB-VANJ-VANJ", "elder", "member"),
    ("Шодмон Ҷумъаев", "мард", 1999, "TJ-GB-VANJ-VANJ", "youth_leader", "secretary"),
    ("Ғуломсахӣ Қудратов", "мард", 1979, "TJ-GB-VANJ-YAZGHULOM", "journalist", "member"),
    ("Нигина Ашӯрова", "зан", 1990, "TJ-GB-VANJ-TEKHARV", "teacher", "member"),
    ("Мубориз Ҳайдаров", "мард", 1971, "TJ-GB-VANJ", "business_owner", "member"),
    ("Фирӯз Назарбеков", "мард", 1988, "TJ-GB-VANJ-VODKHUD", "labour_migrant", "member"),
    ("Алишер Шаробов", "мард", 1965, "TJ-GB-VANJ-ZHOVID", "local_authority", "member"),
]
MACHINE = {
    "full_name": 0,
    "sex": 1,
    "birth_year": 2,
    "place": 3,
    "sectors": 4,
    "member_role": 5,
    "sector_represented": 4,
}


def tg(text: str) -> str:
    with translation.override("tg"):
        translated = gettext(text)
    assert translated != text, f"not translated into Tajik: {text!r}"
    return translated


def fill_template(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    with translation.override("tg"):
        label_to_key = {str(c.label).casefold(): c.key for c in columns()}
    header = [str(cell.value or "") for cell in sheet[1]]
    keys = [label_to_key.get(h.casefold()) for h in header]
    assert "full_name" in keys and "joined" in keys, header
    first = next(i for i in range(2, sheet.max_row + 2) if all(c.value in (None, "") for c in sheet[i]))
    for offset, row in enumerate(ROWS):
        for col, key in enumerate(keys, start=1):
            if key in MACHINE:
                sheet.cell(first + offset, col, row[MACHINE[key]])
            elif key == "joined":
                sheet.cell(first + offset, col, "2026-09-01")
    workbook.save(path)


def add_person(page: Page, name: str, sector_tg: str) -> None:
    page.get_by_text(tg("Add a member")).click()
    page.get_by_role("link", name=tg("Register a new person and add them to this group")).click()
    page.locator("#id_full_name").fill(name)
    page.locator("input[name=sex][value=female]").check()
    page.locator("#id_birth_year").fill("1992")
    page.locator("#id_place").select_option(label="— Рованд")
    page.get_by_label(sector_tg, exact=True).check()
    # She took the person's written consent to take part (date: today, language: the page's).
    page.locator("input[name=participation_consent][value=given]").check()
    page.locator("select[name=consent_method]").select_option("written")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#members")).to_contain_text(name)


def test_partner_sets_up_a_balanced_cwg_for_vanj_in_tajik(page: Page, live_server: Any, tmp_path: Path) -> None:
    demo = build_demo()
    partner = next(a for a in demo.accounts if a.role == "partner")
    sectors = {s.code: s for s in Sector.objects.all()}

    page.goto("/accounts/login/")
    page.get_by_role("button", name="Тоҷикӣ").click()
    page.get_by_label("Суроғаи почтаи электронӣ").fill(partner.email)
    page.get_by_label("Парол").fill(demo.password)
    page.get_by_role("button", name="Ворид шудан").click()
    page.get_by_label("Рамз").fill(current_code(partner.totp_secret or ""))
    page.get_by_role("button", name="Ворид шудан").click()

    page.get_by_role("navigation", name=tg("Main")).get_by_role("link", name=tg("Working groups")).click()
    page.get_by_role("link", name=tg("Set up a group")).click()
    page.locator("#id_name").fill("ГКБ-и нави Ванҷ")
    page.locator("#id_district").select_option(label="Ванҷ")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ГКБ-и нави Ванҷ")

    page.get_by_text(tg("Add a member")).click()
    page.get_by_role("link", name=tg("Import members from a spreadsheet")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=tg("Template (Excel, .xlsx)")).click()
    sheet = tmp_path / "members.xlsx"
    download.value.save_as(sheet)
    fill_template(sheet)
    page.locator("input[type=file]").set_input_files(str(sheet))
    expect(page.locator("select[name=group]")).to_have_value(re.compile(r"\d+"))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".import-ok")).to_be_visible()

    page.get_by_role("navigation", name=tg("Main")).get_by_role("link", name=tg("Working groups")).click()
    page.get_by_role("link", name="ГКБ-и нави Ванҷ").click()
    issues = page.locator("#balance-issues")
    with translation.override("tg"):
        women = gettext("women %(women)s of %(members)s (below %(min)s%%)") % {"women": 2, "members": 8, "min": 40}
        no_religious = gettext("no %(sector)s") % {"sector": sectors["religious_leader"].name_tg.lower()}
    expect(issues).to_contain_text(women)
    expect(issues).to_contain_text(no_religious)

    # Activating now is refused: a partner cannot justify starting below the minimums.
    page.locator("input[name=to_status][value=forming]").check()
    page.locator("#status-h ~ form button[type=submit], section:has(#status-h) button[type=submit]").first.click()
    expect(page.locator("#group-status")).to_have_text(tg("Forming"))
    page.locator("input[name=to_status][value=active]").check()
    page.locator("section:has(#status-h) button[type=submit]").click()
    expect(page.locator("#status-errors")).to_contain_text(women)
    expect(page.locator("#group-status")).to_have_text(tg("Forming"))

    add_person(page, "Мастона Ализода", sectors["religious_leader"].name_tg)
    add_person(page, "Зарина Қурбонова", sectors["womens_group"].name_tg)
    add_person(page, "Шабнам Абдуллоева", sectors["teacher"].name_tg)
    expect(page.locator("#balance-issues")).not_to_contain_text(no_religious)
    add_person(page, "Фотима Саидова", sectors["disability"].name_tg)
    expect(page.locator("#balance-issues")).to_have_count(0)
    expect(page.locator("#balance")).to_contain_text(tg("Balanced: the programme's targets are met."))

    page.locator("input[name=to_status][value=active]").check()
    page.locator("section:has(#status-h) button[type=submit]").click()
    expect(page.locator("#group-status")).to_have_text(tg("Active"))
