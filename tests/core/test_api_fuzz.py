"""Fuzzing the API against its own OpenAPI schema (schemathesis 4, security review).

Every operation of ``/api/openapi.json`` gets generated requests, valid and invalid, sent through
the project's WSGI application as a staff member with a personal API token, over a small programme
built through the services. Every built-in check must pass: no server error, every status code
and content type declared, every answer matching its schema, invalid data refused, unsupported
methods answering 405, requests without credentials refused.

Two things are narrowed. Valid data is generated without NUL characters (refused with 400 by
design). And the schema cannot say that a code in the body must name an existing record
or that a lifecycle step must follow the current state, so on the operations that apply such
rules (:data:`BUSINESS_RULES`) a schema-valid request may be refused with 422, provided the answer
names the field and the rule. Everywhere else valid data must be accepted.

Seeded (``derandomize``) and bounded (:data:`EXAMPLES` per operation and mode) so it runs in
well under a minute and fails the same way twice."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hamkori.accounts.services import api_token_create
from hamkori.concerns.actions import action_create, referral_create
from hamkori.concerns.models import Concern
from hamkori.concerns.services import concern_create, vocabulary_ensure
from hamkori.core.roles import Role
from hamkori.events import services as events
from hamkori.events.attendance import Entry, attendance_save
from hamkori.events.commitments import commitment_create
from hamkori.events.models import EventKind
from hamkori.grants import awards, calls, campaigns
from hamkori.grants.models import CampaignFormat, ScreeningQuestion
from hamkori.groups.services import group_create, membership_add
from hamkori.people.services import person_create
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData
from tests.grants.conftest import approve, make_application, make_call

EXAMPLES = 15
#: Operations whose services refuse some schema-valid requests (codes of records that must exist,
#: lifecycle steps, dates in order): 422 with field errors.
BUSINESS_RULES = {
    "POST /api/people/",
    "PATCH /api/people/{person_id}",
    "POST /api/groups/",
    "POST /api/groups/{group_id}/members",
    "POST /api/groups/{group_id}/status",
    "POST /api/actions/{action_id}/progress",
    "POST /api/referrals/{referral_id}/acknowledge",
    "POST /api/referrals/{referral_id}/respond",
    "POST /api/concerns/",
    "POST /api/concerns/{concern_id}/triage",
    "POST /api/concerns/{concern_id}/move",
    "POST /api/public/concerns",  # a programme accepting public reports, one of its districts
    "POST /api/public/concerns/status",  # a receipt code that exists (404 otherwise)
    "POST /api/events/",  # a kind and a place that exist, an end after the start
    "PATCH /api/events/{event_id}",
    "POST /api/events/{event_id}/hold",  # a planned event that has started
    "POST /api/events/{event_id}/cancel",  # a planned event without attendance
    "POST /api/commitments/",  # an event that takes commitments, owners of its district, due after it
    "PUT /api/events/{event_id}/attendance",  # people of the register, the programme's roles, a held event
    "PUT /api/events/{event_id}/tally",
    "POST /api/grants/calls",  # programme locations, amounts within the currency's places, the largest grant
    "PATCH /api/grants/calls/{call_id}",  # the same, and an envelope above what its grants committed
    "POST /api/grants/calls/{call_id}/status",  # opened before its deadline, back to draft before anyone applied
    "POST /api/grants/applications",  # an open call, one of its districts, the programme's formats
    "POST /api/grants/applications/{application_id}/submit",  # a complete draft of an open call
    "POST /api/grants/{grant_id}/tranches/{tranche_id}/release",  # its condition holds, paid on a past day
    "POST /api/grants/{grant_id}/reports",  # spent within what was released, one report reviewed at a time
    "POST /api/grants/products",  # a format of the programme, a district of the programme
    "POST /api/grants/products/{product_id}/reach",  # a place of the product's district, people or copies
}


#: NUL characters in text are refused with 400 by design (PostgreSQL cannot store them; see
#: ``hamkori.core.api_errors.refuse_nul_characters``), which a JSON schema string cannot say: valid data
#: is generated without them (invalid data may still carry them).
CONFIG = schemathesis.Config.from_dict({"generation": {"allow-x00": False}})


@pytest.fixture
def wsgi_app(db: Any) -> Iterator[Any]:
    """The project's WSGI application, inside the test's transaction: Django closes "old"
    connections when a request starts and finishes, which would end the test's transaction
    (Django's own test client switches that off too)."""
    from hamkori.config.wsgi import application

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield application
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _generous_rate_limit() -> Any:
    """The fuzzer sends hundreds of requests a minute; the rate limit has its own tests."""
    from django.test import override_settings

    with override_settings(
        HAMKORI_API_RATE="100000/m", HAMKORI_INTAKE_RATE="100000/m", HAMKORI_INTAKE_STATUS_RATE="100000/m"
    ):
        yield


@pytest.fixture
def staff_token(users: dict[str, Any], programme: Any, place: Any, orgs: dict[str, Any]) -> str:
    """A small programme (the shared fixtures' programme, a working group, two people in it) and
    a staff member's personal API token."""
    staff = users[Role.STAFF]
    Programme.objects.filter(pk=programme.pk).update(public_reports=True)  # for /api/public/concerns
    group = group_create(actor=staff, programme=programme, name="Vanj CWG", district=place("TJ-GB-VANJ"))
    for sex in ("female", "male"):
        person = person_create(
            actor=staff,
            programme=programme,
            sex=sex,
            place=place("TJ-GB-VANJ"),
            birth_year=1985,
            personal=PersonalData(full_name="Ҷамшед Раҳимов"),
        )
        membership_add(actor=staff, group=group, person=person, joined_on=dt.date(2019, 1, 15))
    # A concern of the group with an action and a referral (the actions and referrals endpoints).
    concern = concern_create(actor=staff, programme=programme, description="Роҳ торик аст", district=group.district)
    Concern.objects.filter(pk=concern.pk).update(status="prioritised", group=group)  # a round's decision
    concern.refresh_from_db()
    action = action_create(
        actor=staff, concern=concern, title="Lamps", due_on=dt.date(2019, 6, 1), owners=[orgs["police"]]
    )
    referral_create(
        actor=staff,
        concern=concern,
        organisation=orgs["police"],
        message="Patrol",
        respond_by=timezone.localdate(),
        action=action,
    )
    # A new concern in Vanj (the concerns endpoints: triage and move need one that is reported).
    vocabulary_ensure(actor=None, programme=programme, drivers=[("opportunities", "Имконият", "Возможности", "Jobs")])
    concern_create(actor=staff, programme=programme, description="Кӯча торик аст", district=place("TJ-GB-VANJ"))
    # A planned event in Vanj that has started (the events endpoints: hold, cancel, change).
    events.vocabulary_ensure(actor=None, programme=programme)
    events.event_create(
        actor=staff,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="cwg-meeting"),
        title="Ҷаласа",
        starts_at=events.local_datetime(programme, dt.date(2019, 3, 1), dt.time(10)),
        ends_at=events.local_datetime(programme, dt.date(2019, 3, 1), dt.time(12)),
        place=place("TJ-GB-VANJ"),
        groups=[group],
    )
    # A dialogue with a commitment (the commitments endpoints).
    dialogue = events.event_create(
        actor=staff,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="dialogue"),
        title="Муколама",
        place=place("TJ-GB-VANJ"),
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2, hours=-2),
    )
    commitment_create(actor=staff, event=dialogue, title="Патрул", owners=[orgs["police"]], due_on=timezone.localdate())
    # A held meeting of the group with its two members (the attendance endpoints).
    day = dt.date(2019, 3, 1)
    meeting = events.event_create(
        actor=staff,
        programme=programme,
        kind=EventKind.objects.get(programme=programme, code="cwg-meeting"),
        title="Ҷаласаи ГКБ",
        starts_at=events.local_datetime(programme, day, dt.time(10)),
        ends_at=events.local_datetime(programme, day, dt.time(12)),
        place=place("TJ-GB-VANJ"),
        groups=[group],
    )
    attendance_save(actor=staff, event=meeting, entries=[Entry(person=m.person_id) for m in group.memberships.all()])
    # An open call with a draft and an awarded, signed grant in two tranches, and a product of the grant
    # handed out once (the grants endpoints).
    calls.vocabulary_ensure(actor=None, programme=programme)
    grant_vocab = {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=programme)},
    }
    call = make_call(programme, place)
    make_application(call, place, grant_vocab, actor=staff, submit=False)
    application = make_application(call, place, grant_vocab, actor=staff)
    approve(application, grant_vocab, staff)
    grant = awards.agreement_sign(actor=None, grant=application.grant, signed_on=timezone.localdate())
    awards.tranches_plan(actor=None, grant=grant, rows=[("7000", "signed", None), ("5000", "report", 1)])
    product = campaigns.product_save(
        actor=None,
        programme=programme,
        grant=grant,
        district=None,
        format=grant_vocab["formats"]["leaflet"],
        title="Варақа",
        language="tg",
        quantity=500,
    )
    campaigns.reach_save(
        actor=None,
        product=product,
        on=timezone.localdate(),
        place=grant.district,
        channel="distribution",
        counts={("female", "18-24"): 12},
    )
    return api_token_create(actor=staff, name="fuzz")[1]


