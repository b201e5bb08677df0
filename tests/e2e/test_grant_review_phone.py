"""On a 360 × 740 phone, in Russian: the lead's staff member asks two colleagues to review a grant application;
the first (LAP's facilitator) finds it on her home page, declares she has no conflict of interest, scores each
criterion by tapping large buttons, saves, submits; the second (another staff member) declares a conflict and is
blocked; the staff member screens the application for do-no-harm and approves it with the amount requested.
Selectors are ids, values and URLs, so the test holds once the new strings are translated. Screenshots in
/tmp/shots/reviews/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hamkori.core.roles import Role
from hamkori.grants import applications, calls
from hamkori.grants.models import ApplicationStatus, CampaignFormat, Conflict, Grant, Review, ScreeningQuestion
from hamkori.orgs.services import organisation_upsert
from hamkori.places.models import Place
from tests import factories

from .conftest import sign_in_ru

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/reviews")
APPLICANT = "Ҷамъияти ҷавонони Рованд"
#: Scores 5, 4, 3 with weights 3, 2, 1 on a scale to 5: 26 of 30 points (86,7 % in Russian).
TOTAL = re.compile(r"86[,.]7\s?%")


def world() -> dict[str, Any]:
    """A programme in Vanj; a blind call of 50 000 TJS with three weighted criteria; LAP's submitted application."""
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    lead = organisation_upsert(actor=None, kind="lead", name_en="Lead NGO", name_ru="Ведущая НКО")[0]
    lap = organisation_upsert(actor=None, kind="partner", name_en="Lawyers Association of Pamir")[0]
    programme = factories.programme(
        code="grants-e2e",
        title_en="Safer communities",
        title_ru="Безопасные общины",
        title_tg="Ҷамоатҳои бехатар",
        lead=lead,
        locations=[vanj],
        partners=[(lap, [vanj])],
    )
    people = {
        "staff": factories.user("staff@grants.example", programme=programme, role=Role.STAFF, organisation=lead),
        "partner": factories.user(
            "lap@grants.example", programme=programme, role=Role.PARTNER, organisation=lap, places=[vanj]
        ),
        "colleague": factories.user("staff2@grants.example", programme=programme, role=Role.STAFF, organisation=lead),
    }
    calls.vocabulary_ensure(actor=None, programme=programme)
    call = calls.call_save(
        actor=None,
        programme=programme,
        title="Маъракаҳои иттилоотӣ 2026",
        text="",
        currency="TJS",
        envelope="50000",
        max_grant="20000",
        deadline=timezone.now() + timezone.timedelta(days=20),
        districts=[vanj],
        applicant_kinds=[],
        languages=["tg", "ru"],
        blind_review=True,
        criteria=[
            ("Связь с проблемой безопасности", 3, "Решает ли кампания проблему, которую назвала рабочая группа?"),
            ("Выполнимость", 2, ""),
            ("Охват", 1, ""),
        ],
    )
    call = calls.call_set_status(actor=None, call=call, status="open")
    saved = applications.application_save(
        actor=people["partner"],
        call=call,
        client_key=uuid.uuid4(),
        draft=applications.Draft(
            applicant_name=APPLICANT,
            applicant_kind="youth",
            district=vanj,
            title="Передвижной театр о миграции",
            summary="Шесть спектаклей в кишлаках Ванча о безопасной миграции и о том, куда обращаться за помощью.",
            audience="Молодёжь и семьи мигрантов",
            formats=list(CampaignFormat.objects.filter(programme=programme, code="theatre")),
            languages=["tg", "ru"],
            starts_on=timezone.localdate() + timezone.timedelta(days=60),
            ends_on=timezone.localdate() + timezone.timedelta(days=150),
            budget=[("Костюмы и декорации", "7000"), ("Транспорт", "5000")],
        ),
    )
    application = applications.application_submit(actor=people["partner"], application=saved.application)
    return {"programme": programme, "call": call, "application": application, **people}


