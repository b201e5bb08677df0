"""The programme's money page and the exchange rates over real HTTP: the adversaries first (a donor reads the
totals but no grantee, no ledger, no grant page; a partner, a liaison, an anonymous visitor nothing; another
programme's admin 404), the figures per call and per currency (never adding currencies), the rates (entered,
corrected, locked once a payment used them, bad input refused), and two staff confirming the same release at
the same moment over HTTP: one payment."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import awards
from hamkori.grants.models import Disbursement, ExchangeRate, Grant, TrancheStatus
from tests.grants.conftest import make_call
from tests.grants.money_helpers import adversaries, awarded, build_money, state, url

#: A past day (a payment is never recorded before it is made), fixed for the whole run.
TODAY = timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def adv(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    return adversaries(make_user, programme, orgs, place)


@pytest.fixture
def money(programme: Any, place: Any, grant_vocab: dict, users: dict) -> dict[str, Any]:
    return build_money(programme, place, grant_vocab, users, TODAY)


# --- Adversaries ------------------------------------------------------------------------------------------
def test_a_donor_reads_the_totals_but_no_grantee_no_ledger_and_no_grant_page(
    programme: Any, money: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.DONOR])
    page = client.get(url("grants_money", programme))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Маъракаҳо 2026" in html and "7,000.30 TJS" in html
    for grant in money["grants"]:
        assert grant.number not in html and grant.application.applicant_name not in html
        assert grant.application.title not in html
        assert client.get(url("grant_detail", programme, grant.pk)).status_code == 403
    assert "Draft call" not in html  # a draft is the lead organisation's plan
    assert url("grants_ledger", programme) not in html and url("grant_list", programme) not in html
    assert client.get(url("grants_ledger", programme)).status_code == 403
    assert client.get(url("grant_list", programme)).status_code == 403
    assert client.get(url("grants_rates", programme)).status_code == 403


def test_partners_liaisons_members_outsiders_and_anonymous_visitors_see_no_money(
    programme: Any, money: dict, users: dict, client_for: Any, adv: dict
) -> None:
    pages = [url("grants_money", programme), url("grants_ledger", programme), url("grants_rates", programme)]
    for who in (Role.PARTNER, Role.LIAISON, Role.GROUP_MEMBER):
        client = client_for(users[who])
        for page in pages:
            assert client.get(page).status_code == 403, (who, page)
    for client in (client_for(users["outsider"]), client_for(adv["asti_vanj"])):
        for page in pages:
            assert client.get(page).status_code in (403, 404), page
    anonymous = client_for(None)
    for page in pages:
        response = anonymous.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    before = state()
    data = {"on": TODAY.isoformat(), "base": "USD", "quote": "TJS", "rate": "1"}
    for client in (client_for(users[Role.PARTNER]), client_for(users[Role.DONOR]), anonymous):
        assert client.post(url("grants_rates", programme), data).status_code in (302, 403)
    assert state() == before


def test_another_programmes_admin_gets_404_and_sees_none_of_this_money(
    programme: Any, money: dict, adv: dict, client_for: Any
) -> None:
    client = client_for(adv["other_admin"])
    for name in ("grants_money", "grants_ledger", "grants_rates"):
        assert client.get(url(name, programme)).status_code == 404, name
    before = state()
    data = {"on": TODAY.isoformat(), "base": "USD", "quote": "TJS", "rate": "1"}
    assert client.post(url("grants_rates", programme), data).status_code == 404
    html = client.get(url("grants_money", adv["other_programme"])).content.decode()
    assert "Маъракаҳо 2026" not in html and "7,000.30" not in html
    rates = client.get(url("grants_rates", adv["other_programme"])).content.decode()
    assert "10.915450" not in rates
    assert state() == before


# --- The figures --------------------------------------------------------------------------------------------
def test_the_money_page_adds_each_currency_apart(programme: Any, money: dict, users: dict, client_for: Any) -> None:
    html = client_for(users[Role.STAFF]).get(url("grants_money", programme)).content.decode()
    tjs, usd = money["tjs"], money["usd"]
    # TJS calls: 50000.50 + the draft's 777; committed 12000.55 + 3000; released 7000.30 + 1000.
    total_tjs = html[html.index('id="total-TJS"') : html.index("</tr>", html.index('id="total-TJS"'))]
    assert "50,777.50 TJS" in total_tjs and "15,000.55 TJS" in total_tjs and "8,000.30 TJS" in total_tjs
    assert "35,776.95 TJS" in total_tjs  # left to commit
    total_usd = html[html.index('id="total-USD"') : html.index("</tr>", html.index('id="total-USD"'))]
    assert "10,000.00 USD" in total_usd and "2,500.00 USD" in total_usd and "7,500.00 USD" in total_usd
    # Paid: 7000.30 TJS + 27288.63 TJS (2500 USD × 10.91545, half up) = 34288.93 TJS; 1000 TJS × 0.0915 = 91.50 USD.
    assert 'data-amount="34288.93"' in html and 'data-amount="91.50"' in html
    row = html[html.index(f'id="call-{tjs.pk}"') : html.index("</tr>", html.index(f'id="call-{tjs.pk}"'))]
    assert "7,000.30 TJS" in row and "91.50 USD" in row and "38,000.00" not in row
    row = html[html.index(f'id="call-{usd.pk}"') : html.index("</tr>", html.index(f'id="call-{usd.pk}"'))]
    assert "27,288.63 TJS" in row and "2,500.00 USD" in row
    assert "Draft call" in html  # the lead organisation sees its drafts
    assert url("grants_ledger", programme) in html


def test_the_money_page_is_shown_in_russian_with_the_currency_codes(
    programme: Any, money: dict, users: dict, client_for: Any
) -> None:
    html = client_for(users[Role.ADMIN]).get(url("grants_money", programme), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="ru">' in html
    assert "7\xa0000,30 TJS" in html or "7 000,30 TJS" in html, html[html.index('id="money-calls"') :][:1500]


def test_the_money_page_keeps_a_constant_number_of_queries(
    programme: Any, money: dict, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.DONOR])
    address = url("grants_money", programme)

    def queries() -> int:
        client.get(address)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured)

    few = queries()
    for i in range(3):
        call = make_call(programme, place, envelope="9000", max_grant="3000", title=f"Call {i}")
        grant = awarded(call, place, grant_vocab, users, amount="1000", name=f"Group {i}")
        awards.agreement_sign(actor=None, grant=grant, signed_on=TODAY)
        awards.tranche_release(actor=None, tranche=grant.tranches.get(), paid_on=TODAY)
    assert queries() == few


# --- Exchange rates ---------------------------------------------------------------------------------------
def test_staff_enter_and_correct_a_rate_and_a_used_rate_is_locked(
    programme: Any, money: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("grants_rates", programme)
    day = TODAY + dt.timedelta(days=3)
    response = client.post(address, {"on": day.isoformat(), "base": "EUR", "quote": "TJS", "rate": "11,5"})
    assert response.status_code == 302
    assert ExchangeRate.objects.get(on=day, base="EUR").rate == Decimal("11.5")
    page = client.get(address, {"on": day.isoformat(), "base": "EUR", "quote": "TJS"}).content.decode()
    assert 'value="11.500000"' in page
    assert (
        client.post(address, {"on": day.isoformat(), "base": "EUR", "quote": "TJS", "rate": "11.75"}).status_code == 302
    )
    assert ExchangeRate.objects.filter(on=day, base="EUR").get().rate == Decimal("11.75")
    html = client.get(address).content.decode()
    used = ExchangeRate.objects.get(on=TODAY, base="USD")
    assert f'id="rate-{used.pk}"' in html
    row = html[html.index(f'id="rate-{used.pk}"') :][:600]
    assert "Locked" in row and "Correct" not in row
    before = state()
    response = client.post(address, {"on": TODAY.isoformat(), "base": "USD", "quote": "TJS", "rate": "12"})
    assert response.status_code == 422
    assert "A payment was made at this day&#x27;s rate: it can no longer change." in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rate": "0"}, "Enter a rate above zero, for example 10.9215."),
        ({"rate": "-3"}, "Enter a rate above zero, for example 10.9215."),
        ({"rate": "abc"}, "Enter a rate above zero, for example 10.9215."),
        ({"rate": "10.1234567"}, "A rate has at most six decimal places."),
        ({"quote": "USD"}, "Choose two different currencies."),
        ({"base": "XYZ"}, "Select a valid choice. %(value)s is not one of the available choices."),
        ({"on": "20.13.2026"}, "Enter a valid date."),
    ],
)
def test_bad_rates_are_refused_in_words_and_nothing_is_saved(
    programme: Any, users: dict, client_for: Any, data: dict, message: str
) -> None:
    client = client_for(users[Role.ADMIN])
    before = state()
    posted = {"on": TODAY.isoformat(), "base": "USD", "quote": "TJS", "rate": "10.9", **data}
    response = client.post(url("grants_rates", programme), posted, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    with translation.override("ru"):
        expected = gettext(message) % {"value": "XYZ"} if "%(value)s" in message else gettext(message)
    assert response.status_code == 422 and '<html lang="ru">' in html and expected in html
    assert state() == before


# --- Two releases at the same moment, over HTTP -------------------------------------------------------------
def _post_at_once(barrier: threading.Barrier, client: Client, address: str, data: dict, results: list[Any]) -> None:
    """One of two simultaneous requests, on this thread's own database connection. SQLite's shared in-memory test
    database answers "locked" at once instead of waiting: the request then failed before its transaction began
    (a 500, nothing written) and is sent again. PostgreSQL waits on the call's lock, and is never sent again."""
    from django.db import connection as own

    try:
        barrier.wait(timeout=10)
        for _attempt in range(200):
            response = client.post(address, data)
            if response.status_code != 500 or own.vendor != "sqlite":
                results.append(response)
                return
            threading.Event().wait(0.02)
        raise AssertionError("the database stayed locked")
    except BaseException as exc:
        results.append(exc)
    finally:
        own.close()


