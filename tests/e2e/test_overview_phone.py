"""The programme overview (as staff and as the donor) and a district's public page on a 360 × 740
phone in Tajik and Russian: the charts are drawn from the tables' data, the tables stay and fit the
screen, nothing is fetched from another host; without JavaScript the tables alone are there.

Screenshots go to ``/tmp/shots/overview-*.png`` for a person to look at. Actions go through their
services; statuses past triage are set directly (see ``tests/concerns/test_overview.py``)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser

from hamkori.accounts.models import User
from hamkori.concerns import actions, publication, services
from hamkori.concerns.models import Concern, Driver, Status
from hamkori.demo.concerns_data import DRIVERS
from hamkori.demo.services import build_demo
from hamkori.orgs.models import Organisation

from .test_phone_walk import HEIGHT, OVERFLOW_JS, TABLES_JS, WIDTH, session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
STATUSES = [
    Status.REPORTED,
    Status.TRIAGED,
    Status.PRIORITISED,
    Status.PLANNED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.REVIEWED,
    Status.NOT_ACTIONABLE,
]


def build_world() -> Any:
    demo = build_demo()
    programme = demo.programme
    rng = random.Random(14)
    services.vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    drivers = list(Driver.objects.filter(programme=programme).order_by("order"))
    districts = services.programme_districts(programme)
    police = Organisation.objects.filter(kind=Organisation.Kind.POLICE).first()
    today = timezone.localdate()
    for index, district in enumerate(districts):
        for n in range(6 + 5 * (index % 3)):
            concern = services.concern_create(
                actor=None,
                programme=programme,
                district=district,
                description=f"Нигаронӣ {n}",
                drivers=rng.sample(drivers, 1 + (n % 2)),
            )
            Concern.objects.filter(pk=concern.pk).update(status=rng.choice(STATUSES))
        for n in range(3 + 2 * (index % 2)):
            action = actions.action_create(
                actor=None,
                programme=programme,
                district=district,
                title=f"Амал {n}",
                due_on=today + dt.timedelta(days=rng.randint(-40, 40)),
                owners=[programme.lead_organisation],
            )
            state = rng.choice(["open", "in_progress", "done", "done"])
            if state != "open":
                actions.action_update(actor=None, action=action, state=state, progress=rng.choice([10, 40, 70]))
    vanj = next(d for d in districts if d.code == "TJ-GB-VANJ")
    lit = services.concern_create(
        actor=None, programme=programme, district=vanj, description="Роҳи мактаб торик", drivers=drivers[:2]
    )
    Concern.objects.filter(pk=lit.pk).update(status=Status.IN_PROGRESS)
    services.concern_publish_note(
        actor=None, concern=lit, text="Дар роҳи мактаб ду чароғ гузошта шуд.", do_no_harm_checked=True
    )
    for text, state, progress in (
        ("Милитсия ва ҷамоат дар роҳи мактаб чароғ мегузоранд", "in_progress", 60),
        ("Гурӯҳи корӣ бо ҷавонон дар бораи корҳои мавсимӣ вохӯрӣ мегузаронад", "done", 100),
    ):
        action = actions.action_create(
            actor=None,
            concern=lit,
            title="дохилӣ",
            due_on=today + dt.timedelta(days=25),
            owners=[o for o in (police, programme.lead_organisation) if o is not None][:1],
        )
        actions.action_update(actor=None, action=action, state=state, progress=progress)
        actions.action_publish(actor=None, action=action, public_text=text, do_no_harm_checked=True)
    publication.district_page_publish(
        actor=None,
        programme=programme,
        district=vanj,
        introduction="Гурӯҳи кории Ванҷ ҳар моҳ бо милитсия ва ҳукумат ҷамъ меояд.",
        do_no_harm_confirmed=True,
    )
    return demo


#: Console errors and page errors (a CSP refusal shows as one: "Refused to apply inline style ...").
ERRORS: list[str] = []


def new_page(
    browser: Browser, live_server: Any, language: str, user: User | None, outside: list[str], **options: Any
) -> Any:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB", **options
    )

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        cookies.append(session_cookie(user, live_server.url))
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda message: ERRORS.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: ERRORS.append(str(error)))
    return context, page


def check_fits(page: Any, where: str) -> list[str]:
    problems = []
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    if overflow:
        problems.append(f"{where}: wider than the screen, {overflow}")
    problems += [f"{where}: {item}" for item in page.evaluate(TABLES_JS, WIDTH)]
    return problems


def test_overview_and_public_page_on_a_phone(browser: Browser, live_server: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    demo = build_world()
    code = demo.programme.code
    ERRORS.clear()
    problems: list[str] = []
    outside: list[str] = []
    for role in ("staff", "donor"):
        user = User.objects.get(email=next(a.email for a in demo.accounts if a.role == role))
        for language in ("tg", "ru"):
            context, page = new_page(browser, live_server, language, user, outside)
            response = page.goto(f"/p/{code}/concerns/overview/")
            assert response is not None and response.status == 200
            page.wait_for_function("document.querySelectorAll('.chart[data-drawn]').length >= 3")
            charts = page.locator(".chart-figure").count()
            drawn = page.evaluate(
                "Array.from(document.querySelectorAll('.chart canvas')).filter(c => window.Chart.getChart(c)).length"
            )
            assert drawn == page.locator(".chart canvas").count() >= 3, (role, language, drawn, charts)
            assert page.locator("table.table").count() >= 3, "every chart keeps its table"
            problems += check_fits(page, f"{role}/{language} overview")
            page.screenshot(path=str(SHOTS / f"overview-{role}-{language}.png"), full_page=True)
            for index in range(drawn):  # each drawing on its own, as a phone shows it
                page.locator(".chart-figure").nth(index).evaluate("el => el.scrollIntoView({block: 'start'})")
                page.screenshot(path=str(SHOTS / f"overview-{role}-{language}-chart{index + 1}.png"))
            context.close()
    # Without JavaScript: the tables, and no empty chart box.
    user = User.objects.get(email=next(a.email for a in demo.accounts if a.role == "donor"))
    context, page = new_page(browser, live_server, "ru", user, outside, java_script_enabled=False)
    page.goto(f"/p/{code}/concerns/overview/")
    assert page.locator("table.table").count() >= 3
    assert page.locator(".chart").first.is_hidden()
    page.screenshot(path=str(SHOTS / "overview-donor-ru-nojs.png"), full_page=True)
    context.close()
    # The public page: anonymous, in Tajik and Russian, without JavaScript too.
    for language in ("tg", "ru"):
        context, page = new_page(browser, live_server, language, None, outside, java_script_enabled=False)
        response = page.goto(f"/public/{code}/TJ-GB-VANJ/")
        assert response is not None and response.status == 200
        body = page.locator("main").inner_text()
        assert "Милитсия ва ҷамоат дар роҳи мактаб чароғ мегузоранд" in body
        assert "Роҳи мактаб торик" not in body, "no description"
        assert "Vanj District Department" not in body and "ШКД" not in body, "owner kinds only"
        problems += check_fits(page, f"public/{language}")
        page.screenshot(path=str(SHOTS / f"overview-public-{language}.png"), full_page=True)
        page.goto(f"/public/{code}/")
        page.screenshot(path=str(SHOTS / f"overview-public-index-{language}.png"), full_page=True)
        context.close()
    # The staff's publishing page for Vanj.
    staff = User.objects.get(email=next(a.email for a in demo.accounts if a.role == "staff"))
    context, page = new_page(browser, live_server, "ru", staff, outside)
    page.goto(f"/p/{code}/concerns/publish/")
    problems += check_fits(page, "publish list")
    page.screenshot(path=str(SHOTS / "overview-publish-ru.png"), full_page=True)
    page.goto(f"/p/{code}/concerns/publish/?district=TJ-GB-VANJ")
    problems += check_fits(page, "publish Vanj")
    page.screenshot(path=str(SHOTS / "overview-publish-vanj-ru.png"), full_page=True)
    page.locator("#check-h").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / "overview-publish-vanj-ru-form.png"))
    # Publishing without ticking the checklist: refused, the reason at the top, nothing changed.
    page.locator("button[name=do][value=publish]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    page.screenshot(path=str(SHOTS / "overview-publish-vanj-ru-refused.png"))
    for box in page.locator(".checklist input[type=checkbox]").all():
        box.check()
    page.locator("button[name=do][value=publish]").click()
    page.wait_for_load_state()
    assert page.locator(".messages").is_visible() and not page.locator(".error-summary").count()
    context.close()
    assert outside == [], f"requests left the server: {outside}"
    # The refused publication answers 422, which the browser logs; nothing else may go wrong.
    assert [e for e in ERRORS if "422" not in e] == [], ERRORS
    assert problems == [], "\n".join(problems)
