"""On a 360 × 740 phone, in Tajik and in Russian: a partner opens the attendance screen of a CWG meeting,
ticks members by tapping them, finds one more person by typing her name and adds her, saves and sees the
count; then fills a tally of the audience, role by role, and saves it. Screenshots in /tmp/ev-attend-*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hamkori.access.policy import grant_in
from hamkori.accounts.models import User
from hamkori.demo.services import build_demo
from hamkori.events import services as events
from hamkori.events.models import Attendance, AttendeeRole, EventKind, Tally
from hamkori.groups import services as groups
from hamkori.orgs.models import Organisation
from hamkori.people import services as people
from hamkori.places.models import Place
from hamkori.vault.services import PersonalData

from .conftest import sign_in_ru
from .test_membership_phone import sign_in_in_tajik

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBERS = ["Гулрухсор Давлатова", "Ширин Назарова", "Фаррух Шоев", "Парвина Ҳакимова", "Далер Бобоев"]
OUTSIDER = "Меҳринисо Қурбонова"


def world() -> dict[str, Any]:
    demo = build_demo()
    account = next(a for a in demo.accounts if a.role == "partner")
    grant = grant_in(User.objects.get(email=account.email), demo.programme)
    assert grant is not None
    organisation = Organisation.objects.get(pk=grant.organisation_id)
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    group = groups.group_create(
        actor=None, programme=demo.programme, name="ГКБ Ванҷ (санҷиш)", district=vanj, owner=organisation
    )
    persons = {}
    for i, name in enumerate([*MEMBERS, OUTSIDER]):
        persons[name] = people.person_create(
            actor=None,
            programme=demo.programme,
            sex="male" if name in ("Фаррух Шоев", "Далер Бобоев") else "female",
            place=Place.objects.get(code="TJ-GB-VANJ-ROVAND"),
            birth_year=1980 + i,
            sectors=[],
            personal=PersonalData(full_name=name),
            owner=organisation,
        )
        if name != OUTSIDER:
            groups.membership_add(actor=None, group=group, person=persons[name], joined_on=dt.date(2024, 1, 10))
    events.vocabulary_ensure(actor=None, programme=demo.programme)
    day = timezone.localdate() - dt.timedelta(days=1)
    event = events.event_create(
        actor=None,
        programme=demo.programme,
        kind=EventKind.objects.get(programme=demo.programme, code="cwg-meeting"),
        title="Ҷаласаи ГКБ Ванҷ",
        starts_at=events.local_datetime(demo.programme, day, dt.time(10)),
        ends_at=events.local_datetime(demo.programme, day, dt.time(12)),
        place=vanj,
        organiser=organisation,
        groups=[group],
    )
    return {"demo": demo, "account": account, "event": event, "people": persons}


def fits(page: Page) -> None:
    """Nothing wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def big_enough(locator: Any) -> None:
    locator.page.wait_for_load_state("load")  # measured once the page and its stylesheet have loaded
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= 360, box


@pytest.mark.parametrize("lang", ["tg", "ru"])
def test_a_partner_ticks_members_adds_one_by_name_and_counts_an_audience(
    lang: str, page: Page, live_server: Any
) -> None:
    w = world()
    demo, account, event = w["demo"], w["account"], w["event"]
    page.set_viewport_size({"width": 360, "height": 740})
    if lang == "tg":
        sign_in_in_tajik(page, account.email, demo.password, account.totp_secret or "")
    else:
        sign_in_ru(page, account.email, demo.password, account.totp_secret)
    page.goto(f"/p/{demo.programme.code}/events/{event.pk}/attendance/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    shot = f"/tmp/ev-attend-{lang}"
    page.screenshot(path=f"{shot}-1-list.png", full_page=True)
    fits(page)

    # Tap three members; each tick shows the role (a CWG member by default) and the count follows.
    for name in MEMBERS[:3]:
        row = page.locator(".att-row", has_text=name)
        big_enough(row.locator("label.pick"))
        row.locator("label.pick").click()
        expect(row.get_by_role("checkbox")).to_be_checked()
    expect(page.locator("#att-count")).to_have_text("3")
    first = page.locator(".att-row", has_text=MEMBERS[0])
    role = first.locator("select[name^=role-]")
    expect(role).to_be_visible()
    cwg = AttendeeRole.objects.get(programme=demo.programme, code="cwg")
    expect(role).to_have_value(str(cwg.pk))
    expect(page.locator(".att-row", has_text=MEMBERS[4]).locator("select[name^=role-]")).to_be_hidden()
    page.screenshot(path=f"{shot}-2-ticked.png", full_page=True)

    # One more person, found by typing part of her name, tapped, and so added to the list.
    search = page.locator("#id_q")
    search.click()
    search.press_sequentially("Меҳринисо", delay=40)
    found = page.locator("#att-results label.pick", has_text=OUTSIDER)
    expect(found).to_be_visible()
    big_enough(found)
    page.screenshot(path=f"{shot}-3-search.png", full_page=True)
    found.click()
    added = page.locator("#att-added .att-row", has_text=OUTSIDER)
    expect(added.get_by_role("checkbox")).to_be_checked()
    expect(page.locator("#att-count")).to_have_text("4")
    fits(page)

    save = page.locator(".att-save button[type=submit]")
    big_enough(save)
    save.click()
    expect(page.locator(".messages")).to_contain_text("4")
    expect(page.locator("#att-count")).to_have_text("4")
    page.screenshot(path=f"{shot}-4-saved.png", full_page=True)
    saved = {a.person_id: a.role.code for a in Attendance.objects.filter(event=event).select_related("role")}
    assert saved == {
        **{w["people"][name].pk: "cwg" for name in MEMBERS[:3]},
        w["people"][OUTSIDER].pk: "community",
    }

    # The audience: a tally, typed cell by cell; another role's block opened by tapping it.
    page.locator(f"a[href$='/events/{event.pk}/tally/']").first.click()
    page.screenshot(path=f"{shot}-5-tally-empty.png", full_page=True)
    fits(page)
    community = AttendeeRole.objects.get(programme=demo.programme, code="community")
    police = AttendeeRole.objects.get(programme=demo.programme, code="police")
    women = page.locator(f"input[name='t-female-18-24-{community.pk}']")
    big_enough(women)
    women.click()
    women.press_sequentially("12")
    men = page.locator(f"input[name='t-male-25-35-{community.pk}']")
    men.click()
    men.press_sequentially("18")
    expect(page.locator("#tally-total")).to_have_text("30")
    block = page.locator("details.tally-role", has=page.locator(f"input[name='t-male-36-50-{police.pk}']"))
    block.locator("summary").click()
    officer = page.locator(f"input[name='t-male-36-50-{police.pk}']")
    officer.click()
    officer.press_sequentially("2")
    expect(page.locator("#tally-total")).to_have_text("32")
    page.screenshot(path=f"{shot}-6-tally.png", full_page=True)
    fits(page)
    page.locator(".tally-save button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("32")
    expect(page.locator("#tally-total")).to_have_text("32")
    page.screenshot(path=f"{shot}-7-tally-saved.png", full_page=True)
    assert sum(Tally.objects.filter(event=event).values_list("count", flat=True)) == 32

    # A negative number is refused, with the reason at the top and nothing saved.
    cell = page.locator(f"input[name='t-female-u18-{community.pk}']")
    cell.click()
    cell.press_sequentially("-4")
    page.locator(".tally-save button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(cell).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=f"{shot}-8-tally-error.png", full_page=True)
    assert sum(Tally.objects.filter(event=event).values_list("count", flat=True)) == 32