@pytest.fixture
def phones(browser: Browser, live_server: Any) -> Iterator[Any]:
    """Phones in Russian, 360 × 740; nothing may leave the server."""
    contexts: list[BrowserContext] = []
    outside: list[str] = []

    def guard(route: Any) -> None:
        if not route.request.url.startswith(live_server.url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def open_phone() -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale="ru-RU", viewport={"width": 360, "height": 740}, is_mobile=True
        )
        context.route("**/*", guard)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def big_enough(locator: Any, height: int = 44) -> None:
    locator.page.wait_for_load_state("load")  # measured once the page and its stylesheet have loaded
    box = locator.bounding_box()
    assert box is not None and box["height"] >= height and box["x"] >= 0 and box["x"] + box["width"] <= 360, box


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_two_reviewers_one_conflict_then_screening_and_approval_on_a_phone(phones: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    w = world()
    code, application = w["programme"].code, w["application"]
    base = f"/p/{code}/grants"
    criteria = list(w["call"].criteria.all())

    # Staff: the application's reviewers; two colleagues asked to review it.
    staff = phones()
    sign_in_ru(staff, w["staff"].email, factories.PASSWORD, factories.TOTP_SECRET)
    staff.goto(f"{base}/applications/{application.pk}/reviewers/")
    expect(staff.locator("html")).to_have_attribute("lang", "ru")
    expect(staff.locator("#reviewer-rows tbody tr[data-state]")).to_have_count(0)
    shot(staff, "1-staff-reviewers-empty")
    fits(staff)
    for who in ("partner", "colleague"):
        choice = staff.locator("#id_reviewer")
        big_enough(choice)
        choice.select_option(str(w[who].pk))
        staff.locator("#assign-reviewer button[type=submit]").click()
        expect(staff.locator(".messages")).to_contain_text(w[who].email)
    expect(staff.locator("#reviewer-rows tbody tr[data-state=assigned]")).to_have_count(2)
    expect(staff.locator("#id_reviewer option[value]:not([value=''])")).to_have_count(1)  # only herself is left
    shot(staff, "2-staff-reviewers-assigned")
    fits(staff)

    # Reviewer 1: the home page says a review waits; she opens it.
    first = phones()
    sign_in_ru(first, w["partner"].email, factories.PASSWORD, factories.TOTP_SECRET)
    expect(first).to_have_url(re.compile(rf"/p/{code}/$"))
    item = first.locator(f"#todo a[href='{base}/reviews/']")
    expect(item).to_have_count(1)
    item.click()
    review = Review.objects.get(application=application, reviewer=w["partner"])
    first.locator(f"#to-declare #review-{review.pk} a").click()
    expect(first).to_have_url(re.compile(rf"{base}/reviews/{review.pk}/$"))
    expect(first.locator("#proposal")).to_contain_text("Передвижной театр о миграции")
    expect(first.locator("#budget-total")).to_contain_text("TJS")
    assert APPLICANT not in first.content()  # a blind call
    expect(first.locator("#score-form")).to_have_count(0)
    shot(first, "3-reviewer-proposal-and-declaration")
    fits(first)
    no_conflict = first.locator("#conflict-choice label.pick", has=first.locator("input[value=none]"))
    big_enough(no_conflict)
    no_conflict.click()
    first.locator("#declare-button").click()
    expect(first.locator(".messages")).to_be_visible()

    # The scores: one card per criterion, a tap on a number; a comment; saved, then submitted.
    expect(first.locator("#score-form .score-card")).to_have_count(3)
    expect(first.locator(f"#criterion-{criteria[0].pk} .criterion-guidance")).to_contain_text("рабочая группа")
    shot(first, "4-reviewer-scores-empty")
    fits(first)
    for criterion, value in zip(criteria, (5, 4, 3), strict=True):
        button = first.locator(f"#criterion-{criterion.pk} .scale label", has=first.locator(f"input[value='{value}']"))
        big_enough(button)
        button.click()
        expect(button.locator("input")).to_be_checked()
    first.locator(f"#id_comment_{criteria[0].pk}").fill("Прямо отвечает на жалобы рабочей группы Ванча.")
    first.locator("#save-button").click()
    expect(first.locator(".messages")).to_be_visible()
    expect(first.locator(f"#criterion-{criteria[1].pk} input[value='4']")).to_be_checked()
    first.locator("#id_comment").fill("Хорошая заявка; бюджет реалистичен.")
    shot(first, "5-reviewer-scored")
    fits(first)
    submit = first.locator("#submit-button")
    big_enough(submit)
    submit.click()
    expect(first.locator("#weighted-total")).to_contain_text(TOTAL)
    expect(first.locator("#score-form")).to_have_count(0)
    shot(first, "6-reviewer-submitted")
    fits(first)

    # Reviewer 2: a conflict of interest, with the note it needs; the review is blocked.
    second = phones()
    sign_in_ru(second, w["colleague"].email, factories.PASSWORD, factories.TOTP_SECRET)
    blocked = Review.objects.get(application=application, reviewer=w["colleague"])
    second.goto(f"{base}/reviews/")
    second.locator(f"#to-declare #review-{blocked.pk} a").click()
    second.locator("#conflict-choice label.pick", has=second.locator("input[value=declared]")).click()
    second.locator("#declare-button").click()
    expect(second.locator(".error-summary")).to_be_visible()  # the note is required
    expect(second.locator("#id_conflict_note")).to_be_visible()
    shot(second, "7-conflict-needs-a-note")
    second.locator("#conflict-choice label.pick", has=second.locator("input[value=declared]")).click()
    second.locator("#id_conflict_note").fill("Руководитель группы — мой двоюродный брат.")
    second.locator("#declare-button").click()
    expect(second.locator("#blocked")).to_be_visible()
    expect(second.locator("#score-form")).to_have_count(0)
    shot(second, "8-conflict-blocked")
    fits(second)
    blocked.refresh_from_db()
    assert blocked.conflict == Conflict.DECLARED and not blocked.scores.exists()

    # Staff: the states, then the do-no-harm screening.
    staff.reload()
    expect(staff.locator("#reviewer-rows tr[data-state=submitted]")).to_contain_text(TOTAL)
    expect(staff.locator("#reviewer-rows tr[data-state=conflict]")).to_contain_text("двоюродный брат")
    shot(staff, "9-staff-reviewers-states")
    fits(staff)
    staff.locator(f"nav.tabs a[href$='/applications/{application.pk}/screening/']").click()
    questions = list(ScreeningQuestion.objects.filter(programme=w["programme"], active=True))
    expect(staff.locator("#screening-form .screening-card")).to_have_count(len(questions))
    for q in questions:
        answer = staff.locator(f"#id_question_{q.pk} label.pick", has=staff.locator("input[value=ok]"))
        big_enough(answer)
        answer.click()
    shot(staff, "10-staff-screening")
    fits(staff)
    staff.locator("#screening-save").click()
    expect(staff.locator("#screening-result")).to_be_visible()

    # The decision: approve with the amount requested (already filled in).
    staff.locator(f"nav.tabs a[href$='/applications/{application.pk}/decide/']").click()
    expect(staff.locator("#id_amount")).to_have_value("12000.00")
    approve = staff.locator("#id_decision label.pick", has=staff.locator("input[value=approve]"))
    big_enough(approve)
    approve.click()
    staff.locator("#id_reason").fill("Поздравляем: заявка одобрена.")
    shot(staff, "11-staff-decision")
    fits(staff)
    staff.locator("#decide-button").click()
    expect(staff.locator("#decision-outcome")).to_be_visible()
    expect(staff.locator("#envelope-left")).to_contain_text(re.compile(r"38\s000,00 TJS"))
    shot(staff, "12-staff-approved")
    fits(staff)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert Grant.objects.get(application=application).amount == Decimal("12000.00")

    # The call's ranking reads well on the phone.
    staff.goto(f"{base}/calls/{w['call'].pk}/ranking/")
    expect(staff.locator(f"#rank-{application.pk}")).to_contain_text(TOTAL)
    shot(staff, "13-staff-ranking")
    fits(staff)
