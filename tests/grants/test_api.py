"""The grants API: calls, applications, grants with their tranches and reports, campaign products and reach.

Scoped like the pages (another programme's admin, ASTI's partner who also covers Vanj, a liaison, a donor, an
anonymous caller), the services' refusals in the one error format with nothing saved, amounts as strings with
their currency (numbers and malformed amounts answer 422), one application per ``client_key``, a tranche
released only when its condition holds, the applicant hidden from a blind call's reviewers, the operations in
the OpenAPI schema, and lists whose query count does not grow."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hamkori.access.policy import decide
from hamkori.accounts.models import User
from hamkori.accounts.services import api_token_create
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import awards, campaigns, reviews
from hamkori.grants.models import (
    Application,
    CampaignProduct,
    Disbursement,
    Grant,
    GrantCall,
    GrantReport,
    Reach,
    Tranche,
)
from tests import factories

from .conftest import ISFARA, VANJ, approve, make_application, make_call

pytestmark = pytest.mark.django_db

API = "/api/grants"


def bearer(user: User | None) -> Client:
    if user is None:
        return Client()
    _token, secret = api_token_create(actor=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, body or {}, content_type="application/json")


def new_application(call: GrantCall, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "call": call.pk,
        "client_key": str(uuid.uuid4()),
        "applicant_name": "Гурӯҳи занони Ванҷ",
        "applicant_kind": "women",
        "district": VANJ,
        "title": "Варақаҳо дар бораи ҳуқуқҳои занон",
        "summary": "Варақаҳо ва вохӯриҳо дар деҳаҳо",
        "audience": "Занон ва духтарони ноҳия",
        "formats": ["leaflet"],
        "languages": ["tg"],
        "starts_on": "2027-02-01",
        "ends_on": "2027-04-30",
        "budget": [{"item": "Чоп", "amount": "4500.50"}, {"item": "Нақлиёт", "amount": "1200"}],
        "contact": {"full_name": "Гулнора Шарипова", "phone": "+992 93 555 12 34"},
    }
    body.update(more)
    return body


def new_call(programme: Any, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "programme": programme.code,
        "title": "Маъракаҳои шаҳрвандӣ 2027",
        "currency": "TJS",
        "envelope": "150000",
        "max_grant": "25000.00",
        "deadline": (timezone.localdate() + dt.timedelta(days=40)).isoformat() + "T18:00:00",
        "districts": [VANJ, ISFARA],
        "languages": ["tg", "ru"],
        "criteria": [{"name": "Relevance", "weight": 3}, {"name": "Feasibility", "weight": 2}],
    }
    body.update(more)
    return body


def signed_grant_with_two_tranches(application: Application, vocab: dict, users: dict) -> Grant:
    """12000 TJS: 7000 on signature, 5000 once report 1 is approved; signed today."""
    approve(application, vocab, users[Role.STAFF])
    grant = Grant.objects.get(application=application)
    awards.tranches_plan(actor=None, grant=grant, rows=[("7000", "signed", None), ("5000", "report", 1)])
    return grant


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """ASTI's partner (given Vanj too, so only the organisation boundary holds her back) and an admin of another
    programme (which covers Vanj as well)."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
        partners=[(orgs["lap"], [place(VANJ)])],
    )
    return {
        "other_partner": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place(VANJ)],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
    }


@pytest.fixture
def product(grant: Grant, grant_vocab: dict, users: dict) -> CampaignProduct:
    """LAP's leaflet on the Vanj grant, handed out once."""
    made = campaigns.product_save(
        actor=users[Role.PARTNER],
        programme=grant.programme,
        grant=grant,
        district=None,
        format=grant_vocab["formats"]["leaflet"],
        title="Варақа: милитсия ва ҷавонон",
        language="tg",
        quantity=2000,
    )
    campaigns.reach_save(
        actor=users[Role.PARTNER],
        product=made,
        on=timezone.localdate(),
        place=grant.district,
        channel="distribution",
        counts={("female", "18-24"): 40, ("male", "25-35"): 35},
        copies=300,
    )
    return made


