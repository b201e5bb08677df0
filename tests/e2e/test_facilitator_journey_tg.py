"""The facilitator's first day, in Tajik, on one 360 x 740 phone: invited, she sets up her second factor
on the same phone, lands on a home page that says what her Vanj group lacks, registers a person with
consent, adds someone already registered to the group by name, ends a membership on a chosen date after
confirming, and imports a sheet whose "Zarina Mirzoeva" is the registered "Зарина Мирзоева" ("same person").
No page is wider than the phone."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from hamkori.accounts import services as accounts
from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import Membership
from hamkori.people import services as people
from hamkori.people.importers import columns
from hamkori.people.models import Consent, Person, Sector
from hamkori.vault.services import PersonalData

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/journey-shots")
PASSWORD = "a-long-tajik-pass-phrase-2026"
WIDTH = 360


def totp(secret: str) -> str:
    """RFC 6238 as an authenticator app computes it: SHA-1, 30 seconds, 6 digits."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def tg(text: str, **values: Any) -> str:
    with translation.override("tg"):
        translated = gettext(text)
    assert translated != text, f"not translated into Tajik: {text!r}"
    return translated % values if values else translated


def on_phone(page: Page) -> None:
    """Every page: in Tajik, and nothing wider than the phone."""
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def write_sheet(path: Path, rows: list[dict[str, Any]]) -> None:
    """A workbook with Tajik column headers, as a facilitator fills it in."""
    with translation.override("tg"):
        labels = {c.key: str(c.label) for c in columns()}
    keys = ["full_name", "sex", "birth_year", "place"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([labels[k] for k in keys])
    for row in rows:
        sheet.append([row[k] for k in keys])
    workbook.save(path)


def test_invited_facilitator_first_day_in_tajik_on_a_phone(
    browser: Browser,
    live_server: Any,
    programme: Any,
    orgs: dict,
    place: Callable,
    make_user: Callable,
    tmp_path: Path,
) -> None:
    # --- State, through the services: a Vanj CWG with three men and no journalist; Zarina registered.
    sectors = {s.code: s for s in Sector.objects.all()}
    groups.balance_policy_update(
        actor=None,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=3,
        required_sectors=[sectors["journalist"]],
    )
    vanj, rovand = place("TJ-GB-VANJ"), place("TJ-GB-VANJ-ROVAND")
    lap = orgs["lap"]
    group = groups.group_create(actor=None, programme=programme, name="ГКБ Ванҷ", district=vanj, owner=lap)
    started = timezone.localdate() - dt.timedelta(days=90)
    men = {}
    for name, year in [("Давлат Назаров", 1960), ("Шодмон Ҷумъаев", 2001), ("Фаррух Қодиров", 1975)]:
        man = people.person_create(
            actor=None,
            programme=programme,
            sex="male",
            place=vanj,
            birth_year=year,
            personal=PersonalData(full_name=name),
            owner=lap,
        )
        men[name] = groups.membership_add(actor=None, group=group, person=man, joined_on=started)
    zarina = people.person_create(
        actor=None,
        programme=programme,
        sex="female",
        place=rovand,
        birth_year=1990,
        personal=PersonalData(full_name="Зарина Мирзоева"),
        owner=lap,
    )
    admin = make_user("admin@test.example", programme=programme, role=Role.ADMIN, organisation=orgs["lead"])
    issued = accounts.invitation_create(
        actor=admin,
        programme=programme,
        email="nigina@test.example",
        role=Role.PARTNER,
        organisation=lap,
        places=[vanj],
        display_name="Нигина",
        preferred_language="tg",
        base_url=live_server.url,
    )

    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": 740}, locale="tg-TJ", is_mobile=True
    )
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # --- 1. The invitation, her password, sign-in, the second factor on this phone.
    page.goto(issued.url)
    on_phone(page)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    on_phone(page)
    page.get_by_label("Суроғаи почтаи электронӣ").fill("nigina@test.example")
    page.get_by_label("Парол").fill(PASSWORD)
    page.get_by_role("button", name="Ворид шудан").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate"))
    on_phone(page)
    link = page.locator("#totp-link")
    expect(link).to_be_visible()
    key = page.locator("#totp-secret")
    expect(key).to_be_visible()
    secret = key.get_attribute("data-secret") or ""
    assert secret and f"secret={secret}" in (link.get_attribute("href") or "")
    # She reads the key off the screen into her authenticator app.
    assert key.inner_text().replace(" ", "").replace("\n", "") == secret
    page.locator("#id_code").fill(totp(secret))
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    on_phone(page)
    expect(page.locator("#recovery-codes li")).not_to_have_count(0)
    page.locator("#continue").click()

    # --- 2. Home: what her group lacks.
    expect(page).to_have_url(re.compile(rf"/p/{programme.code}/$"))
    on_phone(page)
    todo = page.locator("#todo")
    expect(todo.get_by_role("heading")).to_have_text(tg("What needs doing"))
    item = todo.locator(".todo-item", has_text="ГКБ Ванҷ")
    expect(item.get_by_role("link")).to_have_text(tg("%(group)s lacks:", group="ГКБ Ванҷ"))
    expect(item).to_contain_text(tg("women %(women)s of %(members)s (below %(min)s%%)", women=0, members=3, min=40))
    expect(item).to_contain_text(tg("no %(sector)s", sector=sectors["journalist"].name_tg.lower()))
    page.screenshot(path=str(SHOTS / "home-360.png"), full_page=True)

    # --- 3. Register a person with consent, into the group.
    item.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ГКБ Ванҷ")
    on_phone(page)
    page.get_by_text(tg("Add a member")).click()
    page.get_by_role("link", name=tg("Register a new person and add them to this group")).click()
    on_phone(page)
    page.locator("#id_full_name").fill("Малика Ҷӯраева")
    page.locator("input[name=sex][value=female]").check()
    page.locator("#id_birth_year").fill("1996")
    page.locator("#id_place").select_option(label="— Рованд")
    page.get_by_label(sectors["journalist"].name_tg, exact=True).check()
    page.locator("input[name=participation_consent][value=given]").check()
    page.locator("#id_consent_method").select_option("written")
    given_on = timezone.localdate() - dt.timedelta(days=1)
    page.locator("#id_consent_given_on").fill(given_on.isoformat())
    expect(page.locator("#id_consent_language")).to_have_value("tg")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#members")).to_contain_text("Малика Ҷӯраева")
    on_phone(page)
    known = [zarina.pk, *(m.person_id for m in men.values())]
    malika = Person.objects.exclude(pk__in=known).get()
    expect(page.locator("#members tr", has_text="Малика Ҷӯраева")).to_contain_text(malika.code)
    (consent,) = Consent.objects.filter(person=malika)
    assert (consent.purpose, consent.method, consent.language, consent.given_on) == (
        Consent.Purpose.PARTICIPATION,
        Consent.Method.WRITTEN,
        "tg",
        given_on,
    )
    assert Membership.objects.filter(group=group, person=malika, left_on=None).exists()

    # --- 4. Add someone already registered, by typing part of her name.
    page.get_by_text(tg("Add a member")).click()
    search = page.locator("#id_person_search")
    search.click()
    search.press_sequentially("Зарина", delay=40)
    choice = page.locator("label.pick", has_text="Зарина Мирзоева")
    expect(choice).to_have_count(1)
    expect(choice).to_contain_text(zarina.code)
    choice.click()
    expect(choice.get_by_role("radio")).to_be_checked()
    page.locator("#add-member form[method=post] button[type=submit]:not([form])").click()
    expect(page.locator(".messages")).to_contain_text("Зарина Мирзоева")
    on_phone(page)
    assert Membership.objects.filter(group=group, person=zarina, left_on=None).exists()

    # --- 5. End a membership on a chosen date, after confirming.
    davlat = men["Давлат Назаров"]
    page.locator("#members tr", has_text=davlat.person.code).locator("a.end-membership").click()
    expect(page.locator("main")).to_contain_text("Давлат Назаров")
    on_phone(page)
    left = timezone.localdate() - dt.timedelta(days=10)
    page.locator("#id_left_on").fill(left.isoformat())
    page.locator("main form button.danger").click()
    expect(page.locator("#ended")).to_contain_text(f"Давлат Назаров ({davlat.person.code})")
    on_phone(page)
    davlat.refresh_from_db()
    assert davlat.left_on == left

    # --- 6. Import a sheet: "Zarina Mirzoeva" is the registered Зарина Мирзоева.
    sheet = tmp_path / "одамон.xlsx"
    write_sheet(
        sheet, [{"full_name": "Zarina Mirzoeva", "sex": "зан", "birth_year": 1990, "place": "TJ-GB-VANJ-ROVAND"}]
    )
    page.get_by_role("navigation", name=tg("Main")).get_by_role("link", name=tg("People")).click()
    page.get_by_role("link", name=tg("Import from a spreadsheet")).click()
    on_phone(page)
    people_before = Person.objects.count()
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_role("button", name=tg("Check and import")).click()

    review = page.locator("#review")
    expect(review).to_be_visible()
    expect(page.get_by_role("heading", name=tg("Nothing was imported yet"))).to_be_visible()
    on_phone(page)
    assert Person.objects.count() == people_before, "nothing is written before the choice"
    row = review.locator("article", has_text="Zarina Mirzoeva")
    same = row.get_by_role("radio", name=re.compile(re.escape(zarina.code)))
    expect(same).to_be_visible()
    expect(row.get_by_role("radio", name=tg("A new person"))).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-decision-360.png"), full_page=True)
    same.check()
    # The same file again, with the choice.
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_role("button", name=tg("Import with these choices")).click()
    expect(page.locator(".import-ok")).to_be_visible()
    on_phone(page)
    assert Person.objects.count() == people_before, "the same person: nobody new"
    assert Person.objects.filter(merged_into=None).count() == people_before
    context.close()
