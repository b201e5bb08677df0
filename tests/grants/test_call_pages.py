"""The calls pages over real HTTP: the adversaries first (another programme's admin, ASTI's partner, a liaison, a
donor, a working-group member, an anonymous visitor), then the calls list (open, upcoming, closed; deadlines in
the programme's time zone; envelopes; counts of applications; constant queries), creating a call in Tajik with
"More criteria" without JavaScript, bad input, editing, opening and closing, the public address and the
campaign vocabulary."""

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

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import calls
from hamkori.grants.models import CallCriterion, CampaignFormat, GrantCall
from tests.grants.conftest import ISFARA, VANJ, make_application, make_call
from tests.grants.pages import make_adversaries, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    return make_adversaries(make_user, programme, orgs, place)


def state(call: GrantCall) -> tuple[Any, ...]:
    """Everything a write could change."""
    return (
        GrantCall.objects.filter(pk=call.pk).values().get(),
        sorted(call.districts.values_list("pk", flat=True)),
        list(CallCriterion.objects.filter(call=call).values("name", "weight", "guidance")),
        AuditEvent.objects.filter(action__startswith="grantcall.", outcome="ok").count(),
    )


def call_data(place: Any, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Маъракаҳои ҷавонон 2027",
        "text": "Гурӯҳҳои ҷавонон барои маъракаҳо грант мегиранд.",
        "currency": "TJS",
        "envelope": "60000",
        "max_grant": "15000",
        "deadline_on": "2027-03-01",
        "deadline_time": "17:00",
        "districts": [place(VANJ).pk, place(ISFARA).pk],
        "applicant_kinds": ["youth", "women"],
        "languages": ["tg", "ru"],
        "score_max": "5",
        "public_applications": "on",
        "rows": "3",
        "criterion-0-name": "Муносибат ба нигарониҳо",
        "criterion-0-weight": "3",
        "criterion-1-name": "Иҷрошавандагӣ",
        "criterion-1-weight": "2",
        "criterion-1-guidance": "Нақша ва буҷа воқеӣ аст?",
        "criterion-2-name": "",
    }
    data.update(more)
    return data


def pages(programme: Any, call: GrantCall) -> list[str]:
    return [
        url("call_detail", programme, call.pk),
        url("call_edit", programme, call.pk),
        url("application_list", programme, call.pk),
    ]


def writes(programme: Any, call: GrantCall, place: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (url("call_edit", programme, call.pk), call_data(place, title="Changed", envelope="1")),
        (url("call_status", programme, call.pk), {"status": "closed"}),
    ]


# --- Adversaries -----------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(programme: Any, call: GrantCall, place: Any, client_for: Any) -> None:
    client = client_for(None)
    before = state(call)
    for page in [
        url("grants_home", programme),
        url("call_create", programme),
        url("grants_vocabulary", programme),
        *pages(programme, call),
    ]:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    for address, data in [(url("call_create", programme), call_data(place)), *writes(programme, call, place)]:
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state(call) == before
    assert GrantCall.objects.count() == 1


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, call: GrantCall, place: Any, adversaries: dict, client_for: Any
) -> None:
    client = client_for(adversaries["other_admin"])
    other = adversaries["other_programme"]
    before = state(call)
    for code_of in (programme, other):
        for page in pages(code_of, call):
            assert client.get(page).status_code == 404, page
        for address, data in writes(code_of, call, place):
            assert client.post(address, data).status_code == 404, address
    listed = client.get(url("grants_home", other))
    assert listed.status_code == 200
    assert call.title not in listed.content.decode()
    assert state(call) == before


def test_a_partner_reads_a_call_but_only_the_lead_runs_it(
    programme: Any, call: GrantCall, place: Any, users: dict, adversaries: dict, client_for: Any
) -> None:
    for partner in (users[Role.PARTNER], adversaries["asti_isfara"]):
        client = client_for(partner)
        page = client.get(url("call_detail", programme, call.pk))
        assert page.status_code == 200
        html = page.content.decode()
        assert url("call_edit", programme, call.pk) not in html
        assert url("call_status", programme, call.pk) not in html
        assert url("application_create", programme, call.pk) in html  # she enters applications for groups
        before = state(call)
        assert client.get(url("call_edit", programme, call.pk)).status_code == 403
        assert client.get(url("call_create", programme)).status_code == 403
        for address, data in writes(programme, call, place):
            assert client.post(address, data).status_code == 403, address
        assert client.post(url("call_create", programme), call_data(place)).status_code == 403
        assert state(call) == before
    assert GrantCall.objects.count() == 1