def snapshot() -> tuple[int, ...]:
    return (
        GrantCall.objects.count(),
        Application.objects.count(),
        Grant.objects.count(),
        Tranche.objects.filter(status="released").count(),
        Disbursement.objects.count(),
        GrantReport.objects.count(),
        CampaignProduct.objects.count(),
        Reach.objects.count(),
    )


# --- Adversaries ---------------------------------------------------------------------------------------
def test_outsiders_neither_read_nor_change_anything(
    programme: Any, call: GrantCall, grant: Grant, product: CampaignProduct, users: dict, adversaries: dict
) -> None:
    application = grant.application
    tranche = grant.tranches.get()
    reads = [
        f"{API}/calls/{call.pk}",
        f"{API}/applications/{application.pk}",
        f"{API}/{grant.pk}",
        f"{API}/products/{product.pk}",
    ]
    lists = ["calls", "applications", "", "products", "reach"]
    writes = [
        ("patch", f"{API}/calls/{call.pk}", {"title": "Changed"}),
        ("post", f"{API}/calls/{call.pk}/status", {"status": "closed"}),
        ("post", f"{API}/calls", new_call(programme)),
        ("post", f"{API}/applications", new_application(call)),
        ("post", f"{API}/applications/{application.pk}/submit", {}),
        ("post", f"{API}/{grant.pk}/tranches/{tranche.pk}/release", {"paid_on": timezone.localdate().isoformat()}),
        ("post", f"{API}/{grant.pk}/reports", {"narrative": "Done", "spent": "10"}),
        ("post", f"{API}/products", {"programme": programme.code, "grant": grant.pk, "format": "poster",
                                     "title": "Плакат", "language": "tg"}),
        ("post", f"{API}/products/{product.pk}/reach", {"on": timezone.localdate().isoformat(), "place": VANJ,
                                                        "channel": "distribution", "copies": 5}),
    ]  # fmt: skip
    before = snapshot()
    for who in (adversaries["other_admin"], users[Role.LIAISON], users[Role.DONOR], users["outsider"], None):
        client = bearer(who)
        for url in reads:
            assert client.get(url).status_code in (401, 403, 404), (who, url)
        for method, url, body in writes:
            assert send(client, method, url, body).status_code in (401, 403, 404), (who, url)
        for name in lists:
            listed = client.get(f"{API}/{name}", {"programme": programme.code})
            assert listed.status_code in (401, 403, 404), (who, name)
    # Another programme's admin is told nothing exists; an anonymous caller is asked to sign in.
    for url in reads:
        response = bearer(adversaries["other_admin"]).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert bearer(None).get(url).status_code == 401
    assert bearer(users[Role.DONOR]).get(f"{API}/{grant.pk}").status_code == 404
    assert snapshot() == before
    assert Grant.objects.get(pk=grant.pk).tranches.get().status == "planned"


def test_a_partner_of_another_organisation_reads_in_her_districts_but_changes_nothing(
    programme: Any, call: GrantCall, grant: Grant, product: CampaignProduct, adversaries: dict, grant_vocab: dict
) -> None:
    client = bearer(adversaries["other_partner"])
    for url in (f"{API}/calls/{call.pk}", f"{API}/{grant.pk}", f"{API}/products/{product.pk}"):
        assert client.get(url).status_code == 200, url
    draft = make_application(call, lambda c: grant.district, grant_vocab, submit=False)
    Application.objects.filter(pk=draft.pk).update(owner=grant.owner)  # LAP supports it
    tranche = grant.tranches.get()
    before = snapshot()
    refusals = [
        ("patch", f"{API}/calls/{call.pk}", {"title": "Changed"}, "Your role"),
        ("post", f"{API}/applications/{draft.pk}/submit", {}, "supports this applicant"),
        ("post", f"{API}/{grant.pk}/tranches/{tranche.pk}/release", {"paid_on": "2026-01-01"}, "Your role"),
        ("post", f"{API}/{grant.pk}/reports", {"narrative": "Done", "spent": "0"}, "supports this grant"),
        ("post", f"{API}/products", {"programme": programme.code, "grant": grant.pk, "format": "poster",
                                     "title": "Плакат", "language": "tg"}, "supports this grant"),
        ("post", f"{API}/products/{product.pk}/reach", {"on": "2026-01-01", "place": VANJ,
                                                        "channel": "distribution", "copies": 5}, "recorded this"),
    ]  # fmt: skip
    for method, url, body, reason in refusals:
        response = send(client, method, url, body)
        assert response.status_code == 403, (url, response.json())
        assert set(response.json()) == {"code", "detail", "errors"} and reason in response.json()["detail"], url
    assert snapshot() == before


