"""In Russian, on a 360 px phone: programme staff open the triage queue, where a public submission
waits first; they categorise it (a driver, who is affected, the sensitivity, the jamoat, the working
group) and find it on the Vanj board among the triaged concerns."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from hamkori.accounts.totp import current_code
from hamkori.concerns import services
from hamkori.concerns.models import Concern, Status
from hamkori.demo.services import build_demo
from hamkori.groups import services as groups
from hamkori.places.models import Place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DRIVERS = [
    ("opportunities", "Набудани имкониятҳо", "Нехватка возможностей", "Lack of opportunities"),
    ("police_mistrust", "Нобоварӣ ба милитсия", "Недоверие к милиции", "Mistrust of police"),
]


def test_staff_triage_a_public_submission_and_see_it_on_the_board(browser: Browser, live_server: Any) -> None:
    demo = build_demo()
    staff = next(a for a in demo.accounts if a.role == "staff")
    programme = demo.programme
    services.vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    group = groups.group_create(actor=None, programme=programme, name="ГКБ Ванҷ (триаж)", district=vanj)
    older = services.concern_create(
        actor=None, programme=programme, district=vanj, description="Молодёжь без работы уезжает", language="ru"
    )
    public = services.concern_create(
        actor=None,
        programme=programme,
        district=vanj,
        description="Дорога к школе ночью не освещена, дети боятся <b>ходить</b>",
        language="ru",
        source="public",
    )

    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Русский").click()
    page.get_by_label(re.compile("Адрес электронной почты|Эл. почта", re.I)).fill(staff.email)
    page.get_by_label("Пароль").fill(demo.password)
    page.get_by_role("button", name="Войти").click()
    page.get_by_label("Код").fill(current_code(staff.totp_secret or ""))
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(rf"/p/{programme.code}/$"))

    # The queue: the public submission first, its text escaped, nothing wider than the phone.
    page.goto(f"/p/{programme.code}/concerns/triage/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    cards = page.locator("#queue > li")
    waiting = Concern.objects.filter(programme=programme, status=Status.REPORTED).count()  # the demo's too
    expect(cards).to_have_count(waiting)
    texts = cards.all_inner_texts()
    mine = next(i for i, text in enumerate(texts) if public.reference in text)
    assert mine < next(i for i, text in enumerate(texts) if older.reference in text)  # public submissions first
    expect(cards.nth(mine)).to_contain_text("<b>ходить</b>")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "pages-e2e-queue-ru.png"), full_page=True)

    cards.nth(mine).locator("a.button").click()
    expect(page).to_have_url(re.compile(rf"/concerns/{public.pk}/triage/$"))
    # Saving without a driver is refused with the reason, on the field.
    page.locator("#triage-form button[type=submit]").click()
    expect(page.locator("#id_drivers_error")).to_be_visible()
    page.locator("#id_drivers input[type=checkbox]").first.check()
    page.locator("#id_affected_groups input[type=checkbox]").first.check()
    page.locator("#id_sensitivity").select_option("internal")
    rovand = Place.objects.get(code="TJ-GB-VANJ-ROVAND")
    expect(page.locator("#id_place")).to_contain_text(rovand.name_ru)
    page.locator("#id_place").select_option(str(rovand.pk))
    page.locator("#id_group").select_option(str(group.pk))
    page.locator("#id_note").fill("Проверено с джамоатом.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "pages-e2e-triage-ru.png"), full_page=True)
    page.locator("#triage-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/p/{programme.code}/concerns/triage/$"))
    expect(page.locator(".messages")).to_contain_text(public.reference)
    expect(page.locator("#queue > li")).to_have_count(waiting - 1)
    concern = Concern.objects.get(pk=public.pk)
    assert concern.status == Status.TRIAGED and concern.group == group and concern.place is not None

    page.goto(f"/p/{programme.code}/concerns/board/?district=TJ-GB-VANJ")
    column = page.locator("#column-triaged")
    expect(column).to_contain_text(public.reference)
    triaged_here = Concern.objects.filter(programme=programme, district=vanj, status=Status.TRIAGED).count()
    expect(column.locator(".count")).to_have_text(str(triaged_here))
    expect(page.locator("#column-reported")).to_contain_text(older.reference)
    # On a phone the columns stack: each as wide as the page, one under the other.
    triaged, reported = column.bounding_box(), page.locator("#column-reported").bounding_box()
    assert triaged is not None and reported is not None
    assert triaged["y"] > reported["y"] and abs(triaged["x"] - reported["x"]) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "pages-e2e-board-ru.png"), full_page=True)
    context.close()
