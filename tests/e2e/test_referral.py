"""In Russian, on a 360 px phone: the Vanj police liaison sees on the home page that a referral awaits
an answer, opens the inbox and the referral (the concern's description, never its restricted notes),
acknowledges it and answers. Selectors are ids and URLs, so the test holds once the new strings are
translated."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from hamkori.accounts.models import User
from hamkori.concerns import actions, services
from hamkori.concerns.models import Concern, Driver, Referral, Status
from hamkori.demo.concerns_data import DRIVERS
from hamkori.demo.services import build_demo
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
RESTRICTED = "Имя заявителя: СЕКРЕТ-7731"


def referred_concern(programme: Any) -> Referral:
    """A Vanj concern prioritised by the Vanj working group, with a joint action of the police and the
    group, referred to the police by the lead's staff (built through the services)."""
    services.vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    group = WorkingGroup.objects.filter(programme=programme, district=vanj).order_by("pk").first()
    police = Organisation.objects.get(kind="police", name_en="Vanj District Department of Internal Affairs")
    concern = services.concern_create(
        actor=None,
        programme=programme,
        description="Молодых людей, вернувшихся из миграции, задерживают на посту у моста без объяснений.",
        language="ru",
        district=vanj,
        drivers=[Driver.objects.get(programme=programme, code="police_mistrust")],
        restricted_notes=RESTRICTED,
        group=group,
    )
    Concern.objects.filter(pk=concern.pk).update(status=Status.PRIORITISED)  # the round's decision
    action = actions.action_create(
        actor=None,
        concern=concern,
        title="Встреча мигрантов с начальником поста",
        due_on=timezone.localdate() + dt.timedelta(days=20),
        owners=[police],
        group_owns=True,
    )
    return actions.referral_create(
        actor=None,
        concern=concern,
        organisation=police,
        message="Просим проверить жалобы и сообщить, какие меры приняты.",
        respond_by=timezone.localdate() + dt.timedelta(days=10),
        action=action,
    )


def test_the_liaison_acknowledges_and_answers_a_referral_in_russian(browser: Browser, live_server: Any) -> None:
    demo = build_demo()
    liaison = next(a for a in demo.accounts if a.role == "liaison")
    code = demo.programme.code
    referral = referred_concern(demo.programme)
    liaison_user = User.objects.get(email=liaison.email)
    waiting = (
        Referral.objects.visible_to(liaison_user).exclude(state=Referral.State.RESPONDED).count()
    )  # the demo's too
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Русский").click()
    page.get_by_label(re.compile("Адрес электронной почты|Эл. почта", re.I)).fill(liaison.email)
    page.get_by_label("Пароль").fill(demo.password)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(rf"/p/{code}/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # The home page: one referral awaits an answer, with a link to the inbox.
    inbox_url = f"/p/{code}/plan/inbox/"
    item = page.locator(f"#todo a[href='{inbox_url}']")
    expect(item).to_have_count(1)
    home_item = page.locator("#todo li", has=page.locator(f"a[href='{inbox_url}']"))
    expect(home_item.locator(".badge")).to_have_text(str(waiting))
    page.screenshot(path=str(SHOTS / "actions-liaison-home.png"), full_page=True)
    item.click()

    # The inbox: the referral, awaiting acknowledgement.
    expect(page).to_have_url(re.compile(re.escape(inbox_url)))
    rows = page.locator("#referrals tbody tr", has_text=referral.concern.reference)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(referral.concern.reference)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "actions-liaison-inbox.png"), full_page=True)
    rows.first.get_by_role("link", name=referral.concern.reference).click()

    # The referral: what is asked and the concern's description; never the restricted notes.
    expect(page.locator("#referral-message")).to_contain_text("Просим проверить жалобы")
    expect(page.locator("#concern-description")).to_contain_text("задерживают на посту")
    assert "СЕКРЕТ-7731" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    acknowledge = page.locator("#acknowledge")
    box = acknowledge.bounding_box()
    assert box is not None and box["height"] >= 44
    page.screenshot(path=str(SHOTS / "actions-liaison-referral.png"), full_page=True)
    acknowledge.click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("#acknowledge")).to_have_count(0)
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACKNOWLEDGED

    # The answer.
    page.locator("#id_response").fill("Проведена проверка; начальник поста встретится с мигрантами в пятницу.")
    page.screenshot(path=str(SHOTS / "actions-liaison-answer.png"), full_page=True)
    page.locator("#respond").click()
    expect(page.locator("#referral-response")).to_contain_text("начальник поста встретится")
    expect(page.locator("#respond")).to_have_count(0)
    referral.refresh_from_db()
    assert referral.state == Referral.State.RESPONDED
    assert "СЕКРЕТ-7731" not in page.content()
    page.screenshot(path=str(SHOTS / "actions-liaison-answered.png"), full_page=True)

    # Back home: one referral fewer awaits an answer.
    page.goto(f"/p/{code}/")
    home_item = page.locator("#todo li", has=page.locator(f"a[href='{inbox_url}']"))
    expect(home_item).to_have_count(1)
    if waiting > 1:
        expect(home_item.locator(".badge")).to_have_text(str(waiting - 1))
    else:
        expect(home_item.locator(".badge")).to_have_count(0)
    context.close()