def test_a_partner_records_only_in_her_own_districts(programme: Any, call: GrantCall, users: dict) -> None:
    client = bearer(users[Role.PARTNER])
    response = send(client, "post", f"{API}/applications", new_application(call, district=ISFARA))
    assert response.status_code == 422 and "district" in response.json()["errors"]
    product = {"programme": programme.code, "district": ISFARA, "format": "poster", "title": "Плакат", "language": "tg"}
    response = send(client, "post", f"{API}/products", product)
    assert response.status_code == 422 and "district" in response.json()["errors"]
    assert not Application.objects.exists() and not CampaignProduct.objects.exists()
    # In Vanj she can, for her organisation.
    made = send(client, "post", f"{API}/products", {**product, "district": VANJ})
    assert made.status_code == 201 and made.json()["recorded_by"]["name"] == "Lawyers Association of Pamir"


def test_only_the_lead_organisation_runs_calls(programme: Any, users: dict, grant_vocab: dict) -> None:
    for role in (Role.PARTNER, Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER):
        response = send(bearer(users[role]), "post", f"{API}/calls", new_call(programme))
        assert response.status_code == 403, role
    assert not GrantCall.objects.exists()


# --- Calls ---------------------------------------------------------------------------------------------
def test_create_open_change_and_read_a_call(programme: Any, users: dict, grant_vocab: dict) -> None:
    client = bearer(users[Role.STAFF])
    created = send(client, "post", f"{API}/calls", new_call(programme))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["envelope"] == {"amount": "150000.00", "currency": "TJS"}
    assert body["max_grant"] == {"amount": "25000.00", "currency": "TJS"}
    assert body["deadline"].endswith("T18:00:00+05:00") and body["districts"] == [VANJ, ISFARA]
    assert [c["name"] for c in body["criteria"]] == ["Relevance", "Feasibility"]
    assert body["totals"]["remaining"] == {"amount": "150000.00", "currency": "TJS"}
    call_id = body["id"]
    opened = send(client, "post", f"{API}/calls/{call_id}/status", {"status": "open"})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    patched = send(client, "patch", f"{API}/calls/{call_id}", {"envelope": "175000.50", "max_grant": ""})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["envelope"]["amount"] == "175000.50" and patched.json()["max_grant"] is None
    assert patched.json()["title"] == "Маъракаҳои шаҳрвандӣ 2027" and len(patched.json()["criteria"]) == 2
    call = GrantCall.objects.get(pk=call_id)
    assert call.envelope == Decimal("175000.50") and call.max_grant is None and call.status == "open"
    # A partner reads it, without the programme's money.
    seen = bearer(users[Role.PARTNER]).get(f"{API}/calls/{call_id}")
    assert seen.status_code == 200 and seen.json()["totals"] is None
    listed = bearer(users[Role.PARTNER]).get(f"{API}/calls", {"programme": programme.code, "status": "open"})
    assert [c["id"] for c in listed.json()["items"]] == [call_id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"envelope": "0"}, "envelope"),
        ({"envelope": "-100"}, "envelope"),
        ({"envelope": "1e6"}, "envelope"),
        ({"envelope": "1 000"}, "envelope"),
        ({"envelope": "12.345"}, "envelope"),
        ({"envelope": 150000}, "envelope"),
        ({"envelope": 1500.5}, "envelope"),
        ({"max_grant": "200000"}, "max_grant"),
        ({"districts": ["TJ-DU"]}, "districts"),
        ({"criteria": []}, "criteria"),
        ({"currency": "RUB"}, "currency"),
    ],
)
def test_a_bad_call_is_refused_in_the_one_format(
    programme: Any, users: dict, grant_vocab: dict, change: dict, field: str
) -> None:
    response = send(bearer(users[Role.STAFF]), "post", f"{API}/calls", new_call(programme, **change))
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    assert not GrantCall.objects.exists()


