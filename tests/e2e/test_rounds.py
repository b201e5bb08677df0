"""In Russian, on a 360 px phone, LAP's facilitator sets up a prioritisation round for the Vanj group,
enters the community's and the police's scores (which disagree), sees the disagreement marked in
words as well as colour, and records the group's decision: the chosen concerns become prioritised."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from hamkori.accounts.totp import current_code
from hamkori.concerns import services
from hamkori.concerns.models import Concern, Criterion, Driver, PrioritisationRound, Status
from hamkori.core.roles import Role
from tests import factories
from tests.conftest import PASSWORD, TOTP_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
LANGUAGE = {"ru": "Русский", "tg": "Тоҷикӣ"}
SIGN_IN = {
    "ru": (re.compile("Адрес электронной почты|Эл. почта", re.I), "Пароль", "Войти", "Код"),
    "tg": (re.compile("Суроғаи почтаи электронӣ"), "Парол", "Ворид шудан", "Рамз"),
}
TEXTS = [
    "Дорога к школе не освещена, дети возвращаются в темноте",
    "Молодёжь без работы собирается у рынка по вечерам",
    "Вербовщики подходят к молодым людям у мечети после пятничной молитвы",
]


def sign_in(page: Page, email: str, lang: str) -> None:
    email_label, password_label, button, code_label = SIGN_IN[lang]
    page.goto("/accounts/login/")
    page.get_by_role("button", name=LANGUAGE[lang]).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.get_by_label(code_label).fill(current_code(TOTP_SECRET))
    page.get_by_role("button", name=button).click()


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def shot(page: Page, name: str) -> None:
    """The whole page, and the page screen by screen (what a person sees, at a readable size)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"rounds-{name}.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    for n, top in enumerate(range(0, min(height, 740 * 8), 700)):
        page.evaluate(f"window.scrollTo(0, {top})")
        page.screenshot(path=str(SHOTS / f"rounds-{name}-{n}.png"))
    page.evaluate("window.scrollTo(0, 0)")


def enter_scores(page: Page, concerns: list[Concern], criteria: list[Criterion], values: list[int]) -> None:
    for concern, value in zip(concerns, values, strict=True):
        for criterion in criteria:
            label = page.locator(f"label:has(input[name='s-{concern.pk}-{criterion.pk}'][value='{value}'])")
            box = label.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44  # one thumb
            label.click()
            expect(label.locator("input")).to_be_checked()


def drive(browser: Browser, live_server: Any, setup: dict[str, Any], lang: str) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale=f"{lang}-TJ", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    code = setup["programme"].code
    concerns: list[Concern] = setup["concerns"]
    sign_in(page, setup["partner"].email, lang)
    page.goto(f"/p/{code}/rounds/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    fits(page)
    shot(page, f"{lang}-1-list")
    page.locator(f"a.button[href='/p/{code}/rounds/new/']").click()

    # Her one group is chosen already and its triaged concerns are offered; every criterion is ticked.
    expect(page.locator("#id_group")).to_have_value(str(setup["group"].pk))
    for concern in concerns:
        expect(page.locator(f"input[name=concerns][value='{concern.pk}']")).to_be_visible()
    expect(page.locator("input[name=criteria]:checked")).to_have_count(4)
    page.locator("#id_title").fill("Весна 2026")
    page.locator("#id_held_on").fill("2026-04-10")
    for concern in concerns:
        page.locator(f"label.pick:has(input[name=concerns][value='{concern.pk}'])").click()
    fits(page)
    shot(page, f"{lang}-2-create")
    page.locator("form.round-form > p > button[name=create]").click()
    expect(page).to_have_url(re.compile(rf"/p/{code}/rounds/\d+/$"))
    round_ = PrioritisationRound.objects.get()
    criteria = list(round_.criteria.order_by("order"))

    # The community: the school road first. The police: the recruiters first, the road last.
    expect(page.locator(".tabs a[aria-current=page]")).to_contain_text("0/12")
    enter_scores(page, concerns, criteria, [5, 3, 2])
    fits(page)
    shot(page, f"{lang}-3-community")
    page.locator("button.save-scores").click()
    expect(page.locator(".messages")).to_be_visible()
    page.locator(".tabs a[href*='stakeholder=police']").click()
    expect(page.locator(".tabs a[aria-current=page]")).to_have_attribute("href", re.compile("police"))
    enter_scores(page, concerns, criteria, [1, 3, 5])
    page.locator("button.save-scores").click()
    expect(page.locator(".tabs a[href*='stakeholder=police']")).to_contain_text("12/12")

    # The ranking marks the disagreement in words, not by colour alone.
    results = page.locator("#results")
    expect(results.locator(".disagree-summary")).to_be_visible()
    flagged = results.locator("tr.disagree")
    expect(flagged).to_have_count(2)
    for concern in (concerns[0], concerns[2]):
        row = results.locator("tr", has_text=concern.reference)
        expect(row.locator(".disagree-flag")).to_be_visible()
        expect(row.locator(".reasons li").first).to_be_visible()
    expect(results.locator("tr", has_text=concerns[1].reference).locator(".disagree-flag")).to_have_count(0)
    fits(page)
    results.scroll_into_view_if_needed()
    shot(page, f"{lang}-4-results")

    # The group takes up the school road and the recruiters.
    decide = page.locator("#decide")
    decide.locator(f"label:has(input[name=chosen][value='{concerns[0].pk}'])").click()
    decide.locator(f"label:has(input[name=chosen][value='{concerns[2].pk}'])").click()
    decide.locator("label:has(#id_confirm)").click()
    decide.locator("button[type=submit]").click()
    expect(page.locator("#decision")).to_be_visible()
    expect(page.locator("#scores")).to_have_count(0)
    expect(page.locator("#decide")).to_have_count(0)
    fits(page)
    shot(page, f"{lang}-5-decided")
    context.close()
    statuses = dict(Concern.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in concerns] == [Status.PRIORITISED, Status.TRIAGED, Status.PRIORITISED]


@pytest.fixture
def setup(programme: Any, place: Any, orgs: dict, users: dict) -> dict[str, Any]:
    services.vocabulary_ensure(
        actor=None, programme=programme, drivers=[("opportunities", "Имкониятҳо", "Возможности", "Opportunities")]
    )
    driver = Driver.objects.get(programme=programme, code="opportunities")
    group = factories.group(programme, place("TJ-GB-VANJ"), "ГКБ Ванҷ", owner=orgs["lap"])
    partner = users[Role.PARTNER]
    concerns = []
    for text in TEXTS:
        concern = services.concern_create(
            actor=partner, programme=programme, district=place("TJ-GB-VANJ"), description=text, language="ru"
        )
        concerns.append(
            services.concern_triage(actor=users[Role.STAFF], concern=concern, drivers=[driver], sensitivity="internal")
        )
    return {"programme": programme, "group": group, "partner": partner, "concerns": concerns}


@pytest.mark.parametrize("lang", ["ru"])
def test_a_facilitator_runs_a_round_on_a_phone(browser: Browser, live_server: Any, setup: dict, lang: str) -> None:
    drive(browser, live_server, setup, lang)
