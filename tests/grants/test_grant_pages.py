"""The grant pages over real HTTP: the adversaries first (an anonymous visitor, another programme's admin, a
partner of another organisation in the grant's district and outside it, a liaison, a donor, a group member, an
outsider; the supporting partner, who reports but moves no money), then the money path typed into the pages,
bad input refused in words with nothing saved, the grant's events and the panels, the home items and constant
query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from hamkori.core.roles import Role
from hamkori.events import services as events
from hamkori.events.models import EventKind
from hamkori.grants import awards
from hamkori.grants.models import Disbursement, Grant, GrantReport, GrantStatus, ReportStatus, Tranche, TrancheStatus
from hamkori.grants.money_home import releasable
from hamkori.grants.panels import application_panels
from hamkori.programmes.home import home_items
from tests.grants.conftest import ISFARA, VANJ, make_call
from tests.grants.money_helpers import adversaries, awarded, state, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def adv(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    return adversaries(make_user, programme, orgs, place)


@pytest.fixture
def vanj_event(programme: Any, place: Any) -> Any:
    events.vocabulary_ensure(actor=None, programme=programme)
    return events.event_create(
        actor=None,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="cwg-meeting"),
        title="Намоиши театри сайёр",
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2, hours=-2),
        place=place(VANJ),
    )


@pytest.fixture
def world(grant: Grant, users: dict, vanj_event: Any) -> dict[str, Any]:
    """LAP's Vanj grant, signed, its one tranche ready to release, a report (nothing spent yet) waiting."""
    report = awards.report_submit(actor=users[Role.PARTNER], grant=grant, kind="interim", narrative="Оғоз", spent="0")
    return {"grant": grant, "tranche": grant.tranches.get(), "report": report, "event": vanj_event}


def pages(programme: Any, w: dict) -> list[str]:
    g = w["grant"].pk
    return [
        url("grant_detail", programme, g),
        url("grant_sign", programme, g),
        url("grant_plan", programme, g),
        url("tranche_release", programme, g, w["tranche"].pk),
        url("report_create", programme, g),
        url("report_review", programme, g, w["report"].pk),
        url("grant_close", programme, g),
        url("grant_events", programme, g),
    ]


def writes(programme: Any, w: dict) -> list[tuple[str, dict[str, Any]]]:
    g, today = w["grant"].pk, timezone.localdate().isoformat()
    return [
        (url("grant_sign", programme, g), {"signed_on": today}),
        (url("grant_plan", programme, g), {"amount-0": "6000", "condition-0": "signed", "amount-1": "6000"}),
        (
            url("tranche_release", programme, g, w["tranche"].pk),
            {"paid_on": today, "paid_currency": "TJS", "confirm": "1"},
        ),
        (url("report_create", programme, g), {"kind": "final", "narrative": "Ҳама", "spent": "0"}),
        (url("report_review", programme, g, w["report"].pk), {"decision": "approve"}),
        (url("grant_close", programme, g), {"closing_note": "x"}),
        (url("grant_events", programme, g), {"events": [w["event"].pk]}),
    ]


# --- Adversaries ------------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(programme: Any, world: dict, client_for: Any) -> None:
    client = client_for(None)
    before = state()
    for page in [url("grant_list", programme), *pages(programme, world)]:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    for address, data in writes(programme, world):
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state() == before


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, world: dict, adv: dict, client_for: Any
) -> None:
    client = client_for(adv["other_admin"])
    other = adv["other_programme"]
    before = state()
    for code_of in (programme, other):
        for page in pages(code_of, world):
            assert client.get(page).status_code == 404, page
        for address, data in writes(code_of, world):
            assert client.post(address, data).status_code == 404, address
    listed = client.get(url("grant_list", other))
    assert listed.status_code == 200 and world["grant"].number not in listed.content.decode()
    assert state() == before