# --- Applications --------------------------------------------------------------------------------------
def test_the_same_client_key_twice_is_one_application(call: GrantCall, users: dict, grant_vocab: dict) -> None:
    client = bearer(users[Role.PARTNER])
    body = new_application(call)
    first = send(client, "post", f"{API}/applications", body)
    assert first.status_code == 201, first.json()
    again = send(client, "post", f"{API}/applications", body)  # a retry after a dropped connection
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    changed = send(client, "post", f"{API}/applications", {**body, "title": "Варақаҳо ва плакатҳо"})
    assert changed.status_code == 200 and changed.json()["title"] == "Варақаҳо ва плакатҳо"
    assert Application.objects.count() == 1
    application = Application.objects.get()
    assert application.client_key == uuid.UUID(body["client_key"]) and application.amount == Decimal("5700.50")
    detail = changed.json()
    assert detail["amount"] == {"amount": "5700.50", "currency": "TJS"}
    assert detail["budget"][0] == {"item": "Чоп", "amount": {"amount": "4500.50", "currency": "TJS"}}
    assert detail["supported_by"]["name"] == "Lawyers Association of Pamir" and detail["status"] == "draft"
    assert "contact" not in detail and "Гулнора" not in changed.content.decode()
    assert application.contact_key is not None  # kept in the vault
    submitted = send(client, "post", f"{API}/applications/{application.pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"].endswith("+05:00")
    late = send(client, "post", f"{API}/applications", body)
    assert late.status_code == 422 and "__all__" in late.json()["errors"]
    twice = send(client, "post", f"{API}/applications/{application.pk}/submit")
    assert twice.status_code == 422
    assert Application.objects.count() == 1


def test_an_incomplete_draft_cannot_be_submitted(call: GrantCall, users: dict, grant_vocab: dict) -> None:
    client = bearer(users[Role.PARTNER])
    made = send(client, "post", f"{API}/applications", new_application(call, budget=[], formats=[], summary=""))
    assert made.status_code == 201
    response = send(client, "post", f"{API}/applications/{made.json()['id']}/submit")
    assert response.status_code == 422
    assert {"budget", "formats", "summary"} <= set(response.json()["errors"])
    assert Application.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("12.345", "decimal places"),
        ("-5", "decimal in quotes"),
        ("0", "more than zero"),
        ("abc", "decimal in quotes"),
        ("1,5", "decimal in quotes"),
        ("NaN", "decimal in quotes"),
        ("9999999999999.99", "too large"),
        (1200, "string"),
        (1200.5, "string"),
    ],
)
def test_bad_amounts_answer_422_and_save_nothing(
    call: GrantCall, users: dict, grant_vocab: dict, amount: Any, words: str
) -> None:
    body = new_application(call, budget=[{"item": "Чоп", "amount": amount}])
    response = send(bearer(users[Role.PARTNER]), "post", f"{API}/applications", body)
    assert response.status_code == 422, response.json()
    errors = response.json()["errors"]
    messages = " ".join(m for field, ms in errors.items() if field.startswith("budget") for m in ms)
    assert words in messages, errors
    assert not Application.objects.exists()


