"""Referrals to authorities: only the liaison of the organisation a concern was referred to sees it,
never the reporter, restricted notes or the timeline (adversaries first); then the flow of
acknowledging and answering, the inbox, overdue answers, the home items and the API."""

# ruff: noqa: F811  (the fixtures imported from actions_world are test parameters of the same name)
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.concerns import actions, services
from hamkori.concerns.home import referral_items
from hamkori.concerns.models import Action, Concern, ConcernEvent, Referral, Status
from hamkori.concerns.plan import concern_url
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.vault.services import PersonalData, vault_put

from .actions_world import (  # noqa: F401  (fixtures)
    asti_in_vanj,
    hukumat,
    hukumat_liaison,
    planned,
    police_action,
    referral,
    second,
    today,
)
from .conftest import make_concern

SECRETS = ["SECRET-NOTE-7731", "SECRET-TIMELINE-5512", "INTERNAL-NOTE-2290", "+992 93 555 0000", "Reporter Name"]


@pytest.fixture
def planted(planned: Concern, users: dict) -> Concern:
    """Everything a liaison must never read: restricted notes (set by the fixture), a restricted
    timeline note, the owner's internal note, the reporter's contact in the vault."""
    services.concern_note(actor=users[Role.PARTNER], concern=planned, text="SECRET-TIMELINE-5512", restricted=True)
    services.concern_note(actor=users[Role.PARTNER], concern=planned, text="INTERNAL-NOTE-2290")
    key = uuid.uuid4()
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name="Reporter Name", phone="+992 93 555 0000"))
    Concern.objects.filter(pk=planned.pk).update(reporter_key=key)
    return planned


def urls_of(programme: Any, referral: Referral) -> dict[str, str]:
    code = programme.code
    return {
        "page": reverse("referral_detail", args=[code, referral.pk]),
        "acknowledge": reverse("referral_acknowledge", args=[code, referral.pk]),
        "respond": reverse("referral_respond", args=[code, referral.pk]),
    }


# --- Adversaries -----------------------------------------------------------------------------------
def test_a_liaison_of_another_organisation_cannot_see_or_answer_the_police_referral(
    referral: Referral, programme: Any, hukumat_liaison: Any, client_for: Any
) -> None:
    client = client_for(hukumat_liaison)
    urls = urls_of(programme, referral)
    assert client.get(urls["page"]).status_code == 404
    assert client.post(urls["acknowledge"]).status_code == 404
    assert client.post(urls["respond"], {"response": "Done"}).status_code == 404
    inbox = client.get(reverse("referral_inbox", args=[programme.code]))
    assert inbox.status_code == 200 and referral.concern.reference not in inbox.content.decode()
    assert client.get(f"/api/referrals/{referral.pk}").status_code == 404
    assert client.post(f"/api/referrals/{referral.pk}/acknowledge").status_code == 404
    assert (
        client.post(
            f"/api/referrals/{referral.pk}/respond", json.dumps({"response": "x"}), content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/referrals/").json()["items"] == []
    with pytest.raises(PermissionDenied):
        actions.referral_respond(actor=hukumat_liaison, referral=referral, response="x")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT
    assert AuditEvent.objects.filter(actor=hukumat_liaison, outcome="denied").exists()


def test_the_police_liaison_cannot_open_a_concern_not_referred_to_them(
    referral: Referral, programme: Any, place: Any, users: dict, orgs: dict, hukumat: Any, client_for: Any
) -> None:
    other = make_concern(programme, place("TJ-GB-VANJ"), actor=users[Role.STAFF])
    services.concern_triage(
        actor=users[Role.STAFF], concern=other, drivers=list(referral.concern.drivers.all()), sensitivity="internal"
    )
    to_hukumat = actions.referral_create(
        actor=users[Role.STAFF], concern=other, organisation=hukumat, message="For the hukumat", respond_by=today()
    )
    client = client_for(users[Role.LIAISON])
    code = programme.code
    assert client.get(reverse("plan_concern", args=[code, other.pk])).status_code == 404
    assert client.get(reverse("referral_detail", args=[code, to_hukumat.pk])).status_code == 404
    assert client.get(f"/api/referrals/{to_hukumat.pk}").status_code == 404
    assert [r["id"] for r in client.get("/api/referrals/").json()["items"]] == [referral.pk]
    # Their own referral's concern is reachable, but never changeable by them.
    assert client.get(reverse("plan_concern", args=[code, referral.concern_id])).status_code == 200
    refused = client.post(reverse("plan_action_add", args=[code, referral.concern_id]), {"action-title": "x"})
    assert refused.status_code == 403


def test_the_liaison_never_reads_the_reporter_restricted_notes_or_the_timeline(
    planted: Concern, referral: Referral, programme: Any, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.LIAISON])
    page = client.get(urls_of(programme, referral)["page"]).content.decode()
    api = client.get(f"/api/referrals/{referral.pk}").content.decode()
    listed = client.get("/api/referrals/").content.decode()
    plan = client.get(reverse("plan_concern", args=[programme.code, planted.pk])).content.decode()
    for text in (page, api, listed):
        assert "DESCRIPTION-OK" in text and "MESSAGE-OK" in text
    for text in (page, api, listed, plan):
        for secret in SECRETS:
            assert secret not in text, secret
    assert "Mistrust of police" in page and "police_mistrust" in api
    # Staff do see them (the planted strings are real).
    staff_events = list(planted.events.values_list("text", flat=True))
    assert "SECRET-TIMELINE-5512" in staff_events


def test_a_concern_made_restricted_after_the_referral_is_no_longer_shown(
    referral: Referral, programme: Any, users: dict, client_for: Any
) -> None:
    services.concern_update(actor=users[Role.STAFF], concern=referral.concern, sensitivity="restricted")
    client = client_for(users[Role.LIAISON])
    page = client.get(urls_of(programme, referral)["page"])
    assert page.status_code == 200
    assert "DESCRIPTION-OK" not in page.content.decode() and "no longer shared" in page.content.decode()
    body = client.get(f"/api/referrals/{referral.pk}").json()
    assert body["description"] is None and body["drivers"] == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON, Role.DONOR])
