"""Test scores and the participation summary on a 360 × 740 phone in Tajik: the Vanj partner types the
pre- and post-test scores of a training's participants (one save for all), then opens the participation
summary; the donor opens the same summary and sees small cells hidden ("<5"), never a name.

Screenshots go to ``/tmp/ev-summary-*.png`` for a person to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, expect

from hamkori.accounts.models import User
from hamkori.core.roles import Role
from hamkori.demo.services import build_demo
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, tally_save
from hamkori.events.models import Attendance, AttendeeRole, EventKind, TrainingTopic
from hamkori.people import services as people
from hamkori.places.models import Place
from hamkori.vault.services import PersonalData

from .test_phone_walk import HEIGHT, OVERFLOW_JS, TABLES_JS, WIDTH, session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp")
NAMES = [
    ("Зарина Мирзоева", "female", "18-24"),
    ("Мадина Шарипова", "female", "25-35"),
    ("Нилуфар Назарова", "female", "u18"),
    ("Фирӯза Қодирова", "female", "36-50"),
    ("Далер Саидов", "male", "18-24"),
    ("Шоҳрух Раҳимов", "male", "51-64"),
]
#: What the partner types (pre, post), in the order of the rows (the screen sorts by name).
SCORES = {"Далер Саидов": ("9", "15"), "Зарина Мирзоева": ("8", "16"), "Мадина Шарипова": ("11", "17")}


def build_world() -> Any:
    demo = build_demo()
    programme = demo.programme
    services.vocabulary_ensure(actor=None, programme=programme)
    partner = User.objects.get(email=next(a.email for a in demo.accounts if a.role == Role.PARTNER))
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    day = timezone.localdate() - dt.timedelta(days=3)
    training = services.event_create(
        actor=partner,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="training"),
        place=vanj,
        title="Омӯзиш: давраи амнияти ҷамоатӣ",
        starts_at=services.local_datetime(programme, day, dt.time(10)),
        ends_at=services.local_datetime(programme, day, dt.time(13)),
        topics=[TrainingTopic.objects.get(programme=programme, code="cycle")],
        test_max_score=20,
    )
    participants = [
        people.person_create(
            actor=partner,
            programme=programme,
            sex=sex,
            place=vanj,
            age_band=band,
            personal=PersonalData(full_name=name),
        )
        for name, sex, band in NAMES
    ]
    attendance_save(actor=partner, event=training, entries=[Entry(person=p.pk) for p in participants])
    role = AttendeeRole.objects.filter(programme=programme).order_by("order").first()
    assert role is not None
    tally_save(actor=partner, event=training, cells={("female", "25-35", role.pk): 18, ("male", "25-35", role.pk): 12})
    return demo, training


def new_page(browser: Browser, live_server: Any, user: User) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB")
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "tg", "url": live_server.url},
            session_cookie(user, live_server.url),
        ]
    )
    return context, context.new_page(), outside


def fits(page: Any, where: str) -> list[str]:
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    page.wait_for_load_state("load")  # measured with its stylesheet applied, not halfway through a redirect
    problems = []
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    if overflow:
        problems.append(f"{where}: wider than the screen, {overflow}")
    problems += [f"{where}: {item}" for item in page.evaluate(TABLES_JS, WIDTH)]
    return problems


def test_partner_scores_a_training_and_the_donor_sees_a_protected_summary(browser: Browser, live_server: Any) -> None:
    demo, training = build_world()
    code = demo.programme.code
    problems: list[str] = []

    # The partner: the scores screen, typed in on the phone's number pad, one save.
    partner = User.objects.get(email=next(a.email for a in demo.accounts if a.role == Role.PARTNER))
    context, page, outside = new_page(browser, live_server, partner)
    page.goto(f"/p/{code}/events/{training.pk}/scores/")
    problems += fits(page, "scores")
    rows = page.locator("#scores-form tbody tr")
    expect(rows).to_have_count(len(NAMES))
    page.screenshot(path=str(SHOTS / "ev-summary-scores-empty.png"), full_page=True)
    for name, (pre, post) in SCORES.items():
        row = rows.filter(has_text=name)
        row.locator("input[name^=pre-]").click()
        page.keyboard.type(pre)
        row.locator("input[name^=post-]").click()
        page.keyboard.type(post)
        assert row.locator("input[name^=pre-]").get_attribute("inputmode") == "numeric"
    # A post-test without a pre-test: refused, nothing saved, the error on top.
    lonely = rows.filter(has_text="Шоҳрух Раҳимов")
    lonely.locator("input[name^=post-]").fill("12")
    page.locator("#scores-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    page.screenshot(path=str(SHOTS / "ev-summary-scores-error.png"), full_page=True)
    assert not Attendance.objects.filter(event=training, pre_score__isnull=False).exists()
    # Typed values are kept; clear the lonely post-test and save.
    expect(rows.filter(has_text="Зарина Мирзоева").locator("input[name^=post-]")).to_have_value("16")
    page.locator("#scores-form tbody tr").filter(has_text="Шоҳрух Раҳимов").locator("input[name^=post-]").fill("")
    page.locator("#scores-form button[type=submit]").click()
    expect(page.locator(".messages .success")).to_be_visible()
    problems += fits(page, "scores saved")
    page.screenshot(path=str(SHOTS / "ev-summary-scores-saved.png"), full_page=True)
    saved = dict(
        Attendance.objects.filter(event=training, post_score__isnull=False).values_list("pre_score", "post_score")
    )
    assert saved == {9: 15, 8: 16, 11: 17}

    # Then the summary of her district on the training's day (the demo's other events are on other days).
    day = services.local_date(training.programme, training.starts_at).isoformat()
    page.goto(f"/p/{code}/events/summary/?district=TJ-GB-VANJ&start={day}&end={day}")
    problems += fits(page, "partner summary")
    expect(page.locator("#reached-named")).to_have_text("6")
    expect(page.locator("#reached-tallies")).to_have_text("30")
    expect(page.locator("#reached-total")).to_have_text("36")
    expect(page.locator("#women")).to_have_text("22")
    expect(page.locator("#young")).to_have_text("3")
    expect(page.locator("#summary-gain")).to_contain_text("+30")  # (15+16+17 - 9-8-11) / 3 / 20 = 33.3 %
    page.screenshot(path=str(SHOTS / "ev-summary-partner.png"), full_page=True)
    context.close()
    assert outside == []

    # The donor: the same summary, small cells hidden, no name anywhere.
    donor = User.objects.get(email=next(a.email for a in demo.accounts if a.role == Role.DONOR))
    context, page, outside = new_page(browser, live_server, donor)
    page.goto(f"/p/{code}/events/summary/?district=TJ-GB-VANJ")
    problems += fits(page, "donor summary")
    html = page.content()
    assert all(name not in html for name, _sex, _band in NAMES)
    assert page.locator(".suppressed.small").count() >= 3
    expect(page.locator(".disclosure-legend").first).to_be_visible()
    # The year of Vanj (the demo's events and this training): a protected total, never a count from 1 to 4.
    total = page.locator("#reached-total").inner_text().strip()
    assert total.isdigit() and int(total) >= 36, total
    assert page.locator("input[name=start]").count() == 0  # years and quarters only
    page.screenshot(path=str(SHOTS / "ev-summary-donor.png"), full_page=True)
    context.close()
    assert outside == []
    assert problems == []