def test_bad_application_fields_are_named(call: GrantCall, users: dict, grant_vocab: dict) -> None:
    client = bearer(users[Role.PARTNER])
    for change, field in [
        ({"formats": ["nonsense"]}, "formats"),
        ({"concerns": ["C-NOPE"]}, "concerns"),
        ({"place": "NOWHERE"}, "place"),
        ({"applicant_kind": "gang"}, "applicant_kind"),
        ({"ends_on": "2027-01-01"}, "ends_on"),
        ({"client_key": "not-a-uuid"}, "client_key"),
    ]:
        response = send(client, "post", f"{API}/applications", new_application(call, **change))
        assert response.status_code == 422 and field in response.json()["errors"], (change, response.json())
    assert not Application.objects.exists()


def test_a_closed_call_takes_no_applications(call: GrantCall, users: dict, grant_vocab: dict) -> None:
    send(bearer(users[Role.STAFF]), "post", f"{API}/calls/{call.pk}/status", {"status": "closed"})
    response = send(bearer(users[Role.PARTNER]), "post", f"{API}/applications", new_application(call))
    assert response.status_code == 422 and "closed" in response.json()["errors"]["__all__"][0]


def test_a_blind_calls_reviewer_does_not_see_who_applied(
    programme: Any, place: Any, users: dict, grant_vocab: dict
) -> None:
    blind = make_call(programme, place, blind_review=True, title="Blind")
    open_call = make_call(programme, place, title="Open")
    hidden = make_application(blind, place, grant_vocab, actor=users[Role.PARTNER], name="Ҷавонони Ванҷ")
    shown = make_application(open_call, place, grant_vocab, actor=users[Role.PARTNER], name="Занони Ванҷ")
    reviewer = users[Role.STAFF]
    for application in (hidden, shown):
        reviews.review_assign(actor=None, application=application, reviewer=reviewer)
    client = bearer(reviewer)
    one = client.get(f"{API}/applications/{hidden.pk}").json()
    assert one["applicant"] is None and one["identity_hidden"] is True
    assert "Ҷавонони Ванҷ" not in client.get(f"{API}/applications", {"programme": programme.code}).content.decode()
    rows = {r["id"]: r for r in client.get(f"{API}/applications", {"programme": programme.code}).json()["items"]}
    assert rows[hidden.pk]["applicant"] is None and rows[shown.pk]["applicant"] == "Занони Ванҷ"
    # The rows agree with the registry, for the reviewer and for those who are not.
    for user in (reviewer, users[Role.ADMIN], users[Role.PARTNER]):
        listed = bearer(user).get(f"{API}/applications", {"programme": programme.code}).json()["items"]
        for row in listed:
            application = Application.objects.get(pk=row["id"])
            allowed = decide(user, "application.view_identity", application).allowed
            assert row["identity_hidden"] is (not allowed), (user, row)
            assert (row["applicant"] is None) is (not allowed)
    assert bearer(users[Role.ADMIN]).get(f"{API}/applications/{hidden.pk}").json()["applicant"] == "Ҷавонони Ванҷ"
    # Awarded, the grant hides the name from the reviewer too.
    approve(hidden, grant_vocab, reviewer)
    grant = Grant.objects.get(application=hidden)
    assert client.get(f"{API}/{grant.pk}").json()["applicant"] is None
    assert bearer(users[Role.ADMIN]).get(f"{API}/{grant.pk}").json()["applicant"] == "Ҷавонони Ванҷ"