def test_another_programmes_users_get_404(
    role: str, referral: Referral, programme: Any, second: dict, client_for: Any
) -> None:
    client = client_for(second["users"][role])
    for code in (programme.code, second["programme"].code):
        for name in ("referral_detail", "referral_acknowledge", "referral_respond"):
            url = reverse(name, args=[code, referral.pk])
            got = client.get(url) if name == "referral_detail" else client.post(url, {"response": "x"})
            assert got.status_code in (403, 404), (url, got.status_code)
            if code == programme.code:
                assert got.status_code == 404
    assert client.get(f"/api/referrals/{referral.pk}").status_code == 404
    assert client.post(f"/api/referrals/{referral.pk}/acknowledge").status_code == 404
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_donors_group_members_and_anonymous_are_refused(
    referral: Referral, programme: Any, users: dict, client_for: Any
) -> None:
    urls = urls_of(programme, referral)
    assert client_for(users[Role.DONOR]).get(urls["page"]).status_code == 403
    assert client_for(users[Role.GROUP_MEMBER]).get(urls["page"]).status_code == 404
    assert client_for(users[Role.GROUP_MEMBER]).get(reverse("referral_inbox", args=[programme.code])).status_code == 403
    assert client_for(users[Role.PARTNER]).post(urls["acknowledge"]).status_code == 403
    anonymous = client_for(None)
    assert anonymous.get(urls["page"]).status_code == 302
    assert anonymous.post(urls["acknowledge"]).status_code == 302
    assert anonymous.get(f"/api/referrals/{referral.pk}").status_code == 401
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


