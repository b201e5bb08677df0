"""Issue 14, "Done when": the whole community security cycle in Russian, on 360 × 740 phones, each
person in their own browser.

1. A citizen, JavaScript off, reports a concern in Vanj on ``/report/`` and reads the receipt code.
2. The lead organisation's staff triage it: drivers, sensitivity "internal", the Vanj working group.
3. LAP's facilitator runs the group's prioritisation round: the community and the local authority
   score it high, the police low, the ranking marks the disagreement; the group takes it up.
4. Staff add an action owned by the group and the Vanj police, move the concern to planned and in
   progress, and refer it to the police.
5. The police liaison finds the referral in the inbox, acknowledges and answers it; none of the
   liaison's pages shows the reporter's contact or a restricted note.
6. The action is done; resolving is refused while a sign-off is missing (the reason names who); the
   facilitator signs off for the group, the liaison for the police; staff resolve and review it.
7. Staff publish a "what was done" note, the action's public wording and the Vanj public page, each
   after the do-no-harm check.
8. The citizen types the receipt code on ``/report/status/``: closed, with the note.
9. A visitor reads the Vanj public page: the action is there; no name, description or contact.

Accounts, programme, group and vocabulary come from the demo's services; everything after that is
typed and tapped. Screenshots: ``/tmp/shots/cycle-*.png``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hamkori.accounts.models import User
from hamkori.concerns import services
from hamkori.concerns.intake import normalize_code
from hamkori.concerns.models import Action, Concern, PublicStatus, Referral, Status
from hamkori.demo.concerns_data import DRIVERS
from hamkori.demo.services import build_demo
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.services import programme_update

from .conftest import sign_in_ru
from .test_phone_walk import OVERFLOW_JS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTH, HEIGHT = 360, 740

DESCRIPTION = "Возле моста в Рованде по ночам молодые люди из Ванча-7 боятся проходить мимо поста: ЖАЛОБА-ЛУНА-58."
WHERE = "Рованд, у моста"
CONTACT_NAME = "Сабоҳат Назарова-Тестова"
CONTACT_PHONE = "+992 93 555 40 81"
RESTRICTED = "Заявительница — соседка дежурного, ТАЙНА-9921"
ACTION_TITLE = "Встреча молодёжи с начальником поста и освещение моста"
REFERRAL_MESSAGE = "Просим проверить работу поста у моста и сообщить, какие меры приняты."
RESPONSE = "Проверка проведена; начальник поста проведёт встречу с молодёжью в пятницу."
PUBLIC_NOTE = "Милиция и рабочая группа провели встречу с молодёжью; у моста поставили два фонаря."
PUBLIC_WORDING = "Милиция и рабочая группа встретились с молодёжью и осветили мост"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"cycle-{name}.png"), full_page=True)


def fits(page: Page) -> None:
    """Nothing wider than the phone (the widest element named when something is), measured once the
    stylesheet is in (before it, any table is as wide as its text)."""
    page.wait_for_load_state("load")
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    assert overflow is None, f"{page.url}: {overflow}"


@pytest.fixture
def phones(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """Phones of their own (cookies, session), each in English until its person switches to Russian;
    nothing may leave the server; all closed at the end, whatever happened."""
    contexts: list[BrowserContext] = []
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def phone(*, javascript: bool = True) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-GB",
            viewport={"width": WIDTH, "height": HEIGHT},
            is_mobile=True,
            java_script_enabled=javascript,
        )
        context.route("**/*", guard)
        contexts.append(context)
        return context

    yield phone
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"


def ru(label: Any) -> str:
    with translation.override("ru"):
        return str(label)


def test_the_community_security_cycle_in_russian(phones: Callable[..., BrowserContext], live_server: Any) -> None:
    demo = build_demo()
    programme = programme_update(actor=None, programme=demo.programme, public_reports=True)
    services.vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    code = programme.code
    account = {a.role: a for a in demo.accounts}
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    group = WorkingGroup.objects.get(programme=programme, district=vanj)
    police = Organisation.objects.get(kind="police", name_en="Vanj District Department of Internal Affairs")
    today = timezone.localdate()

    # 1. The citizen: a basic phone, no JavaScript, Russian chosen on the page.
    page = phones(javascript=False).new_page()
    page.goto("/")
    page.locator("footer a[href='/report/']").click()
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator("#id_district").select_option(label=vanj.name_ru)
    page.locator("#id_description").fill(DESCRIPTION)
    page.locator("#id_location_text").fill(WHERE)
    page.locator("#id_contact_name").fill(CONTACT_NAME)
    page.locator("#id_contact_phone").fill(CONTACT_PHONE)
    page.locator("label[for=id_contact_consent]").click()
    fits(page)
    shot(page, "01-report")
    page.locator("main form button[type=submit]").click()
    receipt = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", receipt), receipt
    assert receipt not in page.url
    shot(page, "01-receipt")
    concern = Concern.objects.get(receipt_code=normalize_code(receipt))
    assert (concern.source, concern.district_id, concern.status) == ("public", vanj.pk, Status.REPORTED)
    concern_url = f"/p/{code}/concerns/{concern.pk}/"

    # 2. Staff triage it from the queue.
    staff = phones().new_page()
    sign_in_ru(staff, account["staff"].email, demo.password, account["staff"].totp_secret)
    staff.goto(f"/p/{code}/concerns/triage/")
    card = staff.locator("#queue > li", has_text=concern.reference)
    card.locator("a.button").click()
    expect(staff).to_have_url(re.compile(rf"/concerns/{concern.pk}/triage/$"))
    expect(staff.locator("#description")).to_contain_text("ЖАЛОБА-ЛУНА-58")
    staff.locator("#id_drivers label", has_text="Недоверие к милиции").click()
    staff.locator("#id_drivers label", has_text="Нехватка возможностей").click()
    staff.locator("#id_sensitivity").select_option("internal")
    staff.locator("#id_group").select_option(str(group.pk))
    staff.locator("#id_note").fill("Проверено с джамоатом: пост у моста в Рованде.")
    fits(staff)
    shot(staff, "02-triage")
    staff.locator("#triage-form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"/p/{code}/concerns/triage/$"))
    expect(staff.locator(".messages")).to_contain_text(concern.reference)
    # A restricted note on the timeline: the lead's eyes only.
    staff.goto(concern_url)
    staff.locator("#timeline textarea[name=text]").fill(RESTRICTED)
    staff.locator("#timeline label:has(input[name=restricted])").click()
    staff.locator("#timeline form button[type=submit]").click()
    expect(staff.locator("#timeline .timeline")).to_contain_text("ТАЙНА-9921")
    # The reporter's contact is there, for the lead's staff, one tap away (and each look audited).
    staff.locator("#restricted a[href*='contact=1']").click()
    expect(staff.locator("#reporter-contact")).to_contain_text(CONTACT_PHONE)
    concern.refresh_from_db()
    assert concern.status == Status.TRIAGED and concern.group_id == group.pk

    # 3. LAP's facilitator runs the Vanj group's round.
    partner = phones().new_page()
    sign_in_ru(partner, account["partner"].email, demo.password, account["partner"].totp_secret)
    partner.goto(f"/p/{code}/rounds/")
    partner.locator(f"a.button[href='/p/{code}/rounds/new/']").click()
    expect(partner.locator("#id_group")).to_have_value(str(group.pk))
    partner.locator("#id_title").fill("Весна: Ванч")
    partner.locator("#id_held_on").fill(today.isoformat())
    partner.locator(f"label.pick:has(input[name=concerns][value='{concern.pk}'])").click()
    shot(partner, "03-round-new")
    partner.locator("form.round-form > p > button[name=create]").click()
    expect(partner).to_have_url(re.compile(rf"/p/{code}/rounds/\d+/$"))
    for stakeholder, value in (("community", 5), ("police", 1), ("authority", 5)):
        partner.locator(f".tabs a[href*='stakeholder={stakeholder}']").click()
        expect(partner.locator(".tabs a[aria-current=page]")).to_have_attribute("href", re.compile(stakeholder))
        labels = partner.locator(f".score-card .scale label:has(input[value='{value}'])")
        for n in range(labels.count()):  # every criterion, one tap each
            labels.nth(n).click()
        expect(partner.locator(f".score-card input[value='{value}']:checked")).to_have_count(labels.count())
        partner.locator("button.save-scores").click()
        expect(partner.locator(".messages")).to_be_visible()
    results = partner.locator("#results")
    expect(results.locator(".disagree-summary")).to_be_visible()
    row = results.locator("tr", has_text=concern.reference)
    expect(row.locator(".disagree-flag")).to_be_visible()
    fits(partner)
    results.scroll_into_view_if_needed()
    shot(partner, "03-ranking")
    decide = partner.locator("#decide")
    decide.locator(f"label:has(input[name=chosen][value='{concern.pk}'])").click()
    decide.locator("label:has(#id_confirm)").click()
    decide.locator("button[type=submit]").click()
    expect(partner.locator("#decision")).to_contain_text(concern.reference)
    shot(partner, "03-decided")
    concern.refresh_from_db()
    assert concern.status == Status.PRIORITISED

    # 4. Staff plan a joint action, move the concern on, and refer it to the police.
    staff.goto(concern_url)
    staff.locator("details.add-action > summary").click()
    staff.locator("#id_action-title").fill(ACTION_TITLE)
    staff.locator("#id_action-due_on").fill((today + dt.timedelta(days=21)).isoformat())
    staff.locator(f"#id_action-owners label:has(input[value='{police.pk}'])").click()
    staff.locator("label[for=id_action-group_owns]").click()
    fits(staff)
    shot(staff, "04-action")
    staff.locator("details.add-action button[type=submit]").click()
    expect(staff.locator(".plan-actions")).to_contain_text(ACTION_TITLE)
    action = Action.objects.get(concern=concern)
    assert action.group_owns and list(action.ownerships.values_list("organisation", flat=True)) == [police.pk]
    for status in (Status.PLANNED, Status.IN_PROGRESS):
        staff.locator(f"#moves form:has(input[name=to_status][value='{status}']) button").click()
        expect(staff.locator("#concern-status")).to_have_text(ru(Status(status).label))
    staff.locator("details.refer > summary").click()
    staff.locator("#id_referral-organisation").select_option(str(police.pk))
    staff.locator("#id_referral-message").fill(REFERRAL_MESSAGE)
    staff.locator("#id_referral-respond_by").fill((today + dt.timedelta(days=10)).isoformat())
    staff.locator("#id_referral-action").select_option(str(action.pk))
    fits(staff)
    shot(staff, "04-refer")
    staff.locator("details.refer button[type=submit]").click()
    expect(staff.locator("#referral-rows")).to_contain_text(police.name_ru)
    referral = Referral.objects.get(concern=concern)

    # 5. The police liaison: the inbox, acknowledge, answer; never the contact or a restricted note.
    liaison = phones().new_page()
    secrets = (CONTACT_NAME, CONTACT_PHONE, "ТАЙНА-9921")

    def nothing_secret(where: str) -> None:
        html = liaison.content()
        for secret in secrets:
            assert secret not in html, f"the liaison's {where} shows {secret!r}"

    sign_in_ru(liaison, account["liaison"].email, demo.password, account["liaison"].totp_secret)
    expect(liaison).to_have_url(re.compile(rf"/p/{code}/$"))
    nothing_secret("home page")
    liaison.locator(f"#todo a[href='/p/{code}/plan/inbox/']").click()
    row = liaison.locator("#referrals tbody tr", has_text=concern.reference)
    expect(row).to_have_count(1)
    nothing_secret("inbox")
    fits(liaison)
    shot(liaison, "05-inbox")
    row.get_by_role("link", name=concern.reference).click()
    expect(liaison.locator("#referral-message")).to_contain_text(REFERRAL_MESSAGE)
    expect(liaison.locator("#concern-description")).to_contain_text("ЖАЛОБА-ЛУНА-58")
    nothing_secret("referral page")
    fits(liaison)
    shot(liaison, "05-referral")
    liaison.locator("#acknowledge").click()
    expect(liaison.locator("#acknowledge")).to_have_count(0)
    liaison.locator("#id_response").fill(RESPONSE)
    liaison.locator("#respond").click()
    expect(liaison.locator("#referral-response")).to_contain_text("начальник поста")
    nothing_secret("answered referral")
    shot(liaison, "05-answered")
    referral.refresh_from_db()
    assert referral.state == Referral.State.RESPONDED
    # The concern's own page, if the liaison opens it: no contact, no restricted note either.
    for url in (concern_url, f"{concern_url}?contact=1"):
        response = liaison.goto(url)
        assert response is not None and response.status in (200, 404), (url, response and response.status)
        nothing_secret(f"concern page ({url})")
    shot(liaison, "05-concern")
    liaison.goto(f"/p/{code}/plan/actions/{action.pk}/")
    nothing_secret("action page")

    # 6. Done, signed off by both, resolved, reviewed.
    staff.goto(concern_url)
    card = staff.locator(f"#action-{action.pk}")
    card.locator("details > summary").click()
    card.locator(f"#id_a{action.pk}-state").select_option("done")
    card.locator(f"#id_a{action.pk}-progress").fill("100")
    card.locator(f"#id_a{action.pk}-note").fill("Встреча прошла, фонари установлены.")
    card.locator("button[type=submit]").click()
    expect(staff.locator(f"#action-{action.pk} progress")).to_have_attribute("value", "100")
    why = staff.locator("#why-resolved")
    expect(staff.locator("#moves li:has(#why-resolved) button")).to_be_disabled()
    expect(why).to_contain_text(group.name)
    expect(why).to_contain_text(police.name_ru)
    expect(staff.locator("#missing-signoffs")).to_contain_text(police.name_ru)
    why.scroll_into_view_if_needed()
    shot(staff, "06-refused")
    # The button is disabled; a forged move is refused by the server too, with the same reason.
    token = staff.locator("#moves input[name=csrfmiddlewaretoken]").first.get_attribute("value") or ""
    forged = staff.request.post(
        f"{concern_url}move/",
        form={"csrfmiddlewaretoken": token, "to_status": Status.RESOLVED},
        headers={"Referer": f"{live_server.url}{concern_url}"},
    )
    assert forged.status == 422, forged.status
    assert police.name_ru in forged.text() and group.name in forged.text()
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS

    partner.goto(concern_url)
    group_form = partner.locator("#signoffs form.signoff-form", has_text=group.name)
    group_form.locator("textarea").fill("Группа согласна: вопрос решён.")
    shot(partner, "06-group-signoff")
    group_form.locator("button[type=submit]").click()
    expect(partner.locator("#signoffs .signed")).to_contain_text(group.name)

    staff.reload()
    expect(why).not_to_contain_text(group.name)
    expect(why).to_contain_text(police.name_ru)

    liaison.goto(f"/p/{code}/plan/referrals/{referral.pk}/")
    liaison.locator("#signoff textarea").fill("Милиция подтверждает: встреча проведена.")
    shot(liaison, "06-police-signoff")
    liaison.locator("#signoff button[type=submit]").click()
    expect(liaison.locator("#signoff")).to_have_count(0)
    nothing_secret("referral page after the sign-off")

    staff.reload()
    resolve = staff.locator(f"#moves form:has(input[name=to_status][value='{Status.RESOLVED}']) button")
    resolve.click()
    expect(staff.locator("#concern-status")).to_have_text(ru(Status.RESOLVED.label))
    review = staff.locator("#review form")
    review.locator("label:has(input[name=review-rating_before][value='2'])").click()
    review.locator("label:has(input[name=review-rating_after][value='4'])").click()
    review.locator("textarea[name=review-what_changed]").fill("Молодёжь снова ходит мимо поста вечером, мост освещён.")
    fits(staff)
    shot(staff, "06-review")
    review.locator("button[type=submit]").click()
    expect(staff.locator("#concern-status")).to_have_text(ru(Status.REVIEWED.label))
    expect(staff.locator("#review dl")).to_contain_text("4 / 5")

    # 7. Publishing: the note, the action's public wording, the district's page.
    staff.locator("#public-note details > summary").click()
    staff.locator("#public-note textarea").fill(PUBLIC_NOTE)
    staff.locator("#public-note label:has(input[type=checkbox])").click()
    shot(staff, "07-note")
    staff.locator("#public-note button[type=submit]:not([name=withdraw])").click()
    expect(staff.locator("#public-note blockquote")).to_contain_text("два фонаря")
    staff.locator(f"#action-{action.pk} .action-title a").click()
    staff.locator("#publish textarea").fill(PUBLIC_WORDING)
    staff.locator("#publish label:has(input[type=checkbox])").click()
    shot(staff, "07-wording")
    staff.locator("#publish button[type=submit]").click()
    expect(staff.locator("#action-facts")).to_contain_text(PUBLIC_WORDING)
    staff.goto(f"/p/{code}/concerns/publish/")
    staff.locator("#district-pages tr", has_text=vanj.name_ru).locator("a[href*='district=']").click()
    expect(staff.locator("#preview")).to_contain_text(PUBLIC_WORDING)
    for box in staff.locator(".checklist label").all():
        box.click()
    fits(staff)
    shot(staff, "07-district")
    staff.locator("button[name=do][value=publish]").click()
    expect(staff.locator(".messages")).to_be_visible()
    expect(staff.locator(".error-summary")).to_have_count(0)

    # 8. The citizen looks the code up: closed, with the note.
    page.goto("/report/status/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator("#id_code").fill(receipt)
    page.locator("main form button[type=submit]").click()
    closed = ru(PublicStatus.CLOSED.label)
    assert closed != "Closed", "the Russian catalogue names the public status"  # «Закрыта» in django.po
    expect(page.locator("#public-status")).to_have_text(closed)
    expect(page.locator("#public-note")).to_have_text(PUBLIC_NOTE)
    assert "ЖАЛОБА-ЛУНА-58" not in page.content()
    fits(page)
    shot(page, "08-status")

    # 9. A visitor reads the district's public page.
    visitor = phones().new_page()
    visitor.goto(f"/public/{code}/")
    visitor.get_by_role("button", name="Русский").click()
    expect(visitor.locator("html")).to_have_attribute("lang", "ru")
    visitor.locator(f"main a[href='/public/{code}/{vanj.code}/']").click()
    expect(visitor.locator(".public-action .public-text", has_text=PUBLIC_WORDING)).to_have_count(1)
    html = visitor.content()
    names = [u.display_name for u in User.objects.all() if u.display_name]
    for absent in [DESCRIPTION, "ЖАЛОБА-ЛУНА-58", WHERE, CONTACT_NAME, CONTACT_PHONE, RESTRICTED, ACTION_TITLE, *names]:
        assert absent not in html, f"the public page shows {absent!r}"
    fits(visitor)
    shot(visitor, "09-public")