# --- Grants, tranches, reports -------------------------------------------------------------------------
def test_a_tranche_is_released_only_when_its_condition_holds(
    application: Application, users: dict, grant_vocab: dict
) -> None:
    grant = signed_grant_with_two_tranches(application, grant_vocab, users)
    first, second = grant.tranches.order_by("number")
    staff = bearer(users[Role.STAFF])
    today = timezone.localdate().isoformat()
    release = f"{API}/{grant.pk}/tranches/{{}}/release"
    unsigned = send(staff, "post", release.format(first.pk), {"paid_on": today})
    assert unsigned.status_code == 422 and "not signed" in unsigned.json()["errors"]["__all__"][0]
    detail = staff.get(f"{API}/{grant.pk}").json()
    assert [t["can_release"] for t in detail["tranches"]] == [False, False]
    assert "not signed" in detail["tranches"][0]["waiting_for"]
    awards.agreement_sign(actor=None, grant=grant, signed_on=timezone.localdate())
    out_of_order = send(staff, "post", release.format(second.pk), {"paid_on": today})
    assert out_of_order.status_code == 422 and "earlier" in out_of_order.json()["errors"]["__all__"][0]
    released = send(staff, "post", release.format(first.pk), {"paid_on": today, "reference": "ПП-0042"})
    assert released.status_code == 200, released.json()
    tranche = released.json()["tranches"][0]
    assert tranche["status"] == "released" and tranche["disbursement"]["paid"] == {
        "amount": "7000.00",
        "currency": "TJS",
    }
    assert tranche["disbursement"]["reference"] == "ПП-0042" and tranche["disbursement"]["rate"] == "1.000000"
    assert released.json()["released"] == {"amount": "7000.00", "currency": "TJS"}
    again = send(staff, "post", release.format(first.pk), {"paid_on": today})
    assert again.status_code == 422 and "already" in again.json()["errors"]["__all__"][0]
    waiting = send(staff, "post", release.format(second.pk), {"paid_on": today})
    assert waiting.status_code == 422 and "Report 1" in waiting.json()["errors"]["__all__"][0]
    assert Disbursement.objects.count() == 1
    # The partner reports; the lead approves; the second tranche goes, paid in dollars at the day's rate.
    partner = bearer(users[Role.PARTNER])
    too_much = send(partner, "post", f"{API}/{grant.pk}/reports", {"narrative": "Чоп шуд", "spent": "7000.01"})
    assert too_much.status_code == 422 and "spent" in too_much.json()["errors"]
    report = send(partner, "post", f"{API}/{grant.pk}/reports", {"narrative": "Чоп шуд", "spent": "6500.50"})
    assert report.status_code == 201 and report.json()["spent"] == {"amount": "6500.50", "currency": "TJS"}
    awards.report_review(actor=None, report=GrantReport.objects.get(pk=report.json()["id"]), approve=True)
    no_rate = send(staff, "post", release.format(second.pk), {"paid_on": today, "paid_currency": "USD"})
    assert no_rate.status_code == 422 and "paid_currency" in no_rate.json()["errors"]
    awards.rate_save(actor=None, programme=grant.programme, on=timezone.localdate(), base="TJS", quote="USD",
                     rate="0.091575")  # fmt: skip
    paid = send(staff, "post", release.format(second.pk), {"paid_on": today, "paid_currency": "USD"})
    assert paid.status_code == 200, paid.json()
    payment = paid.json()["tranches"][1]["disbursement"]
    assert payment["amount"] == {"amount": "5000.00", "currency": "TJS"}
    assert payment["paid"] == {"amount": "457.88", "currency": "USD"} and payment["rate"] == "0.091575"
    assert paid.json()["spent"] == {"amount": "6500.50", "currency": "TJS"}
    assert paid.json()["released"] == {"amount": "12000.00", "currency": "TJS"}
    assert [r["status"] for r in paid.json()["reports"]] == ["approved"]


def test_a_returned_report_is_sent_again_and_bad_reports_are_named(grant: Grant, users: dict) -> None:
    partner = bearer(users[Role.PARTNER])
    url = f"{API}/{grant.pk}/reports"
    for body, field in [
        ({"narrative": "", "spent": "0"}, "narrative"),
        ({"narrative": "Ok", "spent": 0}, "spent"),
        ({"narrative": "Ok", "spent": "1.001"}, "spent"),
        ({"narrative": "Ok", "spent": "1", "kind": "weekly"}, "kind"),
    ]:
        response = send(partner, "post", url, body)
        assert response.status_code == 422 and field in response.json()["errors"], (body, response.json())
    first = send(partner, "post", url, {"narrative": "Нақша", "spent": "0"})
    assert first.status_code == 201 and first.json()["number"] == 1
    busy = send(partner, "post", url, {"narrative": "Боз", "spent": "0"})
    assert busy.status_code == 422 and "__all__" in busy.json()["errors"]
    awards.report_review(actor=None, report=GrantReport.objects.get(), approve=False, note="Рақамҳоро илова кунед")
    resent = send(partner, "post", url, {"narrative": "Нақша ва рақамҳо", "spent": "0", "report": first.json()["id"]})
    assert resent.status_code == 200 and resent.json()["status"] == "submitted" and resent.json()["number"] == 1
    assert GrantReport.objects.count() == 1