def test_a_liaison_a_donor_a_member_and_an_outsider_neither_read_nor_change(
    programme: Any, call: GrantCall, place: Any, users: dict, client_for: Any
) -> None:
    before = state(call)
    for who in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER, "outsider"):
        client = client_for(users[who])
        assert client.get(url("grants_home", programme)).status_code in (403, 404), who
        for page in pages(programme, call):
            assert client.get(page).status_code in (403, 404), (who, page)
        for address, data in writes(programme, call, place):
            assert client.post(address, data).status_code in (403, 404), (who, address)
    assert state(call) == before


def test_only_an_admin_edits_the_campaign_vocabulary(
    programme: Any, users: dict, client_for: Any, grant_vocab: dict
) -> None:
    address = url("grants_vocabulary", programme)
    data = {
        "kind": "campaign-format",
        "campaign-format-new-code": "comics",
        "campaign-format-new-name_tg": "Комикс",
        "campaign-format-new-name_ru": "Комикс",
        "campaign-format-new-name_en": "Comics",
        "campaign-format-new-order": "90",
    }
    for role in (Role.STAFF, Role.PARTNER, Role.LIAISON, Role.DONOR):
        client = client_for(users[role])
        assert client.get(address).status_code == 403, role
        assert client.post(address, data).status_code == 403, role
    assert not CampaignFormat.objects.filter(code="comics").exists()
    admin = client_for(users[Role.ADMIN])
    page = admin.get(address)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mobile theatre" in html and "The campaign names and blames no one" in html
    response = admin.post(address, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CampaignFormat.objects.get(programme=programme, code="comics").name_tg == "Комикс"


# --- The calls list --------------------------------------------------------------------------------------
def test_the_calls_list_shows_open_upcoming_and_closed_with_deadline_envelope_and_counts(
    programme: Any, place: Any, users: dict, grant_vocab: dict, client_for: Any
) -> None:
    deadline = dt.datetime(2030, 3, 1, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # Dushanbe, UTC+5
    open_call = make_call(programme, place, title="Кушода", deadline=deadline, envelope="50000")
    make_application(open_call, place, grant_vocab, actor=users[Role.PARTNER])
    make_application(open_call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)
    make_application(open_call, place, grant_vocab, actor=users[Role.STAFF], district=ISFARA)
    make_call(programme, place, title="Дар омодагӣ", open_=False)
    closed = make_call(programme, place, title="Пӯшида")
    calls.call_set_status(actor=None, call=closed, status="closed")

    staff = client_for(users[Role.STAFF])
    html = staff.get(url("grants_home", programme)).content.decode()
    sections = {
        key: html.split(f'id="calls-{key}"')[1].split("</section>")[0] for key in ("open", "upcoming", "closed")
    }
    assert "Кушода" in sections["open"] and "Дар омодагӣ" in sections["upcoming"] and "Пӯшида" in sections["closed"]
    assert "01/03/2030 17:00" in sections["open"]  # the programme's time, not UTC (12:00)
    assert "Asia/Dushanbe" in sections["open"]
    assert "50,000.00 TJS" in sections["open"]
    assert "2 submitted" in sections["open"] and "1 draft" in sections["open"]
    assert url("call_create", programme) in html

    # LAP's partner counts only what she sees: her two Vanj applications, not the lead's Isfara one.
    partner = client_for(users[Role.PARTNER]).get(url("grants_home", programme)).content.decode()
    assert "1 submitted" in partner.split('id="calls-open"')[1].split("</section>")[0]
    assert url("call_create", programme) not in partner


def test_the_calls_list_keeps_a_constant_number_of_queries(
    programme: Any, place: Any, users: dict, grant_vocab: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("grants_home", programme)

    def count() -> int:
        client.get(address)  # sessions and caches warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        return len(queries)

    first = make_call(programme, place)
    make_application(first, place, grant_vocab, actor=users[Role.PARTNER])
    few = count()
    for i in range(4):
        more = make_call(programme, place, title=f"Даъват {i}")
        make_application(more, place, grant_vocab, actor=users[Role.PARTNER])
    assert count() == few


# --- Creating and editing a call -------------------------------------------------------------------------
def test_staff_create_a_call_in_tajik_and_add_criteria_rows_without_javascript(
    programme: Any, place: Any, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("call_create", programme)
    page = client.get(address, HTTP_ACCEPT_LANGUAGE="tg")
    assert page.status_code == 200
    html = page.content.decode()
    with translation.override("tg"):
        assert gettext("Save") in html
    assert 'type="date"' in html and 'type="time"' in html
    assert len(re.findall(r'name="criterion-\d+-name"', html)) == 3

    # "More criteria" draws three more empty rows and keeps what was typed; nothing is saved.
    more = client.post(address, {**call_data(place), "_more": "1"})
    assert more.status_code == 200
    html = more.content.decode()
    assert len(re.findall(r'name="criterion-\d+-name"', html)) == 6
    assert "Нақша ва буҷа воқеӣ аст?" in html and 'value="60000"' in html
    assert 'name="blind_review"' in html and 'name="blind_review" checked' not in html
    assert GrantCall.objects.count() == 0

    data = call_data(place, rows="6", **{"criterion-4-name": "Фарогирӣ", "criterion-4-weight": "1"})
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302, response.content.decode()[:3000]
    call = GrantCall.objects.get()
    assert response["Location"] == url("call_detail", programme, call.pk)
    assert call.deadline == dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # 17:00 in Dushanbe
    assert call.envelope == Decimal("60000.00") and call.max_grant == Decimal("15000.00")
    assert call.status == "draft" and call.applicant_kinds == ["youth", "women"]
    assert [(c.name, c.weight) for c in call.criteria.all()] == [
        ("Муносибат ба нигарониҳо", 3),
        ("Иҷрошавандагӣ", 2),
        ("Фарогирӣ", 1),
    ]

    # Its page: the text, the criteria with their weights, the districts, the deadline, the envelope.
    detail = client.get(response["Location"]).content.decode()
    assert "Гурӯҳҳои ҷавонон барои маъракаҳо грант мегиранд." in detail
    assert "3 / 6" in detail and "2 / 6" in detail
    assert "1 March 2027, 17:00" in detail and "60,000.00 TJS" in detail and "15,000.00 TJS" in detail
    assert "Ванҷ" in detail or "Vanj" in detail


def test_bad_input_shows_errors_beside_the_fields_and_saves_nothing(
    programme: Any, place: Any, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("call_create", programme)
    data = call_data(
        place,
        title="",
        envelope="бисёр",
        districts=[],
        **{"criterion-0-weight": "0", "deadline_on": "01.03.2027"},
    )
    response = client.post(address, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'id="id_title_error"' in html and 'id="id_districts_error"' in html
    assert GrantCall.objects.count() == 0
    # The form's own checks passed: the service's (the envelope, the criteria) come back beside their fields.
    data = call_data(place, envelope="бисёр", max_grant="100", **{"criterion-0-weight": "0"})
    html = client.post(address, data).content.decode()
    assert 'id="id_envelope_error"' in html and "Enter an amount, for example 1500 or 1500.50." in html
    assert 'id="criteria_error"' in html and "weight is a whole number from 1 to 100" in html
    data = call_data(place, max_grant="90000")
    html = client.post(address, data).content.decode()
    assert 'id="id_max_grant_error"' in html and "cannot be more than the envelope" in html
    assert GrantCall.objects.count() == 0


def test_staff_edit_a_call_and_its_deadline_comes_back_in_the_programme_time(
    programme: Any, place: Any, users: dict, call: GrantCall, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    local = timezone.localtime(call.deadline, dt.timezone(dt.timedelta(hours=5)))
    html = client.get(url("call_edit", programme, call.pk)).content.decode()
    assert f'value="{local.date().isoformat()}"' in html and f'value="{local:%H:%M}"' in html
    assert 'value="Relevance to a safety concern"' in html
    data = call_data(place, title="Нав", deadline_on="2030-01-10", deadline_time="09:30")
    response = client.post(url("call_edit", programme, call.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    call.refresh_from_db()
    assert call.title == "Нав" and call.deadline == dt.datetime(2030, 1, 10, 4, 30, tzinfo=dt.UTC)


def test_staff_open_and_close_a_call_and_see_the_public_address(
    programme: Any, place: Any, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place, open_=False)
    client = client_for(users[Role.STAFF])
    detail = url("call_detail", programme, call.pk)
    html = client.get(detail).content.decode()
    public = f"/apply/{call.public_key}/"
    assert public in html and 'data-copy="http://testserver' in html and "copy.js" in html
    response = client.post(url("call_status", programme, call.pk), {"status": "open"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == "open"
    assert client.post(url("call_status", programme, call.pk), {"status": "closed"}).status_code == 302
    call.refresh_from_db()
    assert call.status == "closed"
    # Opening a call whose deadline has passed is refused with the reason, and nothing changes.
    GrantCall.objects.filter(pk=call.pk).update(deadline=timezone.now() - dt.timedelta(days=1))
    refused = client.post(url("call_status", programme, call.pk), {"status": "open"})
    assert refused.status_code == 422
    assert "The deadline has passed: move it later before opening the call." in refused.content.decode()
    call.refresh_from_db()
    assert call.status == "closed"
    assert AuditEvent.objects.filter(action="grantcall.status", object_id=str(call.pk)).count() == 2


def test_a_call_without_public_applications_shows_no_public_address(
    programme: Any, place: Any, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place, public_applications=False)
    html = client_for(users[Role.STAFF]).get(url("call_detail", programme, call.pk)).content.decode()
    assert str(call.public_key) not in html
    assert 'id="no-public-form"' in html
