"""The applications pages over real HTTP: the adversaries first (another programme's admin, ASTI's partner in
Isfara and given Vanj, a liaison, a donor, a working-group member, an outsider, an anonymous visitor), then a
partner entering an application on a group's behalf (her districts only, the district's jamoats, "More lines"
without JavaScript, the contact with consent to the vault), saving twice (one draft), bad input, the deadline,
submitting, the list (filters, scope, constant queries), the application's page (budget and total, the
decision's reasons, the registered panels, the contact on request), blind reviews, withdrawing and taking on a
public applicant's application."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from hamkori.concerns import services as concerns
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import calls, panels, reviews
from hamkori.grants.models import Application, BudgetLine, GrantCall
from hamkori.vault.models import VaultRecord
from hamkori.vault.services import vault_get
from tests.grants.conftest import ISFARA, VANJ, make_application, make_call
from tests.grants.pages import make_adversaries, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    return make_adversaries(make_user, programme, orgs, place)


def state(application: Application) -> tuple[Any, ...]:
    """Everything a write could change."""
    return (
        Application.objects.filter(pk=application.pk).values().get(),
        list(BudgetLine.objects.filter(application=application).values("item", "amount")),
        sorted(application.formats.values_list("pk", flat=True)),
        AuditEvent.objects.filter(action__startswith="application.", outcome="ok").count(),
        VaultRecord.objects.count(),
    )


def form_data(call: GrantCall, get_place: Any, vocab: dict, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_key": str(uuid.uuid4()),
        "applicant_name": "Гурӯҳи занони Рованд",
        "applicant_kind": "women",
        "district": get_place(VANJ).pk,
        "title": "Театри сайёр дар бораи зӯроварии хонаводагӣ",
        "summary": "Даҳ намоиш дар деҳаҳои Рованд ва Ҷомарҷ.",
        "audience": "Занон ва ҷавонон, тақрибан 800 нафар",
        "formats": [vocab["formats"]["theatre"].pk, vocab["formats"]["leaflet"].pk],
        "languages": ["tg"],
        "starts_on": "2027-02-01",
        "ends_on": "2027-05-31",
        "rows": "4",
        "budget-0-item": "Костюмҳо",
        "budget-0-amount": "3000",
        "budget-1-item": "Нақлиёт",
        "budget-1-amount": "2500.50",
        "action": "save",
    }
    data.update(more)
    return data


def app_pages(programme: Any, application: Application) -> list[str]:
    return [url("application_detail", programme, application.pk), url("application_edit", programme, application.pk)]


def app_writes(programme: Any, application: Application, place: Any, vocab: dict) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            url("application_edit", programme, application.pk),
            form_data(application.call, place, vocab, title="Changed", **{"budget-0-amount": "1"}),
        ),
        (url("application_submit", programme, application.pk), {}),
        (url("application_withdraw", programme, application.pk), {"reason": "no", "confirm": "on"}),
        (url("application_take_on", programme, application.pk), {"owner": application.programme.lead_organisation_id}),
    ]


@pytest.fixture
def draft(call: GrantCall, place: Any, grant_vocab: dict, users: dict) -> Application:
    """A Vanj draft entered by LAP's partner."""
    return make_application(call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)


# --- Adversaries -----------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(
    programme: Any, draft: Application, place: Any, grant_vocab: dict, client_for: Any
) -> None:
    client = client_for(None)
    before = state(draft)
    for page in [
        *app_pages(programme, draft),
        url("application_list", programme, draft.call_id),
        url("application_create", programme, draft.call_id),
    ]:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    for address, data in [
        (url("application_create", programme, draft.call_id), form_data(draft.call, place, grant_vocab)),
        *app_writes(programme, draft, place, grant_vocab),
    ]:
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state(draft) == before
    assert Application.objects.count() == 1


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, draft: Application, place: Any, grant_vocab: dict, adversaries: dict, client_for: Any
) -> None:
    client = client_for(adversaries["other_admin"])
    before = state(draft)
    for code_of in (programme, adversaries["other_programme"]):
        for page in [*app_pages(code_of, draft), url("application_list", code_of, draft.call_id)]:
            assert client.get(page).status_code == 404, page
        for address, data in app_writes(code_of, draft, place, grant_vocab):
            assert client.post(address, data).status_code == 404, address
        create = url("application_create", code_of, draft.call_id)
        assert client.post(create, form_data(draft.call, place, grant_vocab)).status_code == 404
    assert state(draft) == before
    assert Application.objects.count() == 1