def test_a_partner_of_another_organisation_in_the_district_sees_but_moves_nothing(
    programme: Any, world: dict, adv: dict, client_for: Any
) -> None:
    """ASTI also works in Vanj: she sees LAP's grant, but signs, plans, releases, reports, reviews, closes and
    links nothing (403 with the reason, audited), on the pages and with htmx."""
    client = client_for(adv["asti_vanj"])
    grant = world["grant"]
    detail = client.get(url("grant_detail", programme, grant.pk))
    assert detail.status_code == 200
    html = detail.content.decode()
    for hidden in ("grant_sign", "grant_plan", "report_create", "grant_close", "grant_events"):
        assert url(hidden, programme, grant.pk) not in html, hidden
    assert url("tranche_release", programme, grant.pk, world["tranche"].pk) not in html
    assert grant.number in client.get(url("grant_list", programme)).content.decode()
    before = state()
    for page in pages(programme, world)[1:]:
        assert client.get(page).status_code == 403, page
    for address, data in writes(programme, world):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            assert client.post(address, data, **headers).status_code == 403, address
    refused = client.get(url("report_create", programme, grant.pk)).content.decode()
    assert "Only the lead organisation and the organisation that supports this grant can report on it." in refused
    assert state() == before


def test_a_partner_outside_the_district_does_not_even_see_the_grant(
    programme: Any, world: dict, adv: dict, client_for: Any
) -> None:
    client = client_for(adv["asti_isfara"])
    grant = world["grant"]
    assert client.get(url("grant_detail", programme, grant.pk)).status_code == 404
    for page in pages(programme, world)[1:]:
        assert client.get(page).status_code in (403, 404), page
    listed = client.get(url("grant_list", programme))
    assert listed.status_code == 200 and grant.number not in listed.content.decode()
    before = state()
    for address, data in writes(programme, world):
        assert client.post(address, data).status_code in (403, 404), address
    assert state() == before


def test_a_liaison_a_donor_a_member_and_an_outsider_neither_read_nor_change(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    before = state()
    for who in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER, "outsider"):
        client = client_for(users[who])
        for page in [url("grant_list", programme), *pages(programme, world)]:
            assert client.get(page).status_code in (403, 404), (who, page)
        for address, data in writes(programme, world):
            assert client.post(address, data).status_code in (403, 404), (who, address)
    assert state() == before