@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_the_same_release_at_once_pay_it_once(
    programme: Any, place: Any, grant_vocab: dict, users: dict, settings: Any
) -> None:
    """Both requests reach the service together; the call's lock serves one, the other finds the tranche released
    (422 with the reason). The clients do not raise a request's exception (the test client hears every thread's
    exceptions, and would raise the other request's in this one). On SQLite every request's session save
    (``SESSION_SAVE_EVERY_REQUEST``) could meet the other request's transaction after the release was committed,
    so there the sessions live in signed cookies and the only writes are the release's; PostgreSQL runs as
    configured."""
    if connection.vendor == "sqlite":
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    call = make_call(programme, place)
    grant = awarded(call, place, grant_vocab, users)
    awards.agreement_sign(actor=None, grant=grant, signed_on=TODAY)
    tranche = grant.tranches.get()
    address = url("tranche_release", programme, grant.pk, tranche.pk)
    data = {"paid_on": TODAY.isoformat(), "paid_currency": "TJS", "reference": "B-9", "confirm": "1"}
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = []
    for who in (Role.STAFF, Role.ADMIN):
        client = Client(raise_request_exception=False)
        client.force_login(users[who])
        threads.append(threading.Thread(target=_post_at_once, args=(barrier, client, address, data, results)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [302, 422], results
    refused = next(r for r in results if r.status_code == 422)
    assert "This tranche was already released." in refused.content.decode()
    assert Disbursement.objects.filter(tranche=tranche).count() == 1
    assert Grant.objects.get(pk=grant.pk).tranches.get().status == TrancheStatus.RELEASED
    assert AuditEvent.objects.filter(action="grant.release", object_id=str(grant.pk)).count() == 1