def test_asti_in_isfara_does_not_see_lap_s_vanj_application(
    programme: Any, draft: Application, place: Any, grant_vocab: dict, adversaries: dict, client_for: Any
) -> None:
    client = client_for(adversaries["asti_isfara"])
    before = state(draft)
    for page in app_pages(programme, draft):
        assert client.get(page).status_code == 404, page
    for address, data in app_writes(programme, draft, place, grant_vocab):
        assert client.post(address, data).status_code in (403, 404), address
    listed = client.get(url("application_list", programme, draft.call_id))
    assert listed.status_code == 200
    assert draft.reference not in listed.content.decode()
    # Her own form offers only Isfara, and she cannot slip LAP's draft's client key in to change it.
    form = client.get(url("application_create", programme, draft.call_id)).content.decode()
    assert f'value="{place(ISFARA).pk}"' in form and f'value="{place(VANJ).pk}"' not in form
    forged = form_data(draft.call, place, grant_vocab, client_key=str(draft.client_key), district=place(ISFARA).pk)
    assert client.post(url("application_create", programme, draft.call_id), forged).status_code == 403
    assert state(draft) == before


def test_asti_given_vanj_sees_lap_s_application_but_every_write_answers_403(
    programme: Any, draft: Application, place: Any, grant_vocab: dict, adversaries: dict, client_for: Any
) -> None:
    client = client_for(adversaries["asti_vanj"])
    page = client.get(url("application_detail", programme, draft.pk))
    assert page.status_code == 200  # ASTI also works in Vanj: it sees LAP's application
    html = page.content.decode()
    assert "Only the lead organisation and the organisation that supports this applicant" in html
    assert url("application_edit", programme, draft.pk) not in html
    assert url("application_submit", programme, draft.pk) not in html
    assert url("application_withdraw", programme, draft.pk) not in html
    assert 'id="show-contact"' not in html
    before = state(draft)
    assert client.get(url("application_edit", programme, draft.pk)).status_code == 403
    for address, data in app_writes(programme, draft, place, grant_vocab):
        assert client.post(address, data).status_code == 403, address
    assert state(draft) == before
    assert AuditEvent.objects.filter(actor=adversaries["asti_vanj"], outcome="denied").count() >= 4


def test_a_liaison_a_donor_a_member_and_an_outsider_neither_read_nor_change(
    programme: Any, draft: Application, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    before = state(draft)
    for who in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER, "outsider"):
        client = client_for(users[who])
        for page in [*app_pages(programme, draft), url("application_list", programme, draft.call_id)]:
            assert client.get(page).status_code in (403, 404), (who, page)
        for address, data in app_writes(programme, draft, place, grant_vocab):
            assert client.post(address, data).status_code in (403, 404), (who, address)
        create = url("application_create", programme, draft.call_id)
        assert client.post(create, form_data(draft.call, place, grant_vocab)).status_code in (403, 404), who
    assert state(draft) == before
    assert Application.objects.count() == 1