def test_the_supporting_partner_reports_and_links_events_but_moves_no_money(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    grant = world["grant"]
    html = client.get(url("grant_detail", programme, grant.pk)).content.decode()
    assert url("grant_events", programme, grant.pk) in html
    assert url("tranche_release", programme, grant.pk, world["tranche"].pk) not in html
    assert url("report_review", programme, grant.pk, world["report"].pk) not in html
    before = state()
    money_writes = [w for w in writes(programme, world) if "/reports/new/" not in w[0] and "/events/" not in w[0]]
    for address, data in money_writes:
        assert client.post(address, data).status_code == 403, address
    assert state() == before
    assert client.get(url("report_create", programme, grant.pk)).status_code == 200
    assert client.get(url("grant_events", programme, grant.pk)).status_code == 200


# --- The money path, typed into the pages -------------------------------------------------------------------
def test_staff_plan_sign_release_review_and_close_through_the_pages(
    programme: Any, call: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    grant = awarded(call, place, grant_vocab, users)
    staff, partner = client_for(users[Role.STAFF]), client_for(users[Role.PARTNER])
    today = timezone.localdate().isoformat()
    detail_url = url("grant_detail", programme, grant.pk)

    plan = staff.get(url("grant_plan", programme, grant.pk)).content.decode()
    assert 'name="amount-0"' in plan and 'value="12000.00"' in plan and 'name="amount-2"' in plan
    assert "They add up to the grant." in plan
    response = staff.post(
        url("grant_plan", programme, grant.pk),
        {"amount-0": "7000.30", "condition-0": "signed", "amount-1": "4 999,70", "condition-1": "report:1"},
    )
    assert response.status_code == 302 and response["Location"] == detail_url
    assert list(grant.tranches.values_list("amount", "condition", "report_number")) == [
        (Decimal("7000.30"), "signed", None),
        (Decimal("4999.70"), "report", 1),
    ]
    first, second = grant.tranches.order_by("number")
    html = staff.get(detail_url).content.decode()
    assert "The agreement is not signed yet." in html
    assert url("tranche_release", programme, grant.pk, first.pk) not in html

    assert staff.post(url("grant_sign", programme, grant.pk), {"signed_on": today}).status_code == 302
    html = staff.get(detail_url).content.decode()
    assert url("tranche_release", programme, grant.pk, first.pk) in html
    assert "Release the earlier tranches first." in html

    release = url("tranche_release", programme, grant.pk, first.pk)
    assert 'name="paid_on"' in staff.get(release).content.decode()
    preview = staff.post(release, {"paid_on": today, "paid_currency": "TJS", "reference": "BANK-7"})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert 'id="confirm-paid"' in text and "7,000.30 TJS" in text and 'name="confirm"' in text
    assert not Disbursement.objects.exists()  # only the confirmation releases
    done = staff.post(release, {"paid_on": today, "paid_currency": "TJS", "reference": "BANK-7", "confirm": "1"})
    assert done.status_code == 302
    payment = Disbursement.objects.get()
    assert (payment.paid_amount, payment.paid_currency, payment.reference) == (Decimal("7000.30"), "TJS", "BANK-7")
    html = staff.get(detail_url).content.decode()
    assert "Report 1 is not approved yet." in html and "BANK-7" in html

    response = partner.post(
        url("report_create", programme, grant.pk), {"kind": "interim", "narrative": "Се намоиш", "spent": "6500.10"}
    )
    assert response.status_code == 302
    report = GrantReport.objects.get(grant=grant)
    assert report.spent == Decimal("6500.10") and report.status == ReportStatus.SUBMITTED
    html = staff.get(detail_url).content.decode()
    assert url("report_review", programme, grant.pk, report.pk) in html
    assert staff.post(url("report_review", programme, grant.pk, report.pk), {"decision": "approve"}).status_code == 302
    response = staff.post(
        url("tranche_release", programme, grant.pk, second.pk),
        {"paid_on": today, "paid_currency": "TJS", "confirm": "1"},
    )
    assert response.status_code == 302
    html = staff.get(detail_url).content.decode()
    assert "The final report is not approved." in html and url("grant_close", programme, grant.pk) not in html

    partner.post(url("report_create", programme, grant.pk), {"kind": "final", "narrative": "Ҳама", "spent": "12000"})
    final = GrantReport.objects.get(grant=grant, number=2)
    staff.post(url("report_review", programme, grant.pk, final.pk), {"decision": "approve"})
    html = staff.get(detail_url).content.decode()
    assert url("grant_close", programme, grant.pk) in html
    assert staff.post(url("grant_close", programme, grant.pk), {"closing_note": "Анҷом"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.CLOSED and grant.closing_note == "Анҷом"
    html = staff.get(detail_url).content.decode()
    assert "The grant is closed." in html and "12,000.00" in html
    assert url("tranche_release", programme, grant.pk, second.pk) not in html


def test_a_returned_report_is_corrected_and_sent_again(
    world: dict, programme: Any, users: dict, client_for: Any
) -> None:
    grant, report = world["grant"], world["report"]
    staff, partner = client_for(users[Role.STAFF]), client_for(users[Role.PARTNER])
    review = url("report_review", programme, grant.pk, report.pk)
    refused = staff.post(review, {"decision": "return", "review_note": ""})
    assert refused.status_code == 422 and "This field is required." in refused.content.decode()
    assert GrantReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    assert staff.post(review, {"decision": "return", "review_note": "Расмҳоро илова кунед"}).status_code == 302
    page = partner.get(url("report_create", programme, grant.pk)).content.decode()
    assert "Расмҳоро илова кунед" in page and "Оғоз" in page
    response = partner.post(
        url("report_create", programme, grant.pk), {"kind": "interim", "narrative": "Бо расмҳо", "spent": "0"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.narrative == "Бо расмҳо"
    assert GrantReport.objects.filter(grant=grant).count() == 1


# --- Bad input ----------------------------------------------------------------------------------------------
def _ru(client: Any, address: str, data: dict[str, Any]) -> tuple[int, str]:
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="ru")
    return response.status_code, response.content.decode()


def ru(msgid: str, **params: Any) -> str:
    """What a Russian reader gets for ``msgid`` (formatted with ``params``)."""
    with translation.override("ru"):
        text = gettext(msgid)
    return text % params if params else text


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"amount-0": "-5", "amount-1": "12005"}, "The amount must be more than zero."),
        ({"amount-0": "0", "amount-1": "12000"}, "The amount must be more than zero."),
        ({"amount-0": "6000.125", "amount-1": "5999.875"}, "decimals"),
        ({"amount-0": "6000"}, "sum"),
        ({"amount-0": "12000", "condition-0": "report:99"}, "Select a valid choice"),
    ],
)
def test_bad_tranche_amounts_are_refused_in_words_and_nothing_is_saved(
    world: dict, programme: Any, users: dict, client_for: Any, rows: dict, message: str
) -> None:
    client = client_for(users[Role.STAFF])
    before = state()
    status, html = _ru(client, url("grant_plan", programme, world["grant"].pk), {"condition-0": "signed", **rows})
    assert status == 422 and '<html lang="ru">' in html
    assert 'class="error-summary"' in html
    with translation.override("ru"):
        expected = {
            "The amount must be more than zero.": gettext("The amount must be more than zero."),
            "Select a valid choice": gettext("Select a valid choice. %(value)s is not one of the available choices.")
            % {"value": "report:99"},
            "decimals": gettext("%(currency)s has %(places)s decimal places: %(amount)s has more.")
            % {"currency": "TJS", "places": 2, "amount": "6000.125"},
            "sum": gettext("The tranches add up to %(total)s %(currency)s; the grant is %(amount)s %(currency)s.")
            % {"total": "6000.00", "currency": "TJS", "amount": "12000.00"},
        }.get(message, message)
    assert expected in html, html[:4000]
    assert state() == before


def test_the_sum_is_shown_as_the_amounts_are_typed(world: dict, programme: Any, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.STAFF])
    address = url("grant_plan", programme, world["grant"].pk)
    page = client.get(address).content.decode()
    assert 'hx-get="' + address + '"' in page and 'id="plan-sum"' in page
    part = client.get(address, {"amount-0": "5000", "amount-1": "abc", "amount-2": "1000.50"}, HTTP_HX_REQUEST="true")
    text = part.content.decode()
    assert part.status_code == 200 and "<html" not in text and 'id="plan-sum"' in text
    assert "6,000.50" in text and "5,999.50 TJS still to plan." in text and "line 2" in text
    over = client.get(address, {"amount-0": "12000.01"}, HTTP_HX_REQUEST="true").content.decode()
    assert "0.01 TJS too much." in over
    assert Tranche.objects.filter(grant=world["grant"]).count() == 1