# --- Products and reach --------------------------------------------------------------------------------
def test_products_and_reach(programme: Any, grant: Grant, users: dict, grant_vocab: dict, place: Any) -> None:
    partner = bearer(users[Role.PARTNER])
    body = {"programme": programme.code, "grant": grant.pk, "format": "video", "title": "Видео: «Хонаи мо»",
            "language": "ru", "quantity": 1, "link": "https://example.org/video"}  # fmt: skip
    made = send(partner, "post", f"{API}/products", body)
    assert made.status_code == 201, made.json()
    product = made.json()
    assert product["grant"] == grant.pk and product["district"] == VANJ and product["people_reached"] == 0
    reach = {
        "on": timezone.localdate().isoformat(),
        "place": VANJ,
        "channel": "screening",
        "counts": [
            {"sex": "female", "age_band": "18-24", "count": 25},
            {"sex": "male", "age_band": "u18", "count": 30},
        ],
        "feedback": "Тамошобинон саволҳо доданд",
    }
    recorded = send(partner, "post", f"{API}/products/{product['id']}/reach", reach)
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["people"] == 55 and recorded.json()["district"] == VANJ
    seen = partner.get(f"{API}/products/{product['id']}").json()
    assert seen["people_reached"] == 55 and [r["people"] for r in seen["reach"]] == [55]
    bad = [
        ({"place": ISFARA}, "place"),
        ({"channel": "pigeon"}, "channel"),
        ({"counts": [{"sex": "female", "age_band": "18-24", "count": -1}]}, "counts.0.count"),
        ({"counts": [reach["counts"][0], reach["counts"][0]]}, "counts"),
        ({"counts": [], "copies": 0}, "counts"),
        ({"on": (timezone.localdate() + dt.timedelta(days=5)).isoformat()}, "on"),
        ({"event": 999999}, "event"),
    ]
    for change, field in bad:
        response = send(partner, "post", f"{API}/products/{product['id']}/reach", {**reach, **change})
        assert response.status_code == 422 and field in response.json()["errors"], (change, response.json())
    assert Reach.objects.filter(product_id=product["id"]).count() == 1
    listed = partner.get(f"{API}/reach", {"programme": programme.code, "product": product["id"]}).json()
    assert [r["id"] for r in listed["items"]] == [recorded.json()["id"]]
    for change, field in [({"format": "carrier-pigeon"}, "format"), ({"link": "javascript:alert(1)"}, "link")]:
        response = send(partner, "post", f"{API}/products", {**body, **change})
        assert response.status_code == 422 and field in response.json()["errors"], change