# --- Entering an application -----------------------------------------------------------------------------
def test_a_partner_enters_an_application_for_a_group_in_tajik(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, orgs: dict, client_for: Any
) -> None:
    partner = users[Role.PARTNER]
    client = client_for(partner)
    address = url("application_create", programme, call.pk)
    page = client.get(address, HTTP_ACCEPT_LANGUAGE="tg")
    assert page.status_code == 200
    html = page.content.decode()
    with translation.override("tg"):
        assert gettext("Save draft") in html and gettext("Submit") in html
    assert 'type="date"' in html and "draft.js" in html
    key = re.search(r'name="client_key" value="([0-9a-f-]{36})"', html)
    assert key is not None  # drawn by the server when the form is first shown
    assert f'value="{place(VANJ).pk}"' in html and f'value="{place(ISFARA).pk}"' not in html  # her districts only
    assert html.count('name="formats"') == len(grant_vocab["formats"])
    assert len(re.findall(r'name="budget-\d+-item"', html)) == 4

    # Her only district is chosen already: its jamoats and villages are offered.
    assert 'name="place"' in html and "Рованд" in html

    data = form_data(
        call,
        place,
        grant_vocab,
        client_key=key.group(1),
        place=place("TJ-GB-VANJ-ROVAND").pk,
        contact_name="Мавҷуда Назарова",
        contact_phone="+992 93 555 12 34",
        contact_consent="on",
    )
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get()
    assert response["Location"] == url("application_edit", programme, application.pk)
    assert application.status == "draft" and application.owner == orgs["lap"] and application.entered_by == partner
    assert application.amount == Decimal("5500.50") and application.place.code == "TJ-GB-VANJ-ROVAND"
    assert [(b.item, b.amount) for b in application.budget_lines.all()] == [
        ("Костюмҳо", Decimal("3000.00")),
        ("Нақлиёт", Decimal("2500.50")),
    ]
    # The contact went to the vault, never into the application's table.
    assert application.contact_key is not None
    assert "Назарова" not in str(Application.objects.filter(pk=application.pk).values().get())
    contact = vault_get(actor=None, subject_key=application.contact_key, purpose="test")
    assert contact is not None and contact.phone == "+992 93 555 12 34"

    # The edit page continues it: the same client key, the budget lines, the contact only said to be recorded.
    edit = client.get(response["Location"]).content.decode()
    assert f'value="{application.client_key}"' in edit and 'value="2500.50"' in edit
    assert "Назарова" not in edit and "A contact person is recorded" in edit


def test_saving_twice_updates_one_draft(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    """A double tap, or a retry after the connection dropped before the answer came: the same form (the same
    client key) sent twice saves one application; the second save updates it."""
    client = client_for(users[Role.PARTNER])
    address = url("application_create", programme, call.pk)
    data = form_data(call, place, grant_vocab)
    assert client.post(address, data).status_code == 302
    again = client.post(address, {**data, "title": "Театри сайёр (такрор)"})
    assert again.status_code == 302
    application = Application.objects.get()
    assert application.title == "Театри сайёр (такрор)"
    assert again["Location"] == url("application_edit", programme, application.pk)
    # draft.js sends its saves with a header: the answer names the next page instead of redirecting.
    scripted = client.post(address, data, HTTP_X_HAMKORI_DRAFT="1")
    assert scripted.status_code == 204
    assert scripted["X-Hamkori-Location"] == url("application_edit", programme, application.pk)
    assert Application.objects.count() == 1
    assert AuditEvent.objects.filter(action="application.create").count() == 1
    assert AuditEvent.objects.filter(action="application.update").count() == 2


def test_more_lines_and_the_district_s_jamoats_come_without_javascript_and_save_nothing(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])  # the lead: both districts
    address = url("application_create", programme, call.pk)
    html = client.get(address).content.decode()
    assert f'value="{place(ISFARA).pk}"' in html and 'name="place"' not in html  # two districts: none chosen
    more = client.post(address, {**form_data(call, place, grant_vocab, district=""), "_more": "1"})
    assert more.status_code == 200
    html = more.content.decode()
    assert len(re.findall(r'name="budget-\d+-item"', html)) == 7 and 'value="Нақлиёт"' in html
    assert 'class="error-summary"' not in html
    shown = client.post(address, {**form_data(call, place, grant_vocab, district=place(ISFARA).pk), "_refresh": "1"})
    html = shown.content.decode()
    assert 'name="place"' in html and "Chorkuh" in html and "Rovand" not in html
    assert Application.objects.count() == 0


