"""In Russian, on a 360 × 740 phone: staff plan a grant's two tranches (the first when the agreement is signed,
the second when report 1 is approved) watching the sum follow what they type, record the signed agreement,
release the first tranche after checking the amount; the supporting partner sends report 1; staff approve it
and release the second; the programme's money page shows the figures. Every page fits the phone, every table
cell says which column it is."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from hamkori.core.roles import Role
from hamkori.grants import calls
from hamkori.grants.models import CampaignFormat, Disbursement, Grant, GrantReport, ScreeningQuestion
from tests.e2e.conftest import sign_in_ru
from tests.e2e.test_phone_walk import OVERFLOW_JS, TABLES_JS
from tests.factories import PASSWORD, TOTP_SECRET
from tests.grants.conftest import approve, make_application, make_call

#: How long a redrawn tranche sum may take (milliseconds).
SUM_WAIT = 15_000


def ru(msgid: str, **params: Any) -> str:
    """What the Russian pages say for ``msgid``."""
    with translation.override("ru"):
        text = translation.gettext(msgid)
    return text % params if params else text


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/money")
WIDTH, HEIGHT = 360, 740
#: 12 000,00 as Russian writes it (a no-break space between the thousands).
RU_12000 = re.compile(r"12\s000,00")


def phone(browser: Browser, live_server: Any) -> tuple[Any, Page, list[str]]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="ru-RU",
        viewport={"width": WIDTH, "height": HEIGHT},
        is_mobile=True,
        has_touch=True,
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context, context.new_page(), outside


def fits(page: Page, name: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.wait_for_load_state("load")
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    assert overflow is None, f"{name}: {overflow}"
    assert page.evaluate(TABLES_JS, WIDTH) == [], name
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_staff_and_a_partner_move_a_grants_money_on_their_phones(
    browser: Browser, live_server: Any, programme: Any, place: Any, users: dict
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    calls.vocabulary_ensure(actor=None, programme=programme)
    vocab = {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=programme)},
    }
    application = make_application(make_call(programme, place), place, vocab, actor=users[Role.PARTNER])
    approve(application, vocab, users[Role.STAFF])
    grant = Grant.objects.get(application=application)
    code = programme.code
    detail = f"/p/{code}/grants/awarded/{grant.pk}/"

    # Staff: the list, the grant, its tranches.
    staff_context, staff, staff_outside = phone(browser, live_server)
    sign_in_ru(staff, users[Role.STAFF].email, PASSWORD, TOTP_SECRET)
    staff.goto(f"/p/{code}/grants/awarded/")
    fits(staff, "01-list")
    staff.locator("#grant-table").get_by_role("link", name=grant.number).click()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    expect(staff.locator("#step-tranche-1")).to_contain_text(ru("The agreement is not signed yet."))
    fits(staff, "02-grant-awarded")
    staff.locator(f"#grant-actions a[href='{detail}tranches/']").click()
    amount_1, amount_2 = staff.locator("#id_amount-0"), staff.locator("#id_amount-1")
    expect(amount_1).to_have_value("12000.00")
    amount_1.fill("")
    amount_1.press_sequentially("7000")
    # The sum is redrawn by a round trip 400 ms after the last keystroke: on a loaded CI machine that took over
    # Playwright's 5 s once, so these wait up to SUM_WAIT.
    expect(staff.locator("#plan-sum")).to_contain_text(re.compile(r"5\s000,00 TJS"), timeout=SUM_WAIT)  # to plan
    staff.locator("#id_condition-0").select_option("signed")
    amount_2.tap()
    amount_2.press_sequentially("5000")
    staff.locator("#id_condition-1").select_option("report:1")
    expect(staff.locator("#plan-sum")).to_have_class(re.compile("ok-note"), timeout=SUM_WAIT)
    expect(staff.locator("#plan-sum")).to_contain_text(RU_12000)
    fits(staff, "03-plan")
    staff.locator("#plan-form button[type=submit]").tap()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    expect(staff.locator("#step-tranche-2")).to_contain_text(ru("released when report %(n)s is approved", n=1))

    # The signed agreement, then the first tranche, checked before it is released.
    staff.locator("#sign-link").tap()
    fits(staff, "04-sign")
    staff.locator("#sign-form button[type=submit]").tap()
    expect(staff.locator("#step-agreement")).to_contain_text(ru("Signed."))
    staff.locator("#release-1").tap()
    expect(staff.locator("#id_paid_currency")).to_have_value("TJS")
    staff.locator("#id_reference").press_sequentially("Банк 0042")
    fits(staff, "05-release-form")
    staff.locator("#release-form button[type=submit]").tap()
    expect(staff.locator("#confirm-paid")).to_contain_text(re.compile(r"7\s000,00 TJS"))
    assert not Disbursement.objects.exists()
    fits(staff, "06-release-confirm")
    staff.locator("#confirm-button").tap()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    expect(staff.locator("#step-tranche-1")).to_contain_text("Банк 0042")
    expect(staff.locator("#step-tranche-2")).to_contain_text(ru("Report %(n)s is not approved yet.", n=1))
    fits(staff, "07-first-released")

    # The partner sends report 1 from her phone.
    partner_context, partner, partner_outside = phone(browser, live_server)
    sign_in_ru(partner, users[Role.PARTNER].email, PASSWORD, TOTP_SECRET)
    partner.goto(detail)
    expect(partner.locator("#release-2")).to_have_count(0)
    partner.locator("#report-new").tap()
    partner.locator("#id_kind_0").check()  # interim
    partner.locator("#id_narrative").press_sequentially("Се намоиш дар деҳаҳои Ванҷ, 240 тамошобин.")
    partner.locator("#id_spent").press_sequentially("6500,50")
    fits(partner, "08-report")
    partner.locator("#report-form button[type=submit]").tap()
    expect(partner).to_have_url(re.compile(rf"{detail}$"))
    expect(partner.locator("#step-report-1")).to_contain_text(re.compile(r"6\s500,50 TJS"))
    fits(partner, "09-report-sent")
    assert GrantReport.objects.get(grant=grant).spent == Decimal("6500.50")

    # Staff approve it and release the second tranche; the money page shows it.
    staff.reload()
    staff.locator("#review-1").tap()
    staff.locator("#id_decision_0").check()  # approve
    fits(staff, "10-review")
    staff.locator("#review-form button[type=submit]").tap()
    expect(staff.locator("#step-report-1")).to_contain_text(ru("Approved"))
    staff.locator("#release-2").tap()
    staff.locator("#release-form button[type=submit]").tap()
    expect(staff.locator("#confirm-paid")).to_contain_text(re.compile(r"5\s000,00 TJS"))
    staff.locator("#confirm-button").tap()
    expect(staff.locator("#grant-released")).to_contain_text(RU_12000)
    fits(staff, "11-all-released")
    staff.goto(f"/p/{code}/grants/money/")
    totals = staff.locator("#total-TJS")
    expect(totals).to_contain_text(re.compile(r"50\s000,00 TJS"))  # the envelope
    expect(totals.locator("td").nth(1)).to_contain_text(RU_12000)  # committed
    expect(totals.locator("td").nth(2)).to_contain_text(RU_12000)  # released
    expect(totals.locator("td").nth(3)).to_contain_text(re.compile(r"38\s000,00 TJS"))  # left
    expect(staff.locator("#paid-TJS")).to_contain_text(RU_12000)
    fits(staff, "12-money")
    assert Disbursement.objects.filter(tranche__grant=grant).count() == 2
    for context in (staff_context, partner_context):
        context.close()
    assert staff_outside == [] and partner_outside == []
