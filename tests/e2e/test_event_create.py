"""In Tajik, on a 360 × 740 phone: a partner records a training (kind, title, date and times, her district,
topics, the test's scale) by typing and tapping, finds it on the event page and in the month's calendar,
and its date and times come back into the edit form in Tajik and in Russian (a phone's date and time
fields drop a value they cannot read and show an empty field). No page is wider than the phone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.events import services
from hamkori.events.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp")
WIDTH = 360


def fits(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def sign_in(page: Page, email: str, password: str, secret: str, language: str) -> None:
    labels = {
        "tg": ("Тоҷикӣ", "Суроғаи почтаи электронӣ", "Парол", "Ворид шудан", "Рамз"),
        "ru": ("Русский", re.compile("Адрес электронной почты|Эл. почта", re.I), "Пароль", "Войти", "Код"),
    }[language]
    switch, email_label, password_label, button, code_label = labels
    page.goto("/accounts/login/")
    page.get_by_role("button", name=switch).click()
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    page.get_by_label(code_label).fill(current_code(secret))
    page.get_by_role("button", name=button).click()


def test_a_partner_records_a_training_on_her_phone(browser: Browser, live_server: Any) -> None:
    demo = build_demo()
    programme = demo.programme
    services.vocabulary_ensure(actor=None, programme=programme)
    partner = next(a for a in demo.accounts if a.role == "partner")
    day = services.local_date(programme, timezone.now()) + dt.timedelta(days=5)

    context = browser.new_context(
        base_url=live_server.url, locale="tg-TJ", viewport={"width": WIDTH, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, partner.email, demo.password, partner.totp_secret or "", "tg")
    expect(page).to_have_url(re.compile(rf"/p/{programme.code}/$"))

    # From the navigation to the list, then "Record an event".
    page.locator(f"nav a[href='/p/{programme.code}/events/']").first.click()
    fits(page, "tg")
    page.locator(f"a[href='/p/{programme.code}/events/new/']").first.click()
    fits(page, "tg")
    page.screenshot(path=str(SHOTS / "ev-pages-form-empty-tg.png"), full_page=True)

    # A meeting has no topics or test; a training has: the form shows them as the kind changes, in place.
    page.locator("#id_kind").select_option(label="Ҷаласаи гурӯҳи корӣ")
    expect(page.locator("#id_test_max_score")).to_be_hidden()
    page.locator("#id_kind").select_option(label="Омӯзиш")
    expect(page.locator("#id_test_max_score")).to_be_visible()  # a training: topics and the test's scale
    page.locator("#id_title").press_sequentially("Омӯзиши давраи амнияти ҷамоатӣ")
    page.locator("#id_starts_on").fill(day.isoformat())
    page.locator("#id_starts_time").fill("09:30")
    page.locator("#id_ends_time").fill("12:00")
    page.locator("#id_where").select_option(label="Ванҷ")
    expect(page.locator("#id_place")).to_be_visible()  # its jamoats and villages are offered
    # Only the district's part of the form was drawn again: what was typed is still there.
    expect(page.locator("#id_title")).to_have_value("Омӯзиши давраи амнияти ҷамоатӣ")
    expect(page.locator("#id_starts_time")).to_have_value("09:30")
    page.get_by_label("Давраи амнияти ҷамоатӣ").check()
    page.locator("#id_test_max_score").press_sequentially("20")
    page.locator("#id_venue").press_sequentially("Бинои ҷамоат")
    fits(page, "tg")
    page.screenshot(path=str(SHOTS / "ev-pages-form-filled-tg.png"), full_page=True)
    page.get_by_role("button", name="Нигоҳ доштан").click()

    event = Event.objects.get(title="Омӯзиши давраи амнияти ҷамоатӣ")
    expect(page).to_have_url(re.compile(rf"/events/{event.pk}/$"))
    fits(page, "tg")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Омӯзиши давраи амнияти ҷамоатӣ")
    expect(page.locator(".lead")).to_contain_text("09:30")
    expect(page.locator(".lead")).to_contain_text("12:00")
    expect(page.locator("main")).to_contain_text("Давраи амнияти ҷамоатӣ")
    page.screenshot(path=str(SHOTS / "ev-pages-detail-tg.png"), full_page=True)
    assert event.test_max_score == 20 and event.district is not None and event.district.code == "TJ-GB-VANJ"
    assert services.local_date(programme, event.starts_at) == day

    # The month's calendar lists it on its day, with its times, as a day list (not a grid).
    page.locator(".crumbs a").nth(1).click()
    fits(page, "tg")
    expect(page.locator("#calendar")).to_contain_text("09:30–12:00")
    page.locator("#calendar").get_by_role("link", name="Омӯзиши давраи амнияти ҷамоатӣ").click()
    expect(page).to_have_url(re.compile(rf"/events/{event.pk}/$"))
    page.go_back()
    page.screenshot(path=str(SHOTS / "ev-pages-calendar-tg.png"), full_page=True)

    # The edit form shows the date and times in Tajik ...
    page.goto(f"/p/{programme.code}/events/{event.pk}/edit/")
    fits(page, "tg")
    expect(page.locator("#id_starts_on")).to_have_value(day.isoformat())
    expect(page.locator("#id_starts_time")).to_have_value("09:30")
    expect(page.locator("#id_ends_time")).to_have_value("12:00")
    page.screenshot(path=str(SHOTS / "ev-pages-edit-tg.png"), full_page=True)
    signed_in = context.storage_state()
    context.close()

    # ... and in Russian, on a phone set to Russian (the same session: a code is used once).
    context = browser.new_context(
        base_url=live_server.url,
        locale="ru-RU",
        viewport={"width": WIDTH, "height": 740},
        is_mobile=True,
        storage_state=signed_in,
    )
    page = context.new_page()
    page.goto(f"/p/{programme.code}/events/{event.pk}/edit/")
    page.get_by_role("button", name="Русский").click()
    fits(page, "ru")
    expect(page.locator("#id_starts_on")).to_have_value(day.isoformat())
    expect(page.locator("#id_starts_time")).to_have_value("09:30")
    expect(page.locator("#id_ends_time")).to_have_value("12:00")
    page.screenshot(path=str(SHOTS / "ev-pages-edit-ru.png"), full_page=True)
    context.close()