def refused_by_a_rule(ctx: Any, response: Any, case: Any) -> None:
    """Valid data refused only by a business rule, with the field and the rule named."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    assert case.operation.label in BUSINESS_RULES, f"schema-valid request refused: {response.text[:300]}"
    assert json.loads(response.text)["errors"], "a refused valid request must name the field"


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], failures: dict[str, set[str]]) -> None:
    """EXAMPLES generated requests for one operation in one mode; failures collected by label."""
    excluded = [positive_data_acceptance] if operation.label in BUSINESS_RULES else []
    label = f"{operation.label} [{mode.value}]"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, excluded_checks=excluded, additional_checks=[refused_by_a_rule])
        except (Exception, BaseExceptionGroup) as exc:  # every failure is collected, then reported
            failures.setdefault(label, set()).add(str(exc)[:800])

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (an operation without parameters or body).
        assert mode is GenerationMode.NEGATIVE, label


def test_api_answers_as_its_schema_says(wsgi_app: Any, staff_token: str) -> None:
    # The WSGI client does not decode gzip (pages and API answers are gzipped when the client accepts it).
    headers = {"Authorization": f"Bearer {staff_token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, config=CONFIG, headers=headers)
    failures: dict[str, set[str]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, failures)
    assert not failures, "\n\n".join(f"{label}:\n" + "\n".join(sorted(f)) for label, f in failures.items())


def test_concern_operations_on_real_records(wsgi_app: Any, staff_token: str, programme: Any) -> None:
    """Generated ids and codes rarely name a record: the concern operations once more with real ones,
    every check on, each answering with success."""
    headers = {"Authorization": f"Bearer {staff_token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, config=CONFIG, headers=headers)
    concern = Concern.objects.get(programme=programme, status="reported")
    one = {"concern_id": concern.pk}
    new = {
        "programme": programme.code,
        "description": "Кор нест",
        "district": "TJ-GB-VANJ",
        "drivers": ["opportunities"],
    }
    calls = [
        ("/api/concerns/", "GET", {"query": {"programme": programme.code, "driver": "opportunities"}}),
        ("/api/concerns/{concern_id}", "GET", {"path_parameters": one}),
        ("/api/concerns/", "POST", {"body": new}),
        (
            "/api/concerns/{concern_id}/triage",
            "POST",
            {"path_parameters": one, "body": {"drivers": ["opportunities"], "sensitivity": "internal"}},
        ),
        (
            "/api/concerns/{concern_id}/move",
            "POST",
            {"path_parameters": one, "body": {"to_status": "declined", "reason": "Такрор"}},
        ),
    ]
    for path, method, values in calls:
        case = schema[path][method].Case(**values)
        response = case.call_and_validate(headers=headers)
        assert response.status_code < 300, (path, method, response.text[:300])
    concern.refresh_from_db()
    assert concern.status == "declined"


def test_attendance_operations_on_real_records(wsgi_app: Any, staff_token: str, programme: Any) -> None:
    """The attendance endpoints once more on the real meeting, every check on, each answering with success."""
    from hamkori.events.models import Event

    headers = {"Authorization": f"Bearer {staff_token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, config=CONFIG, headers=headers)
    meeting = Event.objects.get(programme=programme, title="Ҷаласаи ГКБ")
    one = {"event_id": meeting.pk}
    people = list(meeting.attendances.values_list("person_id", flat=True))
    calls = [
        ("/api/events/{event_id}/attendance", "GET", {"path_parameters": one}),
        (
            "/api/events/{event_id}/attendance",
            "PUT",
            {"path_parameters": one, "body": {"participants": [{"person": people[0], "role": "cwg"}]}},
        ),
        ("/api/events/{event_id}/tally", "GET", {"path_parameters": one}),
        (
            "/api/events/{event_id}/tally",
            "PUT",
            {
                "path_parameters": one,
                "body": {"cells": [{"sex": "female", "age_band": "18-24", "role": "community", "count": 3}]},
            },
        ),
    ]
    for path, method, values in calls:
        case = schema[path][method].Case(**values)
        response = case.call_and_validate(headers=headers)
        assert response.status_code < 300, (path, method, response.text[:300])
    assert meeting.attendances.count() == 1 and meeting.tallies.get().count == 3


def test_grants_operations_on_real_records(wsgi_app: Any, staff_token: str, programme: Any) -> None:
    """The grants endpoints once more on the real call, draft, grant and product, every check on, each
    answering with success."""
    import uuid

    from hamkori.grants.models import Application, CampaignProduct, Grant, GrantCall

    headers = {"Authorization": f"Bearer {staff_token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, config=CONFIG, headers=headers)
    call = GrantCall.objects.get(programme=programme)
    draft = Application.objects.get(programme=programme, status="draft")
    grant = Grant.objects.get(programme=programme)
    first = grant.tranches.get(number=1)
    product = CampaignProduct.objects.get(programme=programme)
    today = timezone.localdate().isoformat()
    listing = {"query": {"programme": programme.code}}
    application = {
        "call": call.pk,
        "client_key": str(uuid.uuid4()),
        "applicant_name": "Гурӯҳи ҷавонон",
        "applicant_kind": "youth",
        "district": "TJ-GB-VANJ",
        "title": "Видео",
        "budget": [{"item": "Камера", "amount": "900.50"}],
    }
    calls_ = [
        ("/api/grants/calls", "GET", listing),
        ("/api/grants/calls/{call_id}", "GET", {"path_parameters": {"call_id": call.pk}}),
        ("/api/grants/calls/{call_id}", "PATCH", {"path_parameters": {"call_id": call.pk}, "body": {"envelope": "60000"}}),
        ("/api/grants/applications", "GET", listing),
        ("/api/grants/applications", "POST", {"body": application}),
        ("/api/grants/applications/{application_id}", "GET", {"path_parameters": {"application_id": draft.pk}}),
        ("/api/grants/applications/{application_id}/submit", "POST", {"path_parameters": {"application_id": draft.pk}}),
        ("/api/grants/", "GET", listing),
        ("/api/grants/{grant_id}", "GET", {"path_parameters": {"grant_id": grant.pk}}),
        (
            "/api/grants/{grant_id}/tranches/{tranche_id}/release",
            "POST",
            {"path_parameters": {"grant_id": grant.pk, "tranche_id": first.pk}, "body": {"paid_on": today}},
        ),
        (
            "/api/grants/{grant_id}/reports",
            "POST",
            {"path_parameters": {"grant_id": grant.pk}, "body": {"narrative": "Чоп шуд", "spent": "6900"}},
        ),
        ("/api/grants/products", "GET", listing),
        ("/api/grants/products/{product_id}", "GET", {"path_parameters": {"product_id": product.pk}}),
        (
            "/api/grants/products",
            "POST",
            {"body": {"programme": programme.code, "grant": grant.pk, "format": "poster", "title": "Плакат",
                      "language": "ru"}},
        ),
        ("/api/grants/reach", "GET", listing),
        (
            "/api/grants/products/{product_id}/reach",
            "POST",
            {"path_parameters": {"product_id": product.pk},
             "body": {"on": today, "place": "TJ-GB-VANJ", "channel": "event", "copies": 40,
                      "counts": [{"sex": "male", "age_band": "u18", "count": 9}]}},
        ),
        ("/api/grants/calls/{call_id}/status", "POST", {"path_parameters": {"call_id": call.pk}, "body": {"status": "closed"}}),
    ]  # fmt: skip
    for path, method, values in calls_:
        case = schema[path][method].Case(**values)
        response = case.call_and_validate(headers=headers)
        assert response.status_code < 300, (path, method, response.text[:300])
    grant.refresh_from_db()
    draft.refresh_from_db()
    assert draft.status == "submitted" and grant.tranches.get(number=1).status == "released"
    assert GrantCall.objects.get(pk=call.pk).status == "closed" and product.reach.count() == 2