# --- Referring -------------------------------------------------------------------------------------
def test_a_restricted_concern_cannot_be_referred(
    planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    services.concern_update(actor=users[Role.STAFF], concern=planned, sensitivity="restricted")
    with pytest.raises(ValidationError) as error:
        actions.referral_create(
            actor=users[Role.STAFF], concern=planned, organisation=orgs["police"], message="x", respond_by=today()
        )
    assert "restricted concern cannot be referred" in str(error.value)
    client = client_for(users[Role.STAFF])
    plan = client.get(reverse("plan_concern", args=[programme.code, planned.pk])).content.decode()
    assert "cannot be referred" in plan
    assert reverse("plan_referral_add", args=[programme.code, planned.pk]) not in plan
    response = client.post(
        reverse("plan_referral_add", args=[programme.code, planned.pk]),
        {
            "referral-organisation": orgs["police"].pk,
            "referral-message": "x",
            "referral-respond_by": today().isoformat(),
        },
    )
    assert response.status_code == 422 and "identify" in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"organisation": "lap"}, "organisation"),  # a partner, not an authority
        ({"message": ""}, "message"),
        ({"message": "Call the reporter on 93 555 12 34"}, "message"),
        ({"message": "Write to reporter@example.org"}, "message"),
        ({"respond_by": "yesterday"}, "respond_by"),
        ({"respond_by": "past"}, "respond_by"),
    ],
)
def test_bad_referrals_are_refused(
    data: dict, field: str, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    form = {"organisation": orgs["police"].pk, "message": "Patrol please", "respond_by": today().isoformat()}
    form.update(data)
    if form["organisation"] == "lap":
        form["organisation"] = orgs["lap"].pk
    if form["respond_by"] == "past":
        form["respond_by"] = (today() - dt.timedelta(days=1)).isoformat()
    response = client_for(users[Role.STAFF]).post(
        reverse("plan_referral_add", args=[programme.code, planned.pk]), {f"referral-{k}": v for k, v in form.items()}
    )
    assert response.status_code == 422
    assert f'id="id_referral-{field}_error"' in response.content.decode()
    assert not Referral.objects.exists()


def test_the_referral_form_warns_to_name_no_one(planned: Concern, programme: Any, users: dict, client_for: Any) -> None:
    html = (
        client_for(users[Role.STAFF]).get(reverse("plan_concern", args=[programme.code, planned.pk])).content.decode()
    )
    assert 'id="referral-warning"' in html and "name no one" in html.lower()


# --- The liaison's flow ----------------------------------------------------------------------------
def test_refer_acknowledge_respond(
    planned: Concern, police_action: Action, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    staff = client_for(users[Role.STAFF])
    sent = staff.post(
        reverse("plan_referral_add", args=[programme.code, planned.pk]),
        {
            "referral-organisation": orgs["police"].pk,
            "referral-message": "Patrol the school road, MESSAGE-OK",
            "referral-respond_by": (today() + dt.timedelta(days=7)).isoformat(),
            "referral-action": police_action.pk,
        },
    )
    assert sent.status_code == 302 and sent["Location"] == f"{concern_url(planned)}#referrals"
    referral = Referral.objects.get()
    assert referral.action == police_action and referral.sent_by == users[Role.STAFF]
    again = actions.referral_create
    with pytest.raises(ValidationError) as error:
        again(actor=users[Role.STAFF], concern=planned, organisation=orgs["police"], message="x", respond_by=today())
    assert "already with" in str(error.value)

    liaison = client_for(users[Role.LIAISON])
    inbox = liaison.get(reverse("referral_inbox", args=[programme.code])).content.decode()
    assert planned.reference in inbox and "acknowledge it" in inbox
    urls = urls_of(programme, referral)
    page = liaison.get(urls["page"]).content.decode()
    assert 'id="acknowledge"' in page and "MESSAGE-OK" in page
    assert liaison.post(urls["acknowledge"]).status_code == 302
    assert liaison.post(urls["acknowledge"]).status_code == 302  # twice: a message, nothing changes
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACKNOWLEDGED and referral.acknowledged_by == users[Role.LIAISON]
    empty = liaison.post(urls["respond"], {"response": "  "})
    assert empty.status_code == 422
    answered = liaison.post(urls["respond"], {"response": "Patrols every evening from Monday. RESPONSE-TEXT"})
    assert answered.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.RESPONDED and "RESPONSE-TEXT" in referral.response
    page = liaison.get(urls["page"]).content.decode()
    assert 'id="respond"' not in page and "RESPONSE-TEXT" in page
    events = list(planned.events.filter(kind=ConcernEvent.Kind.REFERRAL).values_list("text", flat=True))
    assert len(events) == 3 and not any("RESPONSE-TEXT" in e for e in events)
    # The lead sees the answer on the plan.
    assert "RESPONSE-TEXT" in staff.get(reverse("plan_concern", args=[programme.code, planned.pk])).content.decode()


def test_the_liaison_signs_off_from_the_referral_page(
    referral: Referral, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    Concern.objects.filter(pk=planned.pk).update(status=Status.IN_PROGRESS)
    liaison = client_for(users[Role.LIAISON])
    page_url = urls_of(programme, referral)["page"]
    assert "Sign off for Vanj Police" in liaison.get(page_url).content.decode()
    response = liaison.post(
        reverse("plan_signoff_authority", args=[programme.code, planned.pk]),
        {"organisation": orgs["police"].pk, f"so{orgs['police'].pk}-outcome": "partly_resolved", "back": page_url},
    )
    assert response.status_code == 302 and response["Location"] == page_url
    assert planned.signoffs.get().organisation == orgs["police"]
    assert "Sign off for Vanj Police" not in liaison.get(page_url).content.decode()
    # A forged organisation is refused.
    forged = liaison.post(
        reverse("plan_signoff_authority", args=[programme.code, planned.pk]),
        {"organisation": orgs["lead"].pk, f"so{orgs['lead'].pk}-outcome": "resolved"},
    )
    assert forged.status_code == 403


def test_the_inbox_puts_unacknowledged_first_and_flags_late_answers(
    referral: Referral, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    late = Referral.objects.create(
        programme=programme,
        district=planned.district,
        concern=planned,
        organisation=orgs["police"],
        message="LATE-REFERRAL",
        respond_by=today() - dt.timedelta(days=2),
        state=Referral.State.ACKNOWLEDGED,
    )
    liaison = client_for(users[Role.LIAISON])
    html = liaison.get(reverse("referral_inbox", args=[programme.code])).content.decode()
    assert html.index("MESSAGE-OK") < html.index("LATE-REFERRAL")  # awaiting acknowledgement first
    assert 'class="is-late"' in html and "overdue" in html
    only_late = liaison.get(reverse("referral_inbox", args=[programme.code]) + "?late=1").content.decode()
    assert "LATE-REFERRAL" in only_late and "MESSAGE-OK" not in only_late
    assert late.is_overdue and not referral.is_overdue
    staff = client_for(users[Role.STAFF]).get(
        reverse("referral_inbox", args=[programme.code]) + f"?organisation={orgs['police'].pk}&state=acknowledged"
    )
    assert "LATE-REFERRAL" in staff.content.decode() and "MESSAGE-OK" not in staff.content.decode()
    assert client_for(users[Role.PARTNER]).get(reverse("referral_inbox", args=[programme.code])).status_code == 403


def test_inbox_query_count_is_constant(
    referral: Referral, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    url = reverse("referral_inbox", args=[programme.code])
    for role in (Role.LIAISON, Role.STAFF):
        client = client_for(users[role])
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for i in range(12):
            Referral.objects.create(
                programme=programme,
                district=planned.district,
                concern=planned,
                organisation=orgs["police"],
                message=f"R{i}",
                respond_by=today() - dt.timedelta(days=i),
            )
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many.captured_queries) == len(few.captured_queries), role


# --- Home items ------------------------------------------------------------------------------------
def test_home_items_for_the_liaison_and_the_staff(
    referral: Referral, programme: Any, users: dict, hukumat_liaison: Any, client_for: Any
) -> None:
    overview = reverse("programme_overview", args=[programme.code])
    html = client_for(users[Role.LIAISON]).get(overview).content.decode()
    assert "1 referral awaits your answer" in html and "1 not acknowledged yet" in html
    assert reverse("referral_inbox", args=[programme.code]) in html
    assert "No referral awaits your answer." in client_for(hukumat_liaison).get(overview).content.decode()
    assert referral_items(users[Role.STAFF], programme) == []  # nothing late yet
    Referral.objects.filter(pk=referral.pk).update(respond_by=today() - dt.timedelta(days=1))
    staff_html = client_for(users[Role.STAFF]).get(overview).content.decode()
    assert "1 referral has not been answered by the date asked" in staff_html
    assert referral_items(users[Role.PARTNER], programme) == []
    assert referral_items(users[Role.DONOR], programme) == []


@pytest.mark.parametrize("role", [Role.LIAISON, Role.STAFF])
def test_home_query_count_does_not_grow_with_referrals(
    role: str, referral: Referral, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    client = client_for(users[role])
    overview = reverse("programme_overview", args=[programme.code])
    client.get(overview)
    with CaptureQueriesContext(connection) as few:
        client.get(overview)
    for i in range(15):
        Referral.objects.create(
            programme=programme,
            district=planned.district,
            concern=planned,
            organisation=orgs["police"],
            message=f"R{i}",
            respond_by=today() - dt.timedelta(days=i),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(overview)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- API -------------------------------------------------------------------------------------------
def test_api_acknowledge_and_respond(referral: Referral, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.LIAISON])
    listed = client.get("/api/referrals/?overdue=false&state=sent").json()
    assert [r["id"] for r in listed["items"]] == [referral.pk]
    body = client.post(f"/api/referrals/{referral.pk}/acknowledge").json()
    assert body["state"] == "acknowledged"
    again = client.post(f"/api/referrals/{referral.pk}/acknowledge")
    assert again.status_code == 422 and again.json()["code"] == "invalid"
    blank = client.post(
        f"/api/referrals/{referral.pk}/respond", json.dumps({"response": " "}), content_type="application/json"
    )
    assert blank.status_code == 422 and blank.json()["errors"]["response"]
    done = client.post(
        f"/api/referrals/{referral.pk}/respond",
        json.dumps({"response": "Patrols started"}),
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["state"] == "responded"
    assert done.json()["response"] == "Patrols started"
    assert set(done.json()) >= {"concern", "district", "drivers", "description", "message", "respond_by", "overdue"}
