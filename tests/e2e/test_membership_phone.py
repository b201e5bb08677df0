"""In Tajik, on a 360 px phone: the Vanj partner adds someone to a group by typing part of her name
and tapping her, then ends that membership on a chosen date after confirming, then undoes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hamkori.access.policy import grant_in
from hamkori.accounts.models import User
from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.groups import services as groups
from hamkori.groups.models import Membership
from hamkori.orgs.models import Organisation
from hamkori.people import services as people
from hamkori.places.models import Place
from hamkori.vault.services import PersonalData

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/picker-shots")


def sign_in_in_tajik(page: Page, email: str, password: str, secret: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Тоҷикӣ").click()
    page.get_by_label("Суроғаи почтаи электронӣ").fill(email)
    page.get_by_label("Парол").fill(password)
    page.get_by_role("button", name="Ворид шудан").click()
    page.get_by_label("Рамз").fill(current_code(secret))
    page.get_by_role("button", name="Ворид шудан").click()


def test_partner_adds_by_name_ends_with_a_date_and_undoes_on_a_phone(page: Page, live_server: Any) -> None:
    demo = build_demo()
    account = next(a for a in demo.accounts if a.role == "partner")
    grant = grant_in(User.objects.get(email=account.email), demo.programme)
    assert grant is not None
    organisation = Organisation.objects.get(pk=grant.organisation_id)
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    group = groups.group_create(
        actor=None, programme=demo.programme, name="ГКБ Ванҷ (санҷиш)", district=vanj, owner=organisation
    )
    zarina = people.person_create(
        actor=None,
        programme=demo.programme,
        sex="female",
        place=Place.objects.get(code="TJ-GB-VANJ-ROVAND"),
        birth_year=1994,
        sectors=[],
        personal=PersonalData(full_name="Зарина Мирзоева"),
        owner=organisation,
    )
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in_in_tajik(page, account.email, demo.password, account.totp_secret or "")
    page.goto(f"/p/{demo.programme.code}/groups/{group.pk}/")

    # The main action comes before the member list.
    page.locator("#add-member summary").click()
    search = page.locator("#id_person_search")
    search.click()
    search.press_sequentially("Зарина", delay=40)
    # The demo has a namesake: the code, age band and village tell them apart.
    expect(page.locator("label.pick", has_text="Зарина Мирзоева")).to_have_count(2)
    choice = page.locator("label.pick", has_text="Зарина Мирзоева").filter(has_text=zarina.code)
    expect(choice).to_contain_text("Рованд")
    box = choice.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "picker-results.png"))
    choice.click()
    expect(choice.get_by_role("radio")).to_be_checked()
    page.locator("#id_joined_on").fill("2026-10-01")
    page.locator("#add-member form[method=post] button[type=submit]:not([form])").click()
    expect(page.locator(".messages")).to_contain_text("Зарина Мирзоева")
    membership = Membership.objects.get(group=group, person=zarina)
    assert membership.joined_on == dt.date(2026, 10, 1)

    # End it: a confirmation page with her name and a date, then the group page says who left and offers Undo.
    page.locator("#members tr", has_text=zarina.code).locator("a.end-membership").click()
    expect(page.locator("main")).to_contain_text("Зарина Мирзоева")
    left = timezone.localdate() - dt.timedelta(days=3)
    page.locator("#id_left_on").fill(left.isoformat())
    page.screenshot(path=str(SHOTS / "end-confirm.png"))
    page.locator("main form button.danger").click()
    ended = page.locator("#ended")
    expect(ended).to_contain_text(f"Зарина Мирзоева ({zarina.code})")
    page.screenshot(path=str(SHOTS / "ended-undo.png"))
    membership.refresh_from_db()
    assert membership.left_on == left

    ended.get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text("Зарина Мирзоева")
    expect(page.locator("#members tr", has_text=zarina.code).locator("a.end-membership")).to_be_visible()
    membership.refresh_from_db()
    assert membership.left_on is None
