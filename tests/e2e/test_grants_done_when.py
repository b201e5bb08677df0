"""Issue 16, "done when", in Russian on 360 × 740 phones, typed and tapped as people do:

the lead's staff member writes a call through the call form (an envelope of 50 000.00 TJS, two weighted criteria,
a district, a deadline) and opens it; LAP's partner in Vanj enters an application for a women's group, saves a
draft with budget lines in dirams (7000.35 + 5000,20), leaves, comes back on a new page load from the call's
applications, completes and submits it; staff ask two reviewers (herself and the programme's admin, each signed in
with her second factor), each declares no conflict and scores; staff screen it for do-no-harm and approve it;
staff plan two tranches that add up to the grant exactly, record the agreement, release tranche 1; the partner
sends report 1, staff approve it and release tranche 2; the partner records a leaflet of the grant and its reach
(people by sex × age band); the partner sends the final report, staff approve it and close the grant. Then the
programme's money page shows committed and released equal to the grant to the diram, and the XLSX ledger
downloaded from that page, read with openpyxl, has number cells that add up to the same Decimal amounts.

Every page is checked to fit the phone (nothing wider than 360 px, every stacked table cell labelled) and
photographed into /tmp/shots/donewhen/. Selectors are ids, names, values and URLs; where Russian text is checked
it is the Russian gettext of the msgid, so the test holds while the translations are filled in.

The other half of "done when", that two simultaneous releases cannot overspend, is tested in
``tests/grants/test_money.py`` (two threads releasing the same tranche on the database) and over HTTP in
``tests/grants/test_money_pages.py``; it is not repeated here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from hamkori.core.roles import Role
from hamkori.grants import calls
from hamkori.grants.models import (
    Application,
    ApplicationStatus,
    CampaignFormat,
    CampaignProduct,
    Disbursement,
    Grant,
    GrantCall,
    GrantReport,
    GrantStatus,
    Reach,
    Review,
    ScreeningQuestion,
)
from hamkori.places.models import Place
from tests.e2e.conftest import sign_in_ru
from tests.e2e.test_grant_money_phone import SUM_WAIT
from tests.e2e.test_phone_walk import OVERFLOW_JS, TABLES_JS
from tests.factories import PASSWORD, TOTP_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/donewhen")
WIDTH, HEIGHT = 360, 740
CALL_TITLE = "Информационные кампании 2027"
TITLE = "Передвижной театр о домашнем насилии"
LEAFLET = "Листовка: куда обращаться за помощью"
#: The budget typed by the partner, the grant, its two tranches and the reports' spending, to the diram.
LINE_1, LINE_2 = Decimal("7000.35"), Decimal("5000.20")
AMOUNT = LINE_1 + LINE_2  # 12 000.55
TRANCHE_1, TRANCHE_2 = Decimal("6000.30"), Decimal("6000.25")
ENVELOPE = Decimal("50000.00")


def ru(msgid: str) -> str:
    """The Russian of ``msgid`` as the pages show it (the msgid itself while it is not translated yet)."""
    with translation.override("ru"):
        return translation.gettext(msgid)


def amount_in(text: str) -> Decimal:
    """The amount in a Russian money text: "12 000,55 TJS" (a no-break space between thousands) -> 12000.55."""
    found = re.search(r"-?\d[\d\s\u00a0\u202f]*(?:,\d+)?", text)
    assert found is not None, text
    return Decimal(re.sub(r"[\s\u00a0\u202f]", "", found.group(0)).replace(",", "."))


def money(value: Decimal) -> re.Pattern[str]:
    """``value`` as Russian writes it on the pages: 6 000,30 TJS."""
    whole, _dot, cents = f"{value:.2f}".partition(".")
    groups = f"{int(whole):,}".split(",")
    return re.compile(r"[\s\u00a0\u202f]".join(groups) + f",{cents} TJS")


@pytest.fixture
def phones(browser: Browser, live_server: Any) -> Iterator[Any]:
    """New phones (browser contexts) in Russian, 360 × 740, touch; no request may leave the server."""
    contexts: list[BrowserContext] = []
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def open_phone(cookies: list[Any] | None = None) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="ru-RU",
            viewport={"width": WIDTH, "height": HEIGHT},
            is_mobile=True,
            has_touch=True,
            accept_downloads=True,
        )
        context.route("**/*", guard)
        if cookies:
            context.add_cookies(cookies)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"


def fits(page: Page, name: str) -> None:
    """The page is in Russian, nothing on it is wider than the phone, every stacked cell says its column;
    then a photograph of it."""
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.wait_for_load_state("load")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate(OVERFLOW_JS, WIDTH)
    assert overflow is None, f"{name} ({page.url}): {overflow}"
    assert page.evaluate(TABLES_JS, WIDTH) == [], name


def pick(page: Page, group: str, value: str) -> Locator:
    """The label (a large tap target) holding the input of ``value`` in the group ``group``."""
    return page.locator(f"{group} label", has=page.locator(f"input[value='{value}']"))


def retype(field: Locator, text: str) -> None:
    """Select what a field holds and type over it, as a person does."""
    field.click()
    field.press("Control+a")
    field.press_sequentially(text)


def test_a_call_becomes_a_closed_grant_and_the_money_adds_up_to_the_diram(
    phones: Any, programme: Any, users: dict, tmp_path: Path
) -> None:
    calls.vocabulary_ensure(actor=None, programme=programme)  # the admin's one-off setup of the programme
    code = programme.code
    base = f"/p/{code}/grants"
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    rovand = Place.objects.get(code="TJ-GB-VANJ-ROVAND")
    staff_user, admin_user, partner_user = users[Role.STAFF], users[Role.ADMIN], users[Role.PARTNER]

    # --- Staff write the call and open it --------------------------------------------------------------------
    staff = phones()
    sign_in_ru(staff, staff_user.email, PASSWORD, TOTP_SECRET)
    staff.goto(f"{base}/")
    fits(staff, "01-staff-calls-empty")
    staff.locator(f"a[href='{base}/calls/new/']").click()
    expect(staff.locator("#call-form")).to_be_visible()
    staff.locator("#id_title").press_sequentially(CALL_TITLE)
    staff.locator("#id_text").press_sequentially("Гранты женским и молодёжным группам на кампании о безопасности.")
    expect(staff.locator("#id_currency")).to_have_value("TJS")
    staff.locator("#id_envelope").press_sequentially("50000.00")
    staff.locator("#id_max_grant").press_sequentially("20000")
    deadline = timezone.localdate() + dt.timedelta(days=30)
    staff.locator("#id_deadline_on").fill(deadline.isoformat())  # the phone's date picker
    pick(staff, "#id_districts", str(vanj.pk)).click()
    expect(staff.locator(f"#id_districts input[value='{vanj.pk}']")).to_be_checked()
    expect(staff.locator("#id_languages input[value='ru']")).to_be_checked()
    staff.locator("#id_criterion-0-name").press_sequentially("Связь с проблемой безопасности")
    retype(staff.locator("#id_criterion-0-weight"), "3")
    staff.locator("#id_criterion-0-guidance").press_sequentially("Отвечает ли кампания на проблему рабочей группы?")
    staff.locator("#id_criterion-1-name").press_sequentially("Выполнимость")
    retype(staff.locator("#id_criterion-1-weight"), "2")
    fits(staff, "02-staff-call-form")
    staff.locator("#call-form > p > button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"{base}/calls/\d+/$"))
    call = GrantCall.objects.get(programme=programme)
    assert (call.envelope, call.currency, call.status) == (ENVELOPE, "TJS", "draft")
    assert [(c.name, c.weight) for c in call.criteria.all()] == [
        ("Связь с проблемой безопасности", 3),
        ("Выполнимость", 2),
    ]
    assert list(call.districts.all()) == [vanj]
    fits(staff, "03-staff-call-draft")
    staff.locator("#call-moves form", has=staff.locator("input[value=open]")).locator("button").click()
    expect(staff.locator(".messages")).to_be_visible()
    call.refresh_from_db()
    assert call.status == "open"
    fits(staff, "04-staff-call-open")

    # --- The partner starts an application for a women's group and saves a draft ------------------------------
    partner = phones()
    sign_in_ru(partner, partner_user.email, PASSWORD, TOTP_SECRET)
    partner.goto(f"{base}/")
    partner.locator(f"#calls-open a[href='{base}/calls/{call.pk}/']").click()
    fits(partner, "05-partner-call")
    partner.locator(f"#call-actions a[href='{base}/calls/{call.pk}/apply/']").click()
    partner.locator("#id_applicant_name").press_sequentially("Женская группа Рованда")
    partner.locator("#id_applicant_kind").select_option("women")
    expect(partner.locator("#id_district")).to_have_value(str(vanj.pk))
    partner.locator("#id_place").select_option(str(rovand.pk))
    partner.locator("#id_title").press_sequentially(TITLE)
    partner.locator("#id_budget-0-item").press_sequentially("Костюмы и декорации")
    partner.locator("#id_budget-0-amount").press_sequentially("7000.35")
    partner.locator("#id_budget-1-item").press_sequentially("Транспорт")
    partner.locator("#id_budget-1-amount").press_sequentially("5000,20")  # a Russian keyboard's comma
    fits(partner, "06-partner-draft-form")
    partner.locator(".save-bar button[value='save']").click()
    expect(partner).to_have_url(re.compile(rf"{base}/applications/\d+/edit/$"))
    application = Application.objects.get(call=call)
    expect(partner.locator(".messages")).to_contain_text(application.reference)
    assert (application.status, application.amount) == (ApplicationStatus.DRAFT, AMOUNT)
    fits(partner, "07-partner-draft-saved")
    signed_in = partner.context.storage_state()["cookies"]
    partner.context.close()

    # --- Later, a new page load: from the call's applications to the draft; completed and submitted ----------
    partner = phones(signed_in)
    partner.goto(f"{base}/calls/{call.pk}/")
    partner.locator(f"#call-actions a[href='{base}/calls/{call.pk}/applications/']").click()
    fits(partner, "08-partner-applications")
    partner.locator("#application-table").get_by_role("link", name=application.reference).click()
    expect(partner).to_have_url(re.compile(rf"{base}/applications/{application.pk}/$"))
    fits(partner, "09-partner-application-draft")
    partner.locator(f"#application-actions a[href='{base}/applications/{application.pk}/edit/']").click()
    expect(partner.locator("#id_title")).to_have_value(TITLE)
    expect(partner.locator("#id_budget-0-amount")).to_have_value("7000.35")
    expect(partner.locator("#id_budget-1-amount")).to_have_value("5000.20")
    partner.locator("#id_summary").press_sequentially("Восемь спектаклей в сёлах Ванча: куда обращаться за помощью.")
    partner.locator("#id_audience").press_sequentially("Женщины и девушки, около 600 человек")
    theatre = CampaignFormat.objects.get(programme=programme, code="theatre")
    pick(partner, "#id_formats", str(theatre.pk)).click()
    expect(partner.locator(f"#id_formats input[value='{theatre.pk}']")).to_be_checked()
    pick(partner, "#id_languages", "ru").click()
    pick(partner, "#id_languages", "tg").click()
    partner.locator("#id_starts_on").fill((timezone.localdate() + dt.timedelta(days=40)).isoformat())
    partner.locator("#id_ends_on").fill((timezone.localdate() + dt.timedelta(days=160)).isoformat())
    fits(partner, "10-partner-complete")
    partner.locator(".save-bar button[value='submit']").click()
    expect(partner).to_have_url(re.compile(rf"{base}/applications/{application.pk}/$"))
    expect(partner.locator("#budget-total")).to_contain_text(money(AMOUNT))
    application.refresh_from_db()
    assert (application.status, application.amount) == (ApplicationStatus.SUBMITTED, AMOUNT)
    assert sorted(line.amount for line in application.budget_lines.all()) == [LINE_2, LINE_1]
    fits(partner, "11-partner-submitted")

    # --- Staff ask two reviewers: herself and the programme's admin -------------------------------------------
    staff.goto(f"{base}/calls/{call.pk}/")
    staff.locator(f"#call-actions a[href='{base}/calls/{call.pk}/applications/']").click()
    staff.locator("#application-table").get_by_role("link", name=application.reference).click()
    expect(staff).to_have_url(re.compile(rf"{base}/applications/{application.pk}/$"))
    fits(staff, "12-staff-application")
    for reviewer in (staff_user, admin_user):
        staff.locator("#id_reviewer").select_option(str(reviewer.pk))
        staff.locator("#assign-reviewer button[type=submit]").click()
        expect(staff.locator(".messages")).to_contain_text(reviewer.email)
    assert set(Review.objects.filter(application=application).values_list("reviewer", flat=True)) == {
        staff_user.pk,
        admin_user.pk,
    }
    fits(staff, "13-staff-reviewers")

    criteria = list(call.criteria.all())
    admin = phones()
    sign_in_ru(admin, admin_user.email, PASSWORD, TOTP_SECRET)
    for who, page, scores in (("staff", staff, (5, 4)), ("admin", admin, (4, 4))):
        review = Review.objects.get(application=application, reviewer__email=f"{who}@test.example")
        page.goto(f"{base}/")
        page.locator(f"a[href='{base}/reviews/']").first.click()
        fits(page, f"14-{who}-reviews")
        page.locator(f"#to-declare #review-{review.pk} a").click()
        expect(page).to_have_url(re.compile(rf"{base}/reviews/{review.pk}/$"))
        expect(page.locator("#score-form")).to_have_count(0)
        pick(page, "#conflict-choice", "none").click()
        page.locator("#declare-button").click()
        expect(page.locator("#score-form .score-card")).to_have_count(2)
        for criterion, value in zip(criteria, scores, strict=True):
            button = pick(page, f"#criterion-{criterion.pk} .scale", str(value))
            button.click()
            expect(button.locator("input")).to_be_checked()
        page.locator("#id_comment").press_sequentially("Реалистичный бюджет, понятная аудитория.")
        fits(page, f"15-{who}-scored")
        page.locator("#submit-button").click()
        expect(page.locator("#weighted-total")).to_be_visible()
        expect(page.locator("#score-form")).to_have_count(0)
        fits(page, f"16-{who}-review-submitted")
        review.refresh_from_db()
        assert review.submitted_at is not None and review.scores.count() == 2
    admin.context.close()

    # --- Staff screen for do-no-harm and approve the amount asked ---------------------------------------------
    staff.goto(f"{base}/applications/{application.pk}/")
    staff.locator(f"a[href='{base}/applications/{application.pk}/screening/']").first.click()
    questions = list(ScreeningQuestion.objects.filter(programme=programme, active=True))
    assert questions
    expect(staff.locator("#screening-form .screening-card")).to_have_count(len(questions))
    for q in questions:
        pick(staff, f"#id_question_{q.pk}", "ok").click()
    fits(staff, "17-staff-screening")
    staff.locator("#screening-save").click()
    expect(staff.locator("#screening-result")).to_be_visible()
    staff.locator(f"nav.tabs a[href='{base}/applications/{application.pk}/decide/']").click()
    expect(staff.locator("#id_amount")).to_have_value(f"{AMOUNT}")
    pick(staff, "#id_decision", "approve").click()
    staff.locator("#id_reason").press_sequentially("Заявка одобрена полностью.")
    fits(staff, "18-staff-decide")
    staff.locator("#decide-button").click()
    expect(staff.locator("#decision-outcome")).to_be_visible()
    expect(staff.locator("#envelope-left")).to_contain_text(re.compile(r"37\s?999[.,]45"))
    fits(staff, "19-staff-approved")
    grant = Grant.objects.get(application=application)
    assert (grant.amount, grant.currency) == (AMOUNT, "TJS")
    detail = f"{base}/awarded/{grant.pk}/"

    # --- Two tranches that add up exactly; the agreement; tranche 1 ------------------------------------------
    staff.goto(f"{base}/awarded/")
    fits(staff, "20-staff-grants")
    staff.locator("#grant-table").get_by_role("link", name=grant.number).click()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    fits(staff, "21-staff-grant-awarded")
    staff.locator(f"#grant-actions a[href='{detail}tranches/']").click()
    expect(staff.locator("#id_amount-0")).to_have_value(f"{AMOUNT}")
    retype(staff.locator("#id_amount-0"), "6000.30")
    staff.locator("#id_condition-0").select_option("signed")
    staff.locator("#id_amount-1").click()
    staff.locator("#id_amount-1").press_sequentially("6000,25")
    staff.locator("#id_condition-1").select_option("report:1")
    expect(staff.locator("#plan-sum")).to_have_class(re.compile("ok-note"), timeout=SUM_WAIT)
    expect(staff.locator("#plan-sum")).to_contain_text(money(AMOUNT))
    fits(staff, "22-staff-plan")
    staff.locator("#plan-form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    assert [t.amount for t in grant.tranches.order_by("number")] == [TRANCHE_1, TRANCHE_2]
    staff.locator("#sign-link").click()
    fits(staff, "23-staff-sign")
    staff.locator("#sign-form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    expect(staff.locator("#step-agreement")).to_contain_text(ru("Signed."))

    def release(number: int, amount: Decimal, reference: str) -> None:
        staff.locator(f"#release-{number}").click()
        expect(staff.locator("#id_paid_currency")).to_have_value("TJS")
        staff.locator("#id_reference").press_sequentially(reference)
        fits(staff, f"24-staff-release-{number}")
        staff.locator("#release-form button[type=submit]").click()
        expect(staff.locator("#confirm-paid")).to_contain_text(money(amount))
        fits(staff, f"25-staff-release-{number}-check")
        staff.locator("#confirm-button").click()
        expect(staff).to_have_url(re.compile(rf"{detail}$"))
        expect(staff.locator(f"#step-tranche-{number} .tranche-paid")).to_contain_text(reference)

    release(1, TRANCHE_1, "Банк 0042")
    assert amount_in(staff.locator("#grant-released").inner_text()) == TRANCHE_1
    fits(staff, "26-staff-tranche-1-released")

    def report(kind: str, narrative: str, spent: str, name: str) -> None:
        partner.goto(detail)
        partner.locator("#report-new").click()
        pick(partner, "#report-form", kind).click()
        partner.locator("#id_narrative").press_sequentially(narrative)
        partner.locator("#id_spent").press_sequentially(spent)
        fits(partner, name)
        partner.locator("#report-form button[type=submit]").click()
        expect(partner).to_have_url(re.compile(rf"{detail}$"))

    def approve_report(number: int) -> None:
        staff.goto(detail)
        staff.locator(f"#review-{number}").click()
        pick(staff, "#review-form", "approve").click()
        fits(staff, f"28-staff-report-{number}-review")
        staff.locator("#review-form button[type=submit]").click()
        expect(staff).to_have_url(re.compile(rf"{detail}$"))
        assert GrantReport.objects.get(grant=grant, number=number).status == "approved"

    # --- Report 1 from the partner; staff approve it and release tranche 2 ------------------------------------
    report("interim", "Четыре спектакля в Рованде, около 300 зрителей.", "5800,10", "27-partner-report-1")
    expect(partner.locator("#step-report-1")).to_contain_text(money(Decimal("5800.10")))
    approve_report(1)
    release(2, TRANCHE_2, "Банк 0057")
    assert amount_in(staff.locator("#grant-released").inner_text()) == AMOUNT
    fits(staff, "29-staff-all-released")
    assert sum(d.amount for d in Disbursement.objects.filter(tranche__grant=grant)) == AMOUNT

    # --- The partner records a leaflet of the grant and its reach by sex × age band ---------------------------
    partner.goto(detail)
    fits(partner, "30-partner-grant")
    partner.locator("#grant-product-create").click()
    expect(partner.locator("#id_grant")).to_have_value(str(grant.pk))
    leaflet = CampaignFormat.objects.get(programme=programme, code="leaflet")
    partner.locator("#id_format").select_option(str(leaflet.pk))
    partner.locator("#id_title").press_sequentially(LEAFLET)
    partner.locator("#id_language").select_option("ru")
    retype(partner.locator("#id_quantity"), "500")
    fits(partner, "31-partner-product-form")
    partner.locator("#product-form button[type=submit]").click()
    expect(partner.locator("#reach-create")).to_be_visible()
    product = CampaignProduct.objects.get(grant=grant)
    assert (product.title, product.quantity, product.district_id) == (LEAFLET, 500, vanj.pk)
    fits(partner, "32-partner-product")
    partner.locator("#reach-create").click()
    partner.locator("#id_on").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    partner.locator("#id_place").select_option(str(rovand.pk))
    partner.locator("#id_channel").select_option("distribution")
    partner.locator("#id_copies").press_sequentially("180")
    for name, value in (("c-female-18-24", "40"), ("c-female-36-50", "25"), ("c-male-25-35", "12")):
        cell = partner.locator(f"input[name='{name}']")
        cell.click()
        cell.press_sequentially(value)
    expect(partner.locator("#tally-total")).to_have_text("77")
    fits(partner, "33-partner-reach-form")
    partner.locator(".tally-save button[type=submit]").click()
    expect(partner.locator("#reach-people")).to_have_text("77")
    expect(partner.locator("#reach-copies")).to_have_text("180")
    reach = Reach.objects.get(product=product)
    assert sum(c.count for c in reach.counts.all()) == 77 and reach.copies == 180
    fits(partner, "34-partner-reach-saved")

    # --- The final report; staff approve it and close the grant -----------------------------------------------
    report("final", "Восемь спектаклей и 500 листовок; 77 человек отмечены при раздаче.", "12000,55", "35-final")
    approve_report(2)
    expect(staff.locator("#step-closing")).to_be_visible()
    staff.locator("#close-link").click()
    staff.locator("#id_closing_note").press_sequentially("Все отчёты приняты.")
    fits(staff, "36-staff-close")
    staff.locator("#close-form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"{detail}$"))
    expect(staff.locator("#step-closing")).to_contain_text(ru("The grant is closed."))
    grant.refresh_from_db()
    assert grant.status == GrantStatus.CLOSED
    fits(staff, "37-staff-closed")

    # --- The money page adds up to the diram ----------------------------------------------------------------
    staff.goto(f"{base}/")
    staff.locator(f"a[href='{base}/money/']").first.click()
    expect(staff).to_have_url(re.compile(rf"{base}/money/$"))
    totals = staff.locator("#total-TJS td")
    page_envelope, committed, released, left = (amount_in(totals.nth(i).inner_text()) for i in range(4))
    assert (page_envelope, committed, released, left) == (ENVELOPE, AMOUNT, AMOUNT, ENVELOPE - AMOUNT)
    assert amount_in(staff.locator("#paid-TJS").inner_text()) == AMOUNT
    row = staff.locator(f"#call-{call.pk} td")
    assert [amount_in(row.nth(i).inner_text()) for i in range(1, 6)] == [
        ENVELOPE,
        AMOUNT,
        AMOUNT,
        ENVELOPE - AMOUNT,
        AMOUNT,
    ]
    fits(staff, "38-staff-money")

    # --- The ledger from the page's link: number cells that add up to the same amounts -----------------------
    with staff.expect_download() as downloading:
        staff.locator("#ledger-link").click()
    path = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(path)
    assert path.suffix == ".xlsx"
    sheet = load_workbook(path).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows()]
    header = [c.value for c in rows[0]]
    with translation.override("ru"):
        columns = {
            key: header.index(translation.gettext(msgid))
            for key, msgid in (
                ("kind", "Kind"),
                ("amount", "Amount"),
                ("currency", "Currency"),
                ("paid", "Amount paid"),
                ("paid_in", "Paid in"),
            )
        }
        award, tranche = translation.gettext("Award"), [translation.gettext("Tranche %(n)s") % {"n": n} for n in (1, 2)]
        labels = {translation.gettext(m): m for m in ("Total awarded", "Total released", "Total paid")}

    def number(cell: Any) -> Decimal:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), (cell.coordinate, cell.value)
        return Decimal(str(cell.value))

    entries = [r for r in rows[1:] if r[columns["kind"]].value in (award, *tranche)]
    awards = [r for r in entries if r[columns["kind"]].value == award]
    payments = [r for r in entries if r[columns["kind"]].value in tranche]
    assert len(awards) == 1 and len(payments) == 2
    assert all(r[columns["currency"]].value == "TJS" for r in entries)
    awarded = sum((number(r[columns["amount"]]) for r in awards), Decimal(0))
    disbursed = sum((number(r[columns["amount"]]) for r in payments), Decimal(0))
    paid = sum((number(r[columns["paid"]]) for r in payments), Decimal(0))
    assert sorted(number(r[columns["amount"]]) for r in payments) == [TRANCHE_2, TRANCHE_1]
    assert awarded == disbursed == paid == AMOUNT == committed == released
    sums = {labels[r[0].value]: r for r in rows if r[0].value in labels}
    assert number(sums["Total awarded"][columns["amount"]]) == committed
    assert number(sums["Total released"][columns["amount"]]) == released
    assert number(sums["Total paid"][columns["paid"]]) == AMOUNT
    assert sums["Total paid"][columns["paid_in"]].value == "TJS"
