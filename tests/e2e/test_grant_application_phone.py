"""On a 360 × 740 phone: LAP's partner, in Russian, starts an application for a women's group, saves the draft,
comes back later (a new page load) from the call's applications, completes and submits it. And a member of the
public, in Tajik, fills the call's public form; the connection drops as she taps "Save draft" (the page says
so, nothing reaches the server); back online she reloads, finds what she typed filled in again, saves, and is
sent to her private address with the copy button. No page is wider than the phone. Screenshots in
/tmp/shots/calls/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hamkori.core.roles import Role
from hamkori.grants import calls
from hamkori.grants.models import Application
from tests.conftest import PASSWORD, TOTP_SECRET
from tests.grants.conftest import make_call

from .conftest import sign_in_ru

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/calls")
WIDTH = 360


def phone(browser: Browser, live_server: Any, locale: str) -> tuple[BrowserContext, list[str]]:
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": WIDTH, "height": 740}, is_mobile=True
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        if not route.request.url.startswith(live_server.url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    return context, outside


def fits(page: Page) -> None:
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_partner_starts_an_application_in_russian_and_submits_it_later(
    browser: Browser, live_server: Any, programme: Any, place: Any, users: dict
) -> None:
    calls.vocabulary_ensure(actor=None, programme=programme)
    call = make_call(programme, place, title="Кампании граждан 2027")
    code = programme.code
    context, outside = phone(browser, live_server, "ru-RU")
    page = context.new_page()
    sign_in_ru(page, users[Role.PARTNER].email, PASSWORD, TOTP_SECRET)
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.goto(f"/p/{code}/grants/")
    fits(page)
    shot(page, "partner-1-calls-ru")
    page.locator(f"#calls-open a[href='/p/{code}/grants/calls/{call.pk}/']").click()
    fits(page)
    shot(page, "partner-2-call-ru")
    page.locator(f"a[href='/p/{code}/grants/calls/{call.pk}/apply/']").first.click()
    fits(page)

    # A first go: who applies, the campaign's title, one budget line. Her only district is chosen already.
    page.locator("#id_applicant_name").press_sequentially("Женская группа Рованда")
    page.locator("#id_applicant_kind").select_option("women")
    expect(page.locator("#id_district")).to_have_value(str(place("TJ-GB-VANJ").pk))
    page.locator("#id_place").select_option(str(place("TJ-GB-VANJ-ROVAND").pk))
    page.locator("#id_title").press_sequentially("Передвижной театр о домашнем насилии")
    page.locator("#id_budget-0-item").press_sequentially("Костюмы")
    page.locator("#id_budget-0-amount").press_sequentially("3000")
    fits(page)
    shot(page, "partner-3-form-ru")
    page.locator(".save-bar button[value='save']").click()

    application = None
    for _attempt in range(50):
        application = Application.objects.filter(title="Передвижной театр о домашнем насилии").first()
        if application is not None:
            break
        page.wait_for_timeout(100)
    assert application is not None
    expect(page).to_have_url(re.compile(rf"/grants/applications/{application.pk}/edit/$"))
    expect(page.locator(".messages")).to_contain_text(application.reference)
    assert application.status == "draft" and application.amount == 3000
    fits(page)
    shot(page, "partner-4-saved-ru")
    signed_in = context.storage_state()
    context.close()

    # Later, on a new page load: from the call's applications to her draft, then on with it.
    context, more_outside = phone(browser, live_server, "ru-RU")
    context.add_cookies(signed_in["cookies"])
    page = context.new_page()
    page.goto(f"/p/{code}/grants/calls/{call.pk}/applications/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    fits(page)
    shot(page, "partner-5-list-ru")
    page.locator("#application-table").get_by_role("link", name=application.reference).click()
    expect(page).to_have_url(re.compile(rf"/grants/applications/{application.pk}/$"))
    fits(page)
    page.locator(f"#application-actions a[href$='/applications/{application.pk}/edit/']").click()
    expect(page.locator("#id_title")).to_have_value("Передвижной театр о домашнем насилии")
    expect(page.locator("#id_budget-0-amount")).to_have_value("3000.00")
    expect(page.locator("#draft-restored")).to_be_hidden()  # the server has it all: nothing to fill in again
    page.locator("#id_summary").press_sequentially("Десять спектаклей в сёлах Рованд и Джомардж.")
    page.locator("#id_audience").press_sequentially("Женщины и молодёжь, около 800 человек")
    page.locator("#id_formats input[value]").first.check()
    page.locator("#id_languages input[value='ru']").check()
    page.locator("#id_languages input[value='tg']").check()
    page.locator("#id_starts_on").fill("2027-02-01")
    page.locator("#id_ends_on").fill("2027-05-31")
    page.locator("#id_budget-1-item").press_sequentially("Транспорт")
    page.locator("#id_budget-1-amount").press_sequentially("2500,50")
    fits(page)
    shot(page, "partner-6-complete-ru")
    page.locator(".save-bar button[value='submit']").click()

    expect(page).to_have_url(re.compile(rf"/grants/applications/{application.pk}/$"))
    expect(page.locator("#application-status")).to_have_text(re.compile(r"\S"))
    application.refresh_from_db()
    assert application.status == "submitted"
    assert str(application.amount) == "5500.50"
    expect(page.locator("#budget-total")).to_contain_text("5")
    expect(page.locator("#budget-total")).to_contain_text("500,50 TJS")
    fits(page)
    shot(page, "partner-7-submitted-ru")
    context.close()
    assert outside == [] and more_outside == []


def test_a_public_applicant_in_tajik_keeps_her_draft_through_a_dropped_connection(
    browser: Browser, live_server: Any, programme: Any, place: Any
) -> None:
    calls.vocabulary_ensure(actor=None, programme=programme)
    call = make_call(programme, place, title="Маъракаҳои шаҳрвандӣ 2027")
    context, outside = phone(browser, live_server, "tg-TJ")
    page = context.new_page()
    page.goto(f"/apply/{call.public_key}/")
    page.get_by_role("button", name="Тоҷикӣ").click()
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    fits(page)
    shot(page, "public-1-call-tg")
    page.locator("#apply a").click()
    expect(page).to_have_url(re.compile(rf"/apply/{call.public_key}/form/$"))
    fits(page)
    first_key = page.locator("input[name='client_key']").input_value()

    page.locator("#id_applicant_name").press_sequentially("Ташаббуси ҷавонони Чоркӯҳ")
    page.locator("#id_applicant_kind").select_option("youth")
    page.locator("#id_district").select_option(str(place("TJ-SU-ISFARA").pk))
    # Choosing the district draws its jamoats and villages; what was typed stays.
    expect(page.locator("#id_place")).to_be_visible()
    expect(page.locator("#id_applicant_name")).to_have_value("Ташаббуси ҷавонони Чоркӯҳ")
    page.locator("#id_place").select_option(str(place("TJ-SU-ISFARA-CHORKUH").pk))
    page.locator("#id_title").press_sequentially("Видео дар бораи об ва ҳамсоягӣ")
    page.locator("#id_summary").press_sequentially("Се видео ва намоиш дар мактабҳо.")
    page.locator("#id_budget-0-item").press_sequentially("Камера (иҷора)")
    page.locator("#id_budget-0-amount").press_sequentially("4000")
    fits(page)
    shot(page, "public-2-form-tg")

    # The connection drops as she taps "Save draft": the page says so, and nothing reached the server.
    context.set_offline(True)
    page.locator(".save-bar button[value='save']").click()
    expect(page.locator("#draft-offline")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Видео дар бораи об ва ҳамсоягӣ")
    assert not Application.objects.exists()
    fits(page)
    shot(page, "public-3-offline-tg")

    # Back online, she reloads: a new form from the server, with what she typed filled in again.
    context.set_offline(False)
    page.reload()
    expect(page.locator("#draft-restored")).to_be_visible()
    expect(page.locator("#id_applicant_name")).to_have_value("Ташаббуси ҷавонони Чоркӯҳ")
    expect(page.locator("#id_title")).to_have_value("Видео дар бораи об ва ҳамсоягӣ")
    expect(page.locator("#id_summary")).to_have_value("Се видео ва намоиш дар мактабҳо.")
    expect(page.locator("#id_budget-0-amount")).to_have_value("4000")
    expect(page.locator("#id_district")).to_have_value(str(place("TJ-SU-ISFARA").pk))
    assert page.locator("input[name='client_key']").input_value() == first_key  # the same form, not a new one
    fits(page)
    shot(page, "public-4-restored-tg")

    page.locator(".save-bar button[value='save']").click()
    expect(page).to_have_url(re.compile(rf"/apply/{call.public_key}/d/[^/]+/$"))
    application = Application.objects.get()
    assert str(application.client_key) == first_key and application.owner is None
    assert application.title == "Видео дар бораи об ва ҳамсоягӣ" and application.amount == 4000
    expect(page.locator("#private-address")).to_be_visible()
    expect(page.locator("#private-url")).to_have_text(page.url)
    expect(page.locator("#private-address button[data-copy]")).to_be_visible()  # copy.js shows it
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("#draft-restored")).to_be_hidden()  # saved: the phone's copy is forgotten
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('hamkori.draft.')).length") == 0
    fits(page)
    shot(page, "public-5-private-address-tg")
    context.close()
    assert outside == []


def test_the_public_form_works_without_javascript(
    browser: Browser, live_server: Any, programme: Any, place: Any
) -> None:
    """A basic phone or a text browser: no script runs. The district's jamoats and more budget lines come with
    the form's own buttons, the draft is saved and continued at its private address, then submitted."""
    calls.vocabulary_ensure(actor=None, programme=programme)
    call = make_call(programme, place)
    context = browser.new_context(
        base_url=live_server.url,
        locale="ru-RU",
        viewport={"width": WIDTH, "height": 740},
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto(f"/apply/{call.public_key}/form/")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator("#id_applicant_name").fill("Инициативная группа Чоркуха")
    page.locator("#id_applicant_kind").select_option("youth")
    page.locator("#id_district").select_option(str(place("TJ-SU-ISFARA").pk))
    page.locator("#where button[name='_refresh']").click()
    page.locator("#id_place").select_option(str(place("TJ-SU-ISFARA-CHORKUH").pk))
    expect(page.locator("#id_applicant_name")).to_have_value("Инициативная группа Чоркуха")
    page.locator("#id_title").fill("Видео о воде и добрососедстве")
    page.locator("#budget button[name='_more']").click()
    expect(page.locator("[name^='budget-'][name$='-item']")).to_have_count(7)
    page.locator("#id_budget-6-item").fill("Аренда камеры")
    page.locator("#id_budget-6-amount").fill("4000")
    fits(page)
    shot(page, "nojs-1-form-ru")
    page.locator(".save-bar button[value='save']").click()
    expect(page).to_have_url(re.compile(rf"/apply/{call.public_key}/d/[^/]+/$"))
    expect(page.locator("#private-url")).to_have_text(page.url)
    expect(page.locator("#private-address button[data-copy]")).to_be_hidden()  # no script: the text to copy
    expect(page.locator("#draft-offline")).to_have_count(0)
    application = Application.objects.get()
    assert application.amount == 4000 and application.place is not None
    page.locator("#id_audience").fill("Молодёжь 15–25 лет")
    page.locator("#id_summary").fill("Три видео и показы в школах.")
    page.locator("#id_formats input[value]").first.check()
    page.locator("#id_languages input[value='ru']").check()
    page.locator("#id_starts_on").fill("2027-03-01")
    page.locator("#id_ends_on").fill("2027-06-30")
    page.locator(".save-bar button[value='submit']").click()
    expect(page.locator("#application-form")).to_have_count(0)
    application.refresh_from_db()
    assert application.status == "submitted"
    fits(page)
    shot(page, "nojs-2-submitted-ru")
    context.close()