# --- Schema, enums, query counts -----------------------------------------------------------------------
def test_the_openapi_schema_lists_the_operations(users: dict) -> None:
    schema = bearer(users[Role.STAFF]).get("/api/openapi.json").json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    expected = {
        ("/api/grants/calls", "get"),
        ("/api/grants/calls", "post"),
        ("/api/grants/calls/{call_id}", "get"),
        ("/api/grants/calls/{call_id}", "patch"),
        ("/api/grants/calls/{call_id}/status", "post"),
        ("/api/grants/applications", "get"),
        ("/api/grants/applications", "post"),
        ("/api/grants/applications/{application_id}", "get"),
        ("/api/grants/applications/{application_id}/submit", "post"),
        ("/api/grants/", "get"),
        ("/api/grants/{grant_id}", "get"),
        ("/api/grants/{grant_id}/tranches/{tranche_id}/release", "post"),
        ("/api/grants/{grant_id}/reports", "post"),
        ("/api/grants/products", "get"),
        ("/api/grants/products", "post"),
        ("/api/grants/products/{product_id}", "get"),
        ("/api/grants/reach", "get"),
        ("/api/grants/products/{product_id}/reach", "post"),
    }
    assert expected <= operations, expected - operations
    components = schema["components"]["schemas"]
    assert components["MoneyOut"]["properties"]["amount"]["type"] == "string"
    for path, method in expected:
        answers = schema["paths"][path][method]["responses"]
        assert {"401", "403", "404", "422"} <= set(answers), (path, method)
        assert answers["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_the_schemas_enums_are_the_models_choices() -> None:
    from hamkori.grants import api, api_campaigns, api_money, models
    from hamkori.programmes.models import Currency

    for api_enum, choices in (
        (api.GrantCurrency, Currency),
        (api.CallState, models.CallStatus),
        (api.ApplicationState, models.ApplicationStatus),
        (api.ApplicantKindCode, models.ApplicantKind),
        (api.GrantLanguageCode, models.Language),
        (api_money.GrantState, models.GrantStatus),
        (api_money.TrancheCondition, models.Condition),
        (api_money.TrancheState, models.TrancheStatus),
        (api_money.GrantReportKind, models.ReportKind),
        (api_money.GrantReportState, models.ReportStatus),
        (api_campaigns.ReachChannel, models.Channel),
    ):
        assert [m.value for m in api_enum] == list(choices.values), api_enum


def test_lists_keep_a_constant_number_of_queries(
    programme: Any, place: Any, users: dict, grant_vocab: dict, call: GrantCall
) -> None:
    staff = bearer(users[Role.STAFF])

    def add(n: int) -> None:
        for i in range(n):
            application = make_application(
                call, place, grant_vocab, actor=users[Role.STAFF], amount="100", district=VANJ if i % 2 else ISFARA
            )
            approve(application, grant_vocab, users[Role.STAFF])
            grant = Grant.objects.get(application=application)
            product = campaigns.product_save(
                actor=None, programme=programme, grant=grant, district=None, format=grant_vocab["formats"]["poster"],
                title=f"Плакат {i}", language="tg",
            )  # fmt: skip
            campaigns.reach_save(
                actor=None, product=product, on=timezone.localdate(), place=grant.district, channel="distribution",
                counts={("female", "25-35"): 3, ("male", "36-50"): 4},
            )  # fmt: skip
        make_call(programme, place, title=f"Call {GrantCall.objects.count()}")

    def count(name: str) -> int:
        url = f"{API}/{name}"
        staff.get(url, {"programme": programme.code})
        with CaptureQueriesContext(connection) as captured:
            response = staff.get(url, {"programme": programme.code})
        assert response.status_code == 200, response.json()
        return len(captured)

    names = ["calls", "applications", "", "products", "reach"]
    add(2)
    few = {name: count(name) for name in names}
    add(6)
    assert {name: count(name) for name in names} == few
    rows = staff.get(f"{API}/", {"programme": programme.code, "district": ISFARA}).json()["items"]
    assert rows and all(r["district"] == ISFARA for r in rows)
    partner_rows = bearer(users[Role.PARTNER]).get(f"{API}/applications", {"programme": programme.code}).json()
    assert partner_rows["count"] == 4 and all(r["district"] == VANJ for r in partner_rows["items"])
    assert staff.get(f"{API}/calls", {"programme": programme.code, "limit": 501}).status_code == 422
    assert staff.get(f"{API}/applications", {"programme": programme.code, "status": "lost"}).status_code == 422
    assert staff.get(f"{API}/calls/{2**63}").status_code == 422


def test_refusals_are_audited(programme: Any, grant: Grant, users: dict, adversaries: dict) -> None:
    before = AuditEvent.objects.filter(outcome="denied").count()
    bearer(adversaries["other_admin"]).get(f"{API}/{grant.pk}")
    bearer(users[Role.DONOR]).get(f"{API}/", {"programme": programme.code})
    assert AuditEvent.objects.filter(outcome="denied").count() == before + 2