def test_bad_input_shows_clear_errors_beside_the_fields_and_saves_nothing(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("application_create", programme, call.pk)
    data = form_data(
        call,
        place,
        grant_vocab,
        title="",
        contact_name="Мавҷуда",
        **{"budget-1-amount": "дусад", "ends_on": "2027-01-01"},
    )
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'id="id_title_error"' in html and 'id="id_contact_consent_error"' in html
    assert Application.objects.count() == 0
    # The form is right, the service is not: its errors come back beside the fields and at the top.
    data = form_data(call, place, grant_vocab, **{"budget-1-amount": "дусад", "ends_on": "2027-01-01"})
    html = client.post(address, data).content.decode()
    assert 'id="budget_error"' in html and "Line 2:" in html
    assert 'id="id_ends_on_error"' in html and "cannot end before it starts" in html
    assert 'value="Гурӯҳи занони Рованд"' in html  # what was typed stays
    bad_phone = form_data(call, place, grant_vocab, contact_phone="занг занед", contact_consent="on")
    html = client.post(address, bad_phone).content.decode()
    assert 'id="id_contact_phone_error"' in html
    assert Application.objects.count() == 0 and VaultRecord.objects.count() == 0


def test_after_the_deadline_the_form_refuses_and_saves_nothing(
    programme: Any, call: GrantCall, draft: Application, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    GrantCall.objects.filter(pk=call.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    client = client_for(users[Role.PARTNER])
    address = url("application_create", programme, call.pk)
    page = client.get(address).content.decode()
    assert 'id="call-closed"' in page and 'id="application-form"' not in page
    response = client.post(address, form_data(call, place, grant_vocab))
    assert response.status_code == 422
    html = response.content.decode()
    assert "This call is closed: its deadline has passed." in html
    assert 'value="Гурӯҳи занони Рованд"' in html  # what was typed is there to copy
    assert Application.objects.count() == 1
    before = state(draft)
    edit = url("application_edit", programme, draft.pk)
    assert 'id="application-form"' not in client.get(edit).content.decode()
    assert client.post(edit, form_data(call, place, grant_vocab, title="Late")).status_code == 422
    assert client.post(url("application_submit", programme, draft.pk)).status_code == 422
    assert state(draft) == before


def test_submit_saves_the_draft_and_says_what_is_missing_then_submits(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("application_create", programme, call.pk)
    incomplete = form_data(call, place, grant_vocab, audience="", formats=[], action="submit")
    response = client.post(address, incomplete)
    assert response.status_code == 422
    html = response.content.decode()
    application = Application.objects.get()
    assert application.status == "draft"  # saved, not sent
    assert 'id="saved-not-sent"' in html and 'id="id_audience_error"' in html and 'id="id_formats_error"' in html
    assert f'action="{url("application_edit", programme, application.pk)}"' in html
    done = client.post(
        url("application_edit", programme, application.pk), form_data(call, place, grant_vocab, action="submit")
    )
    assert done.status_code == 302
    assert done["Location"] == url("application_detail", programme, application.pk)
    application.refresh_from_db()
    assert application.status == "submitted" and application.submitted_at is not None
    page = client.get(done["Location"]).content.decode()
    assert 'id="application-status">Submitted' in page
    assert url("application_edit", programme, application.pk) not in page  # submitted: no more changes
    assert client.get(url("application_edit", programme, application.pk)).status_code == 302


def test_a_draft_is_submitted_from_its_page(programme: Any, draft: Application, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    response = client.post(url("application_submit", programme, draft.pk))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"
    again = client.post(url("application_submit", programme, draft.pk))
    assert again.status_code == 422 and "already submitted" in again.content.decode()


# --- The list --------------------------------------------------------------------------------------------
def test_the_list_filters_by_status_and_district_within_the_user_s_scope(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, adversaries: dict, client_for: Any
) -> None:
    vanj_sent = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], name="Ҷавонони Ванҷ")
    vanj_draft = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)
    isfara = make_application(call, place, grant_vocab, actor=users[Role.STAFF], district=ISFARA, name="Занони Ворух")
    address = url("application_list", programme, call.pk)
    staff = client_for(users[Role.STAFF])
    everything = staff.get(address).content.decode()
    assert all(a.reference in everything for a in (vanj_sent, vanj_draft, isfara))
    assert "3 applications" in everything and "12,000.00 TJS" in everything
    submitted = staff.get(address, {"status": "submitted"}).content.decode()
    assert vanj_sent.reference in submitted and isfara.reference in submitted and vanj_draft.reference not in submitted
    in_isfara = staff.get(address, {"district": ISFARA}).content.decode()
    assert isfara.reference in in_isfara and vanj_sent.reference not in in_isfara
    assert "Занони Ворух" in in_isfara
    partial = staff.get(address, {"district": ISFARA}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and isfara.reference in partial
    # LAP's partner sees Vanj only; ASTI's partner in Isfara sees Isfara only.
    lap = client_for(users[Role.PARTNER]).get(address).content.decode()
    assert vanj_sent.reference in lap and isfara.reference not in lap
    asti = client_for(adversaries["asti_isfara"]).get(address).content.decode()
    assert isfara.reference in asti and vanj_sent.reference not in asti and vanj_draft.reference not in asti


def test_the_list_keeps_a_constant_number_of_queries(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    address = url("application_list", programme, call.pk)

    def count(client: Any) -> int:
        client.get(address)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        return len(queries)

    for who in (Role.STAFF, Role.PARTNER):
        client = client_for(users[who])
        make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
        few = count(client)
        for _i in range(6):
            make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
        assert count(client) == few, who


# --- An application's page -------------------------------------------------------------------------------
def test_the_page_shows_status_budget_total_and_the_decision_s_reasons(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    client.post(url("application_create", programme, call.pk), form_data(call, place, grant_vocab, action="submit"))
    application = Application.objects.get()
    html = client.get(url("application_detail", programme, application.pk)).content.decode()
    assert 'id="application-status">Submitted' in html
    table = html.split('id="budget-table"')[1].split("</table>")[0]
    assert "Костюмҳо" in table and "3,000.00 TJS" in table and "2,500.50 TJS" in table
    assert 'id="budget-total">5,500.50 TJS' in table
    assert "Гурӯҳи занони Рованд" in html and "Mobile theatre" in html
    reviews.application_decide(
        actor=users[Role.STAFF], application=application, decision="changes", reason="Буҷаи нақлиёт зиёд аст."
    )
    html = client.get(url("application_detail", programme, application.pk)).content.decode()
    assert 'id="application-status">Changes requested' in html
    assert "Буҷаи нақлиёт зиёд аст." in html.split('id="decision-reasons"')[1]
    assert url("application_edit", programme, application.pk) in html  # changes requested: she may change it


def test_the_page_renders_the_registered_panels(
    programme: Any, draft: Application, users: dict, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def source(user: Any, application: Any) -> list[panels.Panel]:
        return [
            panels.Panel(
                50,
                "grants/application_budget.html",
                {"lines": [], "total": Decimal("7.00"), "call": application.call, "marker": user.email},
            )
        ]

    monkeypatch.setattr(panels, "_APPLICATION", [source])
    html = client_for(users[Role.PARTNER]).get(url("application_detail", programme, draft.pk)).content.decode()
    assert "7.00 TJS" in html  # the panel, drawn with its own context


def test_the_contact_is_read_from_the_vault_only_on_request_and_audited(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    data = form_data(
        call, place, grant_vocab, contact_name="Мавҷуда Назарова", contact_phone="93 555 1234", contact_consent="on"
    )
    client.post(url("application_create", programme, call.pk), data)
    application = Application.objects.get()
    page = url("application_detail", programme, application.pk)
    html = client.get(page).content.decode()
    assert "Назарова" not in html and 'id="show-contact"' in html
    reads = AuditEvent.objects.filter(action="vault.read").count()
    shown = client.get(page, {"contact": "1"}).content.decode()
    assert "Мавҷуда Назарова" in shown and "93 555 1234" in shown
    assert AuditEvent.objects.filter(action="vault.read").count() == reads + 1


def test_a_blind_reviewer_does_not_see_who_applied(
    programme: Any, place: Any, grant_vocab: dict, users: dict, make_user: Any, orgs: dict, client_for: Any
) -> None:
    call = make_call(programme, place, blind_review=True)
    application = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], name="Ҷамъияти махфӣ")
    reviewer = make_user("reviewer@test.example", programme=programme, role=Role.STAFF, organisation=orgs["lead"])
    reviews.review_assign(actor=None, application=application, reviewer=reviewer)
    client = client_for(reviewer)
    html = client.get(url("application_detail", programme, application.pk)).content.decode()
    assert "Ҷамъияти махфӣ" not in html
    assert "This call is reviewed without the applicants&#x27; names." in html
    assert "Театри сайёр" in html  # the proposal itself
    listed = client.get(url("application_list", programme, call.pk)).content.decode()
    assert "Ҷамъияти махфӣ" not in listed and application.reference in listed
    assert client.get(url("application_edit", programme, application.pk)).status_code == 403
    # Staff who do not review it see the name.
    other = client_for(users[Role.STAFF]).get(url("application_detail", programme, application.pk)).content.decode()
    assert "Ҷамъияти махфӣ" in other


def test_the_supporting_partner_withdraws_with_a_confirmation(
    programme: Any, draft: Application, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("application_withdraw", programme, draft.pk)
    unconfirmed = client.post(address, {"reason": "Гурӯҳ пароканда шуд"})
    assert unconfirmed.status_code == 422 and "Tick the box to confirm the withdrawal." in unconfirmed.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert client.post(address, {"reason": "Гурӯҳ пароканда шуд", "confirm": "on"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "withdrawn" and draft.decision_reason == "Гурӯҳ пароканда шуд"


def test_staff_take_on_a_public_applicant_s_application(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, orgs: dict, client_for: Any
) -> None:
    application = make_application(call, place, grant_vocab, actor=None)  # through the public form
    assert application.owner is None
    page = url("application_detail", programme, application.pk)
    take_on = url("application_take_on", programme, application.pk)
    partner = client_for(users[Role.PARTNER])
    html = partner.get(page).content.decode()
    assert "Public applicant" in html and take_on not in html
    assert partner.post(take_on, {"owner": orgs["lap"].pk}).status_code == 403
    staff = client_for(users[Role.STAFF])
    assert take_on in staff.get(page).content.decode()
    assert staff.post(take_on, {"owner": orgs["lap"].pk}).status_code == 302
    application.refresh_from_db()
    assert application.owner == orgs["lap"]
    assert AuditEvent.objects.filter(action="application.take_on", object_id=str(application.pk)).count() == 1
    # LAP's partner now supports it.
    assert url("application_withdraw", programme, application.pk) in partner.get(page).content.decode()


def test_concerns_offered_are_those_of_the_district_the_user_sees(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    vanj = concerns.concern_create(
        actor=None, programme=programme, description="Роҳ ба мактаб торик аст", district=place(VANJ)
    )
    isfara = concerns.concern_create(
        actor=None, programme=programme, description="Ҷавонон дар бозор", district=place(ISFARA)
    )
    client = client_for(users[Role.PARTNER])
    html = client.get(url("application_create", programme, call.pk)).content.decode()
    assert vanj.reference in html and isfara.reference not in html
    data = form_data(call, place, grant_vocab, concerns=[vanj.pk])
    assert client.post(url("application_create", programme, call.pk), data).status_code == 302
    application = Application.objects.get()
    assert list(application.concerns.all()) == [vanj]
    assert vanj.reference in client.get(url("application_detail", programme, application.pk)).content.decode()
    other = form_data(call, place, grant_vocab, concerns=[isfara.pk])
    assert client.post(url("application_create", programme, call.pk), other).status_code == 422


def test_staff_entering_for_a_closed_call_is_refused_even_when_reopened_late(
    programme: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place)
    calls.call_set_status(actor=None, call=call, status="closed")
    client = client_for(users[Role.STAFF])
    detail = client.get(url("call_detail", programme, call.pk)).content.decode()
    assert url("application_create", programme, call.pk) not in detail
    assert (
        client.post(url("application_create", programme, call.pk), form_data(call, place, grant_vocab)).status_code
        == 422
    )
    assert not Application.objects.exists()
