"""The public pages of a call over real HTTP, without an account: the call's page in Tajik, Russian and English;
the application form (no JavaScript needed, no concerns offered, every district of the call); the first save
sending the applicant to her private address (the only way back); saving twice (one draft); continuing and
submitting at the private address; reading the decision's reasons there; a wrong token, a token of another
call, a call in preparation; the deadline; bad input; forged fields; the rate limit."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import applications, reviews
from hamkori.grants.applications import token_digest
from hamkori.grants.models import Application, GrantCall
from tests.grants.conftest import ISFARA, VANJ, make_application, make_call

pytestmark = pytest.mark.django_db


def form_data(get_place: Any, vocab: dict, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_key": str(uuid.uuid4()),
        "applicant_name": "Ташаббуси ҷавонони Чоркӯҳ",
        "applicant_kind": "youth",
        "district": get_place(ISFARA).pk,
        "title": "Видео дар бораи об ва ҳамсоягӣ",
        "summary": "Се видео ва намоиш дар мактабҳо.",
        "audience": "Ҷавонони 15–25 сола",
        "formats": [vocab["formats"]["video"].pk],
        "languages": ["tg", "uz"],
        "starts_on": "2027-03-01",
        "ends_on": "2027-06-30",
        "rows": "4",
        "budget-0-item": "Камера (иҷора)",
        "budget-0-amount": "4000",
        "action": "save",
    }
    data.update(more)
    return data


def token_of(location: str) -> str:
    match = re.search(r"/d/([^/]+)/$", location)
    assert match is not None, location
    return match.group(1)


def apply_url(call: GrantCall) -> str:
    return reverse("public_apply", args=[call.public_key])


def draft_url(call: GrantCall, token: str) -> str:
    return reverse("public_draft", args=[call.public_key, token])


# --- The call's page ------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["tg", "ru", "en"])
def test_the_call_s_page_is_public_and_needs_no_javascript(call: GrantCall, lang: str) -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": lang, "next": "/"})
    response = client.get(reverse("public_call", args=[call.public_key]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert "<script" not in html  # works in a text browser
    assert call.title in html and "Relevance to a safety concern" in html
    assert apply_url(call) in html
    assert "TJS" in html and ("50,000.00" in html or "50\xa0000,00" in html)


def test_a_call_in_preparation_or_unknown_is_not_found(programme: Any, place: Any, grant_vocab: dict) -> None:
    prepared = make_call(programme, place, open_=False)
    client = Client()
    for key in (prepared.public_key, uuid.uuid4()):
        assert client.get(reverse("public_call", args=[key])).status_code == 404
        assert client.get(reverse("public_apply", args=[key])).status_code == 404
        assert client.post(reverse("public_apply", args=[key]), form_data(place, grant_vocab)).status_code == 404
    assert not Application.objects.exists()


# --- The form and the first save -------------------------------------------------------------------------
def test_the_public_form_offers_every_district_no_concerns_and_only_the_draft_script(
    call: GrantCall, place: Any, grant_vocab: dict
) -> None:
    html = Client().get(apply_url(call)).content.decode()
    assert f'value="{place(VANJ).pk}"' in html and f'value="{place(ISFARA).pk}"' in html
    assert 'name="concerns"' not in html
    assert re.search(r'name="client_key" value="[0-9a-f-]{36}"', html)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert [s.rsplit("/", 1)[-1] for s in scripts] == ["draft.js", "copy.js"]  # no htmx on public pages
    assert "<button" in html and 'name="_more"' in html and 'name="_refresh"' in html


def test_the_first_save_sends_her_to_her_private_address(call: GrantCall, place: Any, grant_vocab: dict) -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "tg", "next": "/"})
    response = client.post(apply_url(call), form_data(place, grant_vocab))
    assert response.status_code == 302, response.content.decode()[:3000]
    token = token_of(response["Location"])
    application = Application.objects.get()
    assert response["Location"] == draft_url(call, token)
    assert application.owner is None and application.entered_by is None and application.status == "draft"
    assert application.resume_digest == token_digest(token) and token not in str(
        Application.objects.filter(pk=application.pk).values().get()
    )
    assert application.languages == ["tg", "uz"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "noindex" in page["X-Robots-Tag"]
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    html = page.content.decode()
    assert 'id="private-address"' in html and f"http://testserver{draft_url(call, token)}" in html
    assert 'data-copy="http://testserver' in html
    assert 'class="messages"' in html  # told to bookmark or copy it
    assert 'value="Ташаббуси ҷавонони Чоркӯҳ"' in html  # the draft, to continue
    assert 'data-draft-saved="' in html
    event = AuditEvent.objects.get(action="application.create")
    assert event.actor is None and event.summary["public"] is True


def test_saving_twice_after_a_dropped_connection_makes_one_draft(
    call: GrantCall, place: Any, grant_vocab: dict
) -> None:
    """The answer to the first save never arrived: the same form (the same client key) is sent again. One
    draft, and the second answer gives her a working private address (the first one she never saw)."""
    client = Client()
    data = form_data(place, grant_vocab)
    first = client.post(apply_url(call), data)
    second = client.post(apply_url(call), {**data, "title": "Видео (бори дуюм)"})
    assert first.status_code == second.status_code == 302
    assert Application.objects.count() == 1
    application = Application.objects.get()
    assert application.title == "Видео (бори дуюм)"
    assert client.get(second["Location"]).status_code == 200
    # draft.js's save: 204 naming the private address.
    third = client.post(apply_url(call), data, HTTP_X_HAMKORI_DRAFT="1")
    assert third.status_code == 204 and "/d/" in third["X-Hamkori-Location"]
    assert Application.objects.count() == 1


def test_she_continues_and_submits_at_her_private_address_then_reads_the_decision(
    call: GrantCall, place: Any, grant_vocab: dict, users: dict
) -> None:
    client = Client()
    first = client.post(apply_url(call), form_data(place, grant_vocab, audience=""))
    url = first["Location"]
    html = client.get(url).content.decode()
    key = re.search(r'name="client_key" value="([0-9a-f-]{36})"', html)
    assert key is not None and key.group(1) == str(Application.objects.get().client_key)
    # Submitting an incomplete draft saves it and says what is missing.
    incomplete = client.post(url, form_data(place, grant_vocab, audience="", title="Видео (нав)", action="submit"))
    assert incomplete.status_code == 422
    assert 'id="saved-not-sent"' in incomplete.content.decode()
    application = Application.objects.get()
    assert application.title == "Видео (нав)" and application.status == "draft"
    done = client.post(url, form_data(place, grant_vocab, action="submit"))
    assert done.status_code == 302 and done["Location"] == url
    application.refresh_from_db()
    assert application.status == "submitted"
    html = client.get(url).content.decode()
    assert 'id="application-status">Submitted' in html and 'id="application-form"' not in html
    assert "4,000.00 TJS" in html  # the budget, read back
    # The lead asks for changes with reasons: she reads them and may change the application again.
    reviews.application_decide(
        actor=users[Role.STAFF], application=application, decision="changes", reason="Буҷаи видеоро шарҳ диҳед."
    )
    html = client.get(url).content.decode()
    assert "Буҷаи видеоро шарҳ диҳед." in html.split('id="decision-reasons"')[1]
    assert 'id="application-form"' in html
    assert client.post(url, form_data(place, grant_vocab, action="submit")).status_code == 302
    # Rejected: the reasons stay readable, nothing can change.
    application.refresh_from_db()
    reviews.application_decide(
        actor=users[Role.STAFF], application=application, decision="reject", reason="Маблағ тамом шуд."
    )
    html = client.get(url).content.decode()
    assert "Маблағ тамом шуд." in html and 'id="application-form"' not in html
    assert client.post(url, form_data(place, grant_vocab, title="Боз")).status_code == 422
    application.refresh_from_db()
    assert application.status == "rejected" and application.title != "Боз"


def test_a_wrong_token_or_a_token_of_another_call_finds_nothing(
    programme: Any, call: GrantCall, place: Any, grant_vocab: dict
) -> None:
    client = Client()
    token = token_of(client.post(apply_url(call), form_data(place, grant_vocab))["Location"])
    other = make_call(programme, place, title="Даъвати дигар")
    before = Application.objects.filter().values().get()
    for address in (
        draft_url(call, token[:-1] + ("A" if token[-1] != "A" else "B")),
        draft_url(call, "x" * 200),
        draft_url(other, token),
    ):
        assert client.get(address).status_code == 404, address
        assert client.post(address, form_data(place, grant_vocab, title="Hijacked")).status_code == 404, address
    assert Application.objects.filter().values().get() == before
    # The owner's address keeps working.
    assert client.get(draft_url(call, token)).status_code == 200


def test_forged_fields_are_never_read(call: GrantCall, place: Any, grant_vocab: dict, orgs: dict, users: dict) -> None:
    client = Client()
    data = form_data(place, grant_vocab, status="approved", owner=orgs["lap"].pk, amount="1", reference="A-HACKED")
    location = client.post(apply_url(call), data)["Location"]
    application = Application.objects.get()
    assert application.status == "draft" and application.owner is None and application.amount == 4000
    assert application.reference != "A-HACKED"
    # Nor can the public form take over a draft staff entered, by its client key.
    staff_draft = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)
    hijack = client.post(apply_url(call), form_data(place, grant_vocab, client_key=str(staff_draft.client_key)))
    assert hijack.status_code == 422
    assert "handled by the programme" in hijack.content.decode()
    staff_draft.refresh_from_db()
    assert staff_draft.title == "Театри сайёр дар бораи муҳоҷират"
    assert client.get(location).status_code == 200


def test_bad_input_shows_clear_errors_and_saves_nothing(call: GrantCall, place: Any, grant_vocab: dict) -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    data = form_data(place, grant_vocab, applicant_name="", contact_phone="93 555 1234")
    response = client.post(apply_url(call), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert '<html lang="ru">' in html and 'class="error-summary"' in html
    assert 'id="id_applicant_name_error"' in html and 'id="id_contact_consent_error"' in html
    assert 'value="Видео дар бораи об ва ҳамсоягӣ"' in html  # what was typed stays
    data = form_data(place, grant_vocab, district=place("TJ-GB-VANJ-ROVAND").pk, **{"budget-0-amount": "-5"})
    html = client.post(apply_url(call), data).content.decode()
    assert 'id="id_district_error"' in html
    assert not Application.objects.exists()


def test_after_the_deadline_the_public_form_refuses_and_saves_nothing(
    call: GrantCall, place: Any, grant_vocab: dict
) -> None:
    client = Client()
    url = client.post(apply_url(call), form_data(place, grant_vocab))["Location"]
    before = Application.objects.filter().values().get()
    GrantCall.objects.filter(pk=call.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert 'id="call-closed"' in client.get(reverse("public_call", args=[call.public_key])).content.decode()
    page = client.get(apply_url(call)).content.decode()
    assert 'id="call-closed"' in page and 'id="application-form"' not in page
    refused = client.post(apply_url(call), form_data(place, grant_vocab))
    assert refused.status_code == 422
    assert "This call is closed: its deadline has passed." in refused.content.decode()
    draft_page = client.get(url).content.decode()
    assert 'id="call-closed"' in draft_page and 'id="application-form"' not in draft_page
    assert client.post(url, form_data(place, grant_vocab, title="Дер")).status_code == 422
    assert client.post(url, form_data(place, grant_vocab, action="submit")).status_code == 422
    assert Application.objects.count() == 1
    assert Application.objects.filter().values().get() == before


def test_a_call_taking_applications_through_partners_only_has_no_public_form(
    programme: Any, place: Any, grant_vocab: dict
) -> None:
    call = make_call(programme, place, public_applications=False)
    client = Client()
    html = client.get(reverse("public_call", args=[call.public_key])).content.decode()
    assert 'id="partners-only"' in html and apply_url(call) not in html
    form = client.get(apply_url(call)).content.decode()
    assert 'id="partners-only"' in form and 'id="application-form"' not in form
    assert client.post(apply_url(call), form_data(place, grant_vocab)).status_code == 422
    assert not Application.objects.exists()


def test_once_staff_take_it_on_she_reads_its_status_but_no_longer_changes_it(
    call: GrantCall, place: Any, grant_vocab: dict, users: dict, orgs: dict
) -> None:
    client = Client()
    url = client.post(apply_url(call), form_data(place, grant_vocab))["Location"]
    application = Application.objects.get()
    applications.application_take_on(actor=users[Role.STAFF], application=application, owner=orgs["asti"])
    html = client.get(url).content.decode()
    assert 'id="handled"' in html and 'id="application-form"' not in html
    assert client.post(url, form_data(place, grant_vocab, title="Боз")).status_code == 422
    application.refresh_from_db()
    assert application.title == "Видео дар бораи об ва ҳамсоягӣ"


@override_settings(HAMKORI_INTAKE_RATE="2/10m", HAMKORI_INTAKE_STATUS_RATE="3/10m")
def test_public_saves_and_address_guesses_are_rate_limited(call: GrantCall, place: Any, grant_vocab: dict) -> None:
    client = Client()
    assert client.post(apply_url(call), form_data(place, grant_vocab)).status_code == 302
    assert client.post(apply_url(call), form_data(place, grant_vocab)).status_code == 302
    limited = client.post(apply_url(call), form_data(place, grant_vocab))
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "<script" not in limited.content.decode()
    assert Application.objects.count() == 2
    for _i in range(3):
        assert client.get(draft_url(call, "guess")).status_code == 404
    assert client.get(draft_url(call, "guess")).status_code == 429
