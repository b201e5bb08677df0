"""The tenancy boundaries of ADR 0005, walked over every object URL: another programme's records
answer 404 to every role of this programme, whichever programme the URL names; another partner
organisation's records are never writable by a partner, even where both see them.

The routes are read from the URL configuration, so a new object page is covered the day it lands
(and this test fails until an example object is listed for its parameter)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hamkori.accounts import services as accounts
from hamkori.concerns import actions as concern_actions
from hamkori.concerns import rounds
from hamkori.concerns import services as concerns
from hamkori.concerns.models import Action, Criterion, Driver, PrioritisationRound, Referral, Score
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import commitments as event_commitments
from hamkori.events import services as events
from hamkori.events import uploads as event_uploads
from hamkori.events.attendance import Entry, attendance_save
from hamkori.events.models import Attendance, Commitment, Event, EventFile, EventKind, Tally
from hamkori.grants import applications as grants_applications
from hamkori.grants import awards as grants_awards
from hamkori.grants import calls as grants_calls
from hamkori.grants import campaigns as grant_campaigns
from hamkori.grants import reviews as grants_reviews
from hamkori.grants.models import (
    Application,
    CampaignFormat,
    CampaignProduct,
    Disbursement,
    Grant,
    GrantCall,
    GrantReport,
    Reach,
    ReachCount,
    Review,
    ReviewScore,
    Screening,
    ScreeningQuestion,
    Tranche,
)
from hamkori.groups import services as groups
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Consent, Person
from hamkori.vault.services import PersonalData
from tests import factories
from tests.grants.conftest import approve, make_application, make_call

from .test_access_matrix import all_patterns

ROLES = [Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON, Role.DONOR]

#: Object pages under /p/<code>/: every <int:...> parameter of a programme view.
OBJECT_ROUTES = [
    (name, route)
    for route, name, callback in all_patterns()
    if getattr(callback, "hamkori_access", None) is not None and callback.hamkori_access.programme and "<int:" in route
]


@pytest.fixture
def second(db: Any, orgs: dict, place: Any, make_user: Any) -> dict[str, Any]:
    """Programme B in Vanj too (same districts, same partner organisation), with one user per role."""
    prog = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        donors=[orgs["donor"]],
        budget=Decimal("500.00"),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 12, 31),
        locations=[place("TJ-GB-VANJ")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")])],
    )
    vanj = [place("TJ-GB-VANJ")]
    org_for = {
        Role.ADMIN: orgs["lead"],
        Role.STAFF: orgs["lead"],
        Role.PARTNER: orgs["lap"],
        Role.LIAISON: orgs["police"],
    }
    users = {
        role: make_user(
            f"b-{role}@test.example",
            programme=prog,
            role=role,
            organisation=org_for.get(role, orgs["donor"] if role == Role.DONOR else None),
            places=vanj if role in (Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON) else [],
        )
        for role in ROLES
    }
    return {"programme": prog, "users": users}


@pytest.fixture
def records_a(programme: Any, place: Any, orgs: dict, users: dict) -> dict[str, Any]:
    """Records of programme A in Vanj, owned by LAP, one for each object parameter."""
    person = people.person_create(
        actor=None,
        programme=programme,
        sex="female",
        place=place("TJ-GB-VANJ"),
        birth_year=1990,
        sectors=[],
        personal=PersonalData(full_name="Зарина Мирзоева"),
        owner=orgs["lap"],
    )
    consent = people.consent_record(
        actor=None,
        person=person,
        purpose="participation",
        given_on=dt.date(2019, 1, 1),
        method="written",
        language="tg",
    )
    group = groups.group_create(
        actor=None, programme=programme, name="ГКБ Ванҷ", district=place("TJ-GB-VANJ"), owner=orgs["lap"]
    )
    membership = groups.membership_add(actor=None, group=group, person=person, joined_on=dt.date(2019, 1, 2))
    concerns.vocabulary_ensure(actor=None, programme=programme, drivers=[("jobs", "Кор", "Работа", "Jobs")])
    concern = concerns.concern_create(
        actor=None, programme=programme, description="Роҳ торик аст", district=place("TJ-GB-VANJ"), group=group
    )
    concerns.concern_triage(
        actor=None, concern=concern, drivers=list(Driver.objects.filter(programme=programme)), sensitivity="internal"
    )
    round_ = rounds.round_create(
        actor=None,
        group=group,
        title="Round",
        held_on=dt.date(2019, 2, 1),
        criteria=list(Criterion.objects.filter(programme=programme)),
        concerns=[concern],
    )
    rounds.round_decide(actor=None, round=round_, chosen=[concern])
    action = concern_actions.action_create(
        actor=None, concern=concern, title="Чароғҳо", due_on=dt.date(2019, 6, 1), owners=[orgs["police"]]
    )
    referral = concern_actions.referral_create(
        actor=None, concern=concern, organisation=orgs["police"], message="Patrol", respond_by=timezone.localdate()
    )
    events.vocabulary_ensure(actor=None, programme=programme)
    event = events.event_create(
        actor=None,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="cwg-meeting"),
        title="Ҷаласа",
        starts_at=events.local_datetime(programme, dt.date(2019, 3, 1), dt.time(10)),
        ends_at=events.local_datetime(programme, dt.date(2019, 3, 1), dt.time(12)),
        place=place("TJ-GB-VANJ"),
        organiser=orgs["lap"],
        groups=[group],
    )
    dialogue = events.event_create(
        actor=None,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="dialogue"),
        title="Муколама",
        place=place("TJ-GB-VANJ"),
        starts_at=timezone.now() - dt.timedelta(days=3),
        ends_at=timezone.now() - dt.timedelta(days=3, hours=-2),
    )
    event_commitments.commitment_create(
        actor=None, event=dialogue, title="Патрул", owners=[orgs["police"]], due_on=timezone.localdate()
    )
    attendance_save(actor=None, event=event, entries=[Entry(person=person.pk)])
    event_file = event_uploads.file_upload(
        actor=None, event=event, kind="minutes", upload=event_uploads.Upload("протокол.txt", ["Қарор.".encode()])
    )
    grants_calls.vocabulary_ensure(actor=None, programme=programme)
    call = grants_calls.call_save(
        actor=None,
        programme=programme,
        title="Маъракаҳо",
        text="",
        applicant_kinds=[],
        languages=["tg"],
        currency="TJS",
        envelope="50000",
        deadline=timezone.now() + dt.timedelta(days=30),
        districts=[place("TJ-GB-VANJ")],
        criteria=[("Relevance", 1, "")],
    )
    call = grants_calls.call_set_status(actor=None, call=call, status="open")
    saved = grants_applications.application_save(
        actor=users[Role.PARTNER],
        call=call,
        client_key=uuid.uuid4(),
        draft=grants_applications.Draft(
            applicant_name="Ҷавонони Ванҷ",
            applicant_kind="youth",
            district=place("TJ-GB-VANJ"),
            title="Театр",
            summary="Намоишҳо",
            audience="Ҷавонон",
            formats=list(CampaignFormat.objects.filter(programme=programme)[:1]),
            languages=["tg"],
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 2, 1),
            budget=[("Костюмҳо", "1000")],
        ),
    )
    application = grants_applications.application_submit(actor=users[Role.PARTNER], application=saved.application)
    review = grants_reviews.review_assign(actor=None, application=application, reviewer=users[Role.PARTNER])
    grant_vocab = {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=programme)},
    }
    grant_application = make_application(make_call(programme, place), place, grant_vocab, actor=users[Role.PARTNER])
    approve(grant_application, grant_vocab, users[Role.STAFF])
    grant = Grant.objects.get(application=grant_application)
    grants_awards.agreement_sign(actor=None, grant=grant, signed_on=timezone.localdate())
    grant_report = grants_awards.report_submit(actor=None, grant=grant, kind="interim", narrative="Оғоз", spent="0")
    product = grant_campaigns.product_save(
        actor=None,
        programme=programme,
        grant=None,
        district=place("TJ-GB-VANJ"),
        format=CampaignFormat.objects.get(programme=programme, code="leaflet"),
        title="Варақа",
        language="tg",
    )
    reach = grant_campaigns.reach_save(
        actor=None,
        product=product,
        on=dt.date(2019, 3, 2),
        place=place("TJ-GB-VANJ"),
        channel="distribution",
        counts={("female", "18-24"): 3},
    )
    return {
        "pk": {"person": person.pk, "group": group.pk, "concern": concern.pk, "event": event.pk},
        "call_id": call.pk,
        "application_id": application.pk,
        "review_id": review.pk,
        "grant_id": grant.pk,
        "tranche_id": grant.tranches.get().pk,
        "report_id": grant_report.pk,
        "product_id": product.pk,
        "reach_id": reach.pk,
        "key": event_file.key,
        "organisation_id": orgs["police"].pk,
        "consent_id": consent.pk,
        "membership_id": membership.pk,
        "user_id": users[Role.ADMIN].pk,
        "person_code": person.code,
        "action_id": action.pk,
        "referral_id": referral.pk,
        "group_id": group.pk,
        "round_id": round_.pk,
        "event_id": event.pk,
    }


def object_url(name: str, route: str, code: str, records: dict[str, Any]) -> str:
    args: list[Any] = [code]
    for param in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if param == "code":
            continue
        value = records[param]
        if isinstance(value, dict):  # "pk": a person under people/, a group under groups/, a concern under concerns/
            value = value[
                "group"
                if "groups/" in route
                else "concern"
                if "concerns/" in route
                else "event"
                if "events/" in route
                else "person"
            ]
        args.append(value)
    return reverse(name, args=args)


def snapshot() -> tuple:
    return (
        list(Person.objects.order_by("pk").values()),
        list(Consent.objects.order_by("pk").values()),
        list(WorkingGroup.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(Action.objects.order_by("pk").values()),
        list(Referral.objects.order_by("pk").values()),
        list(PrioritisationRound.objects.order_by("pk").values()),
        list(Score.objects.order_by("pk").values()),
        list(Event.objects.order_by("pk").values()),
        list(Commitment.objects.order_by("pk").values()),
        list(EventFile.objects.order_by("pk").values()),
        list(Attendance.objects.order_by("pk").values()),
        list(Tally.objects.order_by("pk").values()),
        list(GrantCall.objects.order_by("pk").values()),
        list(Application.objects.order_by("pk").values()),
        list(Review.objects.order_by("pk").values()),
        list(ReviewScore.objects.order_by("pk").values()),
        list(Screening.objects.order_by("pk").values()),
        list(Grant.objects.order_by("pk").values()),
        list(Tranche.objects.order_by("pk").values()),
        list(Disbursement.objects.order_by("pk").values()),
        list(GrantReport.objects.order_by("pk").values()),
        list(CampaignProduct.objects.order_by("pk").values()),
        list(Reach.objects.order_by("pk").values()),
        list(ReachCount.objects.order_by("pk").values()),
    )


def test_every_object_route_is_covered() -> None:
    known = {
        "pk",
        "consent_id",
        "membership_id",
        "user_id",
        "code",
        "action_id",
        "referral_id",
        "group_id",
        "round_id",
        "event_id",
        "organisation_id",
        "key",
        "call_id",
        "application_id",
        "review_id",
        "grant_id",
        "tranche_id",
        "report_id",
        "product_id",
        "reach_id",
    }
    params = {p for _n, route in OBJECT_ROUTES for p in re.findall(r"<(?:\w+:)?(\w+)>", route)}
    assert params <= known, f"add an example record for {params - known}"
    assert len(OBJECT_ROUTES) >= 10


@pytest.mark.parametrize(("name", "route"), OBJECT_ROUTES, ids=[n for n, _r in OBJECT_ROUTES])
@pytest.mark.parametrize("role", ROLES)
def test_another_programmes_records_answer_404(
    name: str, route: str, role: str, second: dict, records_a: dict, programme: Any
) -> None:
    """A user of programme B asks for programme A's record. Under A's code: 404 (405 for a GET of a
    POST-only action, whatever the id). Under B's own code: exactly what a record that does not exist
    answers (404, or the role's refusal of the page), so existence never leaks. Nothing changes."""
    client = Client()
    client.force_login(second["users"][role])
    missing = {
        key: ({"person": 999999, "group": 999999, "concern": 999999, "event": 999999} if key == "pk" else 999999)
        for key in records_a
    }
    missing["key"] = uuid.UUID(int=1)
    missing["person_code"] = "P-999999"
    before = snapshot()
    url = object_url(name, route, programme.code, records_a)
    assert client.get(url).status_code in (404, 405), (url, role)
    assert client.post(url, {"left_on": "2019-05-01", "status": "closed"}).status_code == 404, (url, role)
    url = object_url(name, route, second["programme"].code, records_a)
    absent = object_url(name, route, second["programme"].code, missing)
    for method in ("get", "post"):
        got = getattr(client, method)(url, {"left_on": "2019-05-01", "status": "closed"} if method == "post" else {})
        expected = getattr(client, method)(absent, {"left_on": "2019-05-01"} if method == "post" else {})
        assert got.status_code == expected.status_code, (method, url, role)
        assert got.status_code in (403, 404, 405), (method, url, role)
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_another_programmes_records_answer_404_on_the_api(
    role: str, second: dict, records_a: dict, programme: Any
) -> None:
    client = Client()
    client.force_login(second["users"][role])
    person, group = records_a["pk"]["person"], records_a["pk"]["group"]
    before = snapshot()
    for path in (f"/api/people/{person}", f"/api/groups/{group}", f"/api/events/{records_a['event_id']}"):
        assert client.get(path).status_code == 404, path
    event_path = f"/api/events/{records_a['event_id']}"
    assert client.patch(event_path, {"title": "B"}, content_type="application/json").status_code == 404
    assert client.post(f"{event_path}/cancel", {"reason": "B"}, content_type="application/json").status_code == 404
    assert client.patch(f"/api/people/{person}", {"sex": "male"}, content_type="application/json").status_code == 404
    assert (
        client.post(f"/api/groups/{group}/status", {"to_status": "closed"}, content_type="application/json").status_code
        == 404
    )
    assert (
        client.post(
            f"/api/groups/{group}/members",
            {"person": records_a["person_code"], "joined_on": "2019-05-01"},
            content_type="application/json",
        ).status_code
        == 404
    )
    listed = client.get("/api/people/").json()
    assert person not in {row["id"] for row in listed.get("items", listed if isinstance(listed, list) else [])}
    assert snapshot() == before


def test_another_programmes_lists_show_nothing_of_this_one(
    second: dict, records_a: dict, programme: Any, client_for: Any
) -> None:
    """B's staff open B's lists: A's person and group (same district, same partner) are absent."""
    client = client_for(second["users"][Role.STAFF])
    code = second["programme"].code
    people_page = client.get(reverse("person_list", args=[code])).content.decode()
    groups_page = client.get(reverse("group_list", args=[code])).content.decode()
    assert f"/people/{records_a['pk']['person']}/" not in people_page
    assert "ГКБ Ванҷ" not in groups_page


@pytest.fixture
def asti_in_vanj(programme: Any, orgs: dict, place: Any, make_user: Any) -> Any:
    """ASTI's facilitator, given Vanj too: she sees LAP's records there."""
    return make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )


def test_a_partner_of_another_organisation_cannot_write_where_both_see(
    records_a: dict, programme: Any, asti_in_vanj: Any, client_for: Any
) -> None:
    """ASTI's facilitator is given Vanj too, so she sees LAP's person and group: every write is refused
    with a reason (403) and changes nothing; the refusal is audited."""
    client = client_for(asti_in_vanj)
    code, person_pk = programme.code, records_a["pk"]["person"]
    assert client.get(reverse("person_detail", args=[code, person_pk])).status_code == 200
    before = snapshot()
    writes = [
        (reverse("person_edit", args=[code, person_pk]), {"sex": "male", "birth_year": "1970"}),
        (reverse("person_consent_add", args=[code, person_pk]), {"purpose": "contact", "given_on": "2019-02-01"}),
        (reverse("person_consent_withdraw", args=[code, person_pk, records_a["consent_id"]]), {}),
    ]
    for url, data in writes:
        response = client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
    api = client.patch(f"/api/people/{person_pk}", {"sex": "male"}, content_type="application/json")
    assert api.status_code == 403
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=asti_in_vanj, outcome="denied").count() >= len(writes)


def test_an_invitation_in_one_programme_leaves_the_other_alone(second: dict, programme: Any, users: dict) -> None:
    """Programme B's admin invites an address that programme A already uses: A's account keeps its
    password and no link for it is handed to B's admin."""
    a_staff = users[Role.STAFF]
    password_before = type(a_staff).objects.get(pk=a_staff.pk).password
    try:
        result = accounts.invitation_create(
            actor=second["users"][Role.ADMIN],
            programme=second["programme"],
            email=a_staff.email,
            role=Role.STAFF,
        )
    except Exception:  # refusing is one of the two allowed answers
        result = None
    assert type(a_staff).objects.get(pk=a_staff.pk).password == password_before
    link = getattr(result, "link", None) or (result[1] if isinstance(result, tuple) and len(result) > 1 else None)
    if isinstance(link, str) and "/accounts/invite/" in link:
        response = Client().get(link[link.index("/accounts/invite/") :])
        assert response.status_code in (404, 410) or b"password" not in response.content.lower()


def test_a_partner_of_another_organisation_cannot_change_its_group(
    records_a: dict, programme: Any, asti_in_vanj: Any, client_for: Any
) -> None:
    """LAP facilitates the Vanj group; ASTI's facilitator, given Vanj too, sees it but every change to
    it (edit, status, add or end a membership; page and API) is refused with a reason."""
    client = client_for(asti_in_vanj)
    code, group_pk = programme.code, records_a["pk"]["group"]
    assert client.get(reverse("group_detail", args=[code, group_pk])).status_code == 200
    before = snapshot()
    writes = [
        (reverse("group_edit", args=[code, group_pk]), {"name": "Renamed", "kind": "cwg"}),
        (reverse("group_status", args=[code, group_pk]), {"to_status": "forming"}),
        (
            reverse("membership_add", args=[code, group_pk]),
            {"person": records_a["person_code"], "joined_on": "2019-03-01"},
        ),
        (reverse("membership_end", args=[code, group_pk, records_a["membership_id"]]), {"left_on": "2019-04-01"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    api = client.post(f"/api/groups/{group_pk}/status", {"to_status": "forming"}, content_type="application/json")
    assert api.status_code == 403
    assert snapshot() == before