def test_a_tranche_cannot_be_released_before_its_condition_holds(
    programme: Any, call: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    grant = awarded(call, place, grant_vocab, users)
    awards.tranches_plan(actor=None, grant=grant, rows=[("6000", "signed", None), ("6000", "report", "1")])
    first, second = grant.tranches.order_by("number")
    client = client_for(users[Role.STAFF])
    today = timezone.localdate().isoformat()
    before = state()
    for tranche, reason in ((first, "The agreement is not signed yet."), (second, "The agreement is not signed yet.")):
        page = client.get(url("tranche_release", programme, grant.pk, tranche.pk)).content.decode()
        assert reason in page and 'name="paid_on"' not in page
        for extra in ({}, {"confirm": "1"}):
            status, html = _ru(
                client,
                url("tranche_release", programme, grant.pk, tranche.pk),
                {"paid_on": today, "paid_currency": "TJS", **extra},
            )
            assert status == 422 and ru(reason) in html, extra
    assert state() == before
    awards.agreement_sign(actor=None, grant=grant, signed_on=timezone.localdate())
    awards.tranche_release(actor=None, tranche=first, paid_on=timezone.localdate())
    before = state()
    status, html = _ru(
        client,
        url("tranche_release", programme, grant.pk, second.pk),
        {"paid_on": today, "paid_currency": "TJS", "confirm": "1"},
    )
    assert status == 422 and ru("Report %(n)s is not approved yet.", n=1) in html
    status, html = _ru(
        client,
        url("tranche_release", programme, grant.pk, first.pk),
        {"paid_on": today, "paid_currency": "TJS", "confirm": "1"},
    )
    assert status == 422 and ru("This tranche was already released.") in html
    assert state() == before and Disbursement.objects.count() == 1


def test_a_wrong_currency_or_a_missing_rate_is_refused(
    world: dict, programme: Any, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("tranche_release", programme, world["grant"].pk, world["tranche"].pk)
    today = timezone.localdate()
    before = state()
    status, html = _ru(client, address, {"paid_on": today.isoformat(), "paid_currency": "XYZ", "confirm": "1"})
    with translation.override("ru"):
        invalid = gettext("Select a valid choice. %(value)s is not one of the available choices.") % {"value": "XYZ"}
    assert status == 422 and invalid in html
    for extra in ({}, {"confirm": "1"}):
        status, html = _ru(client, address, {"paid_on": today.isoformat(), "paid_currency": "USD", **extra})
        wanted = ru(
            "Enter the exchange rate of %(base)s to %(quote)s for %(day)s first.",
            base="TJS",
            quote="USD",
            day=today.isoformat(),
        )
        assert status == 422 and wanted in html
    future = (today + dt.timedelta(days=5)).isoformat()
    status, html = _ru(client, address, {"paid_on": future, "paid_currency": "TJS", "confirm": "1"})
    assert status == 422 and ru("A payment cannot be recorded before it is made.") in html
    assert state() == before


def test_a_payment_in_another_currency_shows_the_rate_before_it_is_released(
    world: dict, programme: Any, users: dict, client_for: Any
) -> None:
    staff = users[Role.STAFF]
    today = timezone.localdate()
    awards.rate_save(
        actor=staff, programme=programme, on=today - dt.timedelta(days=2), base="TJS", quote="USD", rate="0.091615"
    )
    client = client_for(staff)
    address = url("tranche_release", programme, world["grant"].pk, world["tranche"].pk)
    preview = client.post(address, {"paid_on": today.isoformat(), "paid_currency": "USD"}).content.decode()
    assert "1 TJS = 0.091615 USD" in preview and "1,099.38 USD" in preview  # 12000 × 0.091615 = 1099.38
    assert not Disbursement.objects.exists()
    client.post(address, {"paid_on": today.isoformat(), "paid_currency": "USD", "confirm": "1"})
    payment = Disbursement.objects.get()
    assert (payment.paid_amount, payment.rate, payment.rate_on) == (
        Decimal("1099.38"),
        Decimal("0.091615"),
        today - dt.timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("spent", "message"),
    [
        (
            "12.345",
            ru(
                "%(currency)s has %(places)s decimal places: %(amount)s has more.",
                currency="TJS",
                places=2,
                amount="12.345",
            ),
        ),
        ("-1", ru("The amount must be more than zero.")),
        ("abc", ru("Enter an amount, for example 1500 or 1500.50.")),
        (
            "0.01",
            ru(
                "%(spent)s %(currency)s is more than the %(released)s %(currency)s released so far.",
                spent="0.01",
                currency="TJS",
                released="0.00",
            ),
        ),
    ],
)
def test_bad_report_amounts_are_refused_and_nothing_is_saved(
    grant: Grant, programme: Any, users: dict, client_for: Any, spent: str, message: str
) -> None:
    client = client_for(users[Role.PARTNER])
    before = state()
    status, html = _ru(
        client, url("report_create", programme, grant.pk), {"kind": "interim", "narrative": "Кор", "spent": spent}
    )
    assert status == 422 and message in html
    assert state() == before


# --- Events and panels --------------------------------------------------------------------------------------
def test_the_partner_links_the_grants_events_and_the_event_page_shows_the_grant(
    world: dict, programme: Any, users: dict, client_for: Any, adv: dict
) -> None:
    grant, event = world["grant"], world["event"]
    client = client_for(users[Role.PARTNER])
    page = client.get(url("grant_events", programme, grant.pk)).content.decode()
    assert "Намоиши театри сайёр" in page
    assert client.post(url("grant_events", programme, grant.pk), {"events": [event.pk]}).status_code == 302
    assert list(grant.events.all()) == [event]
    detail = client.get(url("grant_detail", programme, grant.pk)).content.decode()
    assert url("event_detail", programme, event.pk) in detail
    event_page = client.get(url("event_detail", programme, event.pk)).content.decode()
    assert 'id="event-grants"' in event_page and url("grant_detail", programme, grant.pk) in event_page
    # An event of another programme is not offered and cannot be linked.
    events.vocabulary_ensure(actor=None, programme=adv["other_programme"])
    foreign = events.event_create(
        actor=None,
        programme=adv["other_programme"],
        kind=EventKind.objects.get(programme=adv["other_programme"], code="cwg-meeting"),
        title="Foreign",
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        place=event.place,
    )
    before = state()
    response = client.post(url("grant_events", programme, grant.pk), {"events": [event.pk, foreign.pk]})
    assert response.status_code == 422
    assert state() == before
    # A liaison's event page does not show grants (liaisons see no grant).
    liaison_page = client_for(users[Role.LIAISON]).get(url("event_detail", programme, event.pk))
    assert 'id="event-grants"' not in liaison_page.content.decode()


GRANT_PANEL = "grants/_grant_application_panel.html"


def test_the_application_page_panel_leads_to_its_grant(grant: Grant, users: dict, adv: dict) -> None:
    def grant_panels(user: Any) -> list[Any]:  # the reviews' panel is registered on the same page
        return [p for p in application_panels(user, grant.application) if p.template == GRANT_PANEL]

    panels = grant_panels(users[Role.STAFF])
    assert len(panels) == 1
    assert panels[0].context["the_grant"].pk == grant.pk and panels[0].context["the_grant"].released == Decimal("0")
    assert grant_panels(adv["asti_isfara"]) == []
    assert grant_panels(users[Role.DONOR]) == []


def test_the_grant_page_renders_the_panels_other_modules_register(
    world: dict, programme: Any, users: dict, client_for: Any
) -> None:
    from hamkori.grants import panels

    def source(user: Any, grant: Any) -> list[Any]:
        return [panels.Panel(priority=5, template="grants/_grant_event_panel.html", context={"event_grants": [grant]})]

    panels.register_grant_panel(source)
    try:
        html = client_for(users[Role.STAFF]).get(url("grant_detail", programme, world["grant"].pk)).content.decode()
    finally:
        panels._GRANT.remove(source)
    assert 'id="event-grants"' in html


# --- Home, list filters and query counts -------------------------------------------------------------------
def test_home_items_say_what_waits_for_the_lead_organisation(
    world: dict, programme: Any, users: dict, client_for: Any
) -> None:
    texts = [item.text for item in home_items(users[Role.STAFF], programme)]
    assert "1 grant report waits for your review" in texts
    assert "1 tranche can be released: its condition holds" in texts
    for who in (Role.PARTNER, Role.DONOR, Role.LIAISON):
        assert not any(
            "grant report" in item.text or "tranche" in item.text for item in home_items(users[who], programme)
        )
    client = client_for(users[Role.STAFF])
    waiting = client.get(url("grant_list", programme) + "?todo=review").content.decode()
    assert world["grant"].number in waiting
    awards.report_review(actor=None, report=world["report"], approve=True)
    awards.tranche_release(actor=None, tranche=world["tranche"], paid_on=timezone.localdate())
    left = [item.text for item in home_items(users[Role.STAFF], programme)]
    assert not [text for text in left if "grant report" in text or "tranche" in text], left
    assert world["grant"].number not in client.get(url("grant_list", programme) + "?todo=release").content.decode()


def test_releasable_agrees_with_condition_holds(
    programme: Any, call: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    grants = []
    for i in range(3):
        grant = awarded(call, place, grant_vocab, users, amount="3000", name=f"Гурӯҳ {i}")
        awards.tranches_plan(
            actor=None, grant=grant, rows=[("1000", "signed", None), ("1000", "report", "1"), ("1000", "signed", None)]
        )
        grants.append(grant)
    awards.agreement_sign(actor=None, grant=grants[1], signed_on=timezone.localdate())
    awards.agreement_sign(actor=None, grant=grants[2], signed_on=timezone.localdate())
    first = grants[2].tranches.get(number=1)
    awards.tranche_release(actor=None, tranche=first, paid_on=timezone.localdate())
    report = awards.report_submit(actor=None, grant=grants[2], kind="interim", narrative="x", spent="1000")
    awards.report_review(actor=None, report=report, approve=True)
    tranches = list(Tranche.objects.filter(grant__in=grants, status=TrancheStatus.PLANNED))
    expected = {t.pk for t in tranches if awards.condition_holds(t)[0]}
    assert expected == set(releasable(Tranche.objects.all()).values_list("pk", flat=True))
    assert len(expected) == 2  # grant 2's first; grant 3's second (report 1 approved)


def test_the_list_filters_and_keeps_a_constant_number_of_queries(
    programme: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place, envelope="900000", max_grant="20000")
    client = client_for(users[Role.STAFF])
    address = url("grant_list", programme)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            grant = awarded(
                call, place, grant_vocab, users, amount="2000", district=ISFARA if i % 2 else VANJ, name=f"Гурӯҳи {i}"
            )
            awards.agreement_sign(actor=None, grant=grant, signed_on=timezone.localdate())
            awards.tranche_release(actor=None, tranche=grant.tranches.get(), paid_on=timezone.localdate())

    def queries() -> int:
        client.get(address)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert response.status_code == 200
        return len(captured)

    add(1, 0)
    few = queries()
    add(4, 1)
    assert queries() == few
    html = client.get(address).content.decode()
    assert "Гурӯҳи 4" in html and "2,000.00 TJS" in html and len(re.findall(r'id="grant-\d+"', html)) == 5
    vanj_only = client.get(address, {"district": VANJ}).content.decode()
    assert "Гурӯҳи 0" in vanj_only and "Гурӯҳи 1" not in vanj_only
    assert "Гурӯҳи 0" not in client.get(address, {"status": "closed"}).content.decode()
    assert "Гурӯҳи 0" not in client.get(address, {"call": "999999"}).content.decode()
    # The partner of Vanj sees Vanj's grants only, the grantee named (grants are not reviewed blind).
    partner_html = client_for(users[Role.PARTNER]).get(address).content.decode()
    assert "Гурӯҳи 0" in partner_html and "Гурӯҳи 1" not in partner_html
    assert re.search(r'<td data-label="Grantee">Гурӯҳи 0</td>', partner_html)
