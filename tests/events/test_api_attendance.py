"""The attendance API: scoped like the screen (another programme's admin, ASTI's partner who also covers Vanj,
a liaison, a donor, a group member, an anonymous caller), the same services behind PUT (one list replaces
the other; bad input refused in the one error format with nothing saved), and query counts that do not
grow with the number of participants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hamkori.accounts.models import User
from hamkori.accounts.services import api_token_create
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, scores_save, tally_save
from hamkori.events.models import Attendance, Event, Status, Tally
from hamkori.groups.models import Membership
from tests import factories

from .conftest import make_event

pytestmark = pytest.mark.django_db

VANJ = "TJ-GB-VANJ"


def bearer(user: User) -> Client:
    _token, secret = api_token_create(actor=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def put(client: Client, address: str, body: dict[str, Any]) -> Any:
    return client.put(address, body, content_type="application/json")


def attendance(event: Event) -> str:
    return f"/api/events/{event.pk}/attendance"


def tally(event: Event) -> str:
    return f"/api/events/{event.pk}/tally"


def members(group: Any) -> list[Any]:
    return [m.person for m in Membership.objects.filter(group=group).select_related("person").order_by("person__code")]


def state(event: Event) -> tuple[Any, ...]:
    return (
        sorted(Attendance.objects.filter(event=event).values_list("person_id", "role_id", "organisation_id")),
        sorted(Tally.objects.filter(event=event).values_list("sex", "age_band", "role_id", "count")),
        Event.objects.get(pk=event.pk).status,
    )


@pytest.fixture
def recorded(training: Event, users: dict, vanj_cwg: Any, vocab: dict, orgs: dict) -> list[Any]:
    """Three members recorded at the training, two with scores, and a tally of 30."""
    people = members(vanj_cwg)[:3]
    cwg = vocab["roles"]["cwg"].pk
    attendance_save(
        actor=users[Role.PARTNER],
        event=training,
        entries=[Entry(person=p.pk, role=cwg, organisation=orgs["lap"].pk) for p in people],
    )
    Event.objects.filter(pk=training.pk).update(test_max_score=100)
    training.refresh_from_db()
    scores_save(actor=users[Role.PARTNER], event=training, scores={people[0].pk: ("40", "80")})
    community = vocab["roles"]["community"].pk
    tally_save(
        actor=users[Role.PARTNER],
        event=training,
        cells={("female", "18-24", community): 12, ("male", "25-35", community): 18},
    )
    return people


# --- Adversaries -------------------------------------------------------------------------------------
def test_nobody_else_reads_the_named_list_or_writes(
    training: Event, recorded: list, users: dict, adversaries: dict, vanj_cwg: Any, vocab: dict
) -> None:
    before = state(training)
    body = {"participants": [{"person": p.pk} for p in members(vanj_cwg)]}
    cells = {"cells": [{"sex": "female", "age_band": "18-24", "role": "community", "count": 99}]}
    expected = {
        "other_admin": (404, 404, 404),  # (GET attendance, PUT, GET tally)
        Role.LIAISON: (404, 404, 404),
        Role.GROUP_MEMBER: (404, 404, 404),
        Role.DONOR: (404, 404, 404),  # events are not in a donor's scope (the summary is theirs)
        "other_partner": (403, 403, 200),  # sees the event in Vanj and its tally, not who came; changes nothing
    }
    for who, (read, write, read_tally) in expected.items():
        user = adversaries[who] if who in adversaries else users[who]
        client = bearer(user)
        response = client.get(attendance(training))
        assert response.status_code == read, who
        if read != 200:
            assert recorded[0].code not in response.content.decode()
            assert response.json()["code"] in {"not_found", "forbidden"}
        assert put(client, attendance(training), body).status_code == write, who
        assert client.get(tally(training)).status_code == read_tally, who
        assert put(client, tally(training), cells).status_code == write, who
    anonymous = Client()
    for address in (attendance(training), tally(training)):
        assert anonymous.get(address).status_code == 401
        assert put(anonymous, address, body).status_code == 401
    assert state(training) == before


def test_a_group_member_or_liaison_who_sees_the_event_gets_counts_but_no_names(
    training: Event, recorded: list, users: dict, vanj_cwg: Any
) -> None:
    # The member's account is linked to a member of the group the event is linked to: she sees the event.
    services.event_update(actor=users[Role.PARTNER], event=training, groups=[vanj_cwg])
    person = members(vanj_cwg)[0]
    type(person).objects.filter(pk=person.pk).update(account=users[Role.GROUP_MEMBER])
    client = bearer(users[Role.GROUP_MEMBER])
    response = client.get(attendance(training))
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the lead organisation and partners can see who took part."
    assert client.get(tally(training)).json()["total"] == 30


# --- Reading -------------------------------------------------------------------------------------------
def test_the_attendance_and_tally_as_the_partner_sees_them(
    training: Event, recorded: list, users: dict, orgs: dict
) -> None:
    client = bearer(users[Role.PARTNER])
    data = client.get(attendance(training)).json()
    assert data["event"] == training.pk and data["status"] == Status.HELD
    rows = {row["code"]: row for row in data["participants"]}
    assert set(rows) == {p.code for p in recorded}
    first = rows[recorded[0].code]
    assert first == {
        "person": recorded[0].pk,
        "code": recorded[0].code,
        "sex": recorded[0].sex,
        "age_band": recorded[0].age_band,
        "role": "cwg",
        "organisation": orgs["lap"].pk,
        "pre_score": 40,
        "post_score": 80,
    }
    assert data["counts"]["participants"] == 3 and data["counts"]["tallied"] == 30 and data["counts"]["total"] == 33
    cells = client.get(tally(training)).json()
    assert cells["total"] == 30
    assert {"sex": "female", "age_band": "18-24", "role": "community", "count": 12} in cells["cells"]


# --- Writing -------------------------------------------------------------------------------------------
def test_put_replaces_the_list(training: Event, recorded: list, users: dict, vanj_cwg: Any, vocab: dict) -> None:
    client = bearer(users[Role.PARTNER])
    everyone = members(vanj_cwg)
    body = {"participants": [{"person": p.pk, "role": "community"} for p in everyone[2:]]}
    response = put(client, attendance(training), body)
    assert response.status_code == 200, response.content
    assert {row["code"] for row in response.json()["participants"]} == {p.code for p in everyone[2:]}
    assert set(Attendance.objects.filter(event=training).values_list("role__code", flat=True)) == {"community"}
    response = put(
        client,
        tally(training),
        {"cells": [{"sex": "male", "age_band": "u18", "role": "community", "count": 4}]},
    )
    assert response.status_code == 200 and response.json()["total"] == 4
    assert Tally.objects.filter(event=training).count() == 1


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("twice", "attendance"),
        ("unknown_person", "attendance"),
        ("unknown_role", "participants"),
        ("unknown_org", "attendance"),
        ("other_programme", "attendance"),
    ],
)
def test_bad_lists_are_refused_with_nothing_saved(
    case: str,
    field: str,
    training: Event,
    recorded: list,
    users: dict,
    vanj_cwg: Any,
    adversaries: dict,
    place: Any,
) -> None:
    before = state(training)
    rows: list[dict[str, Any]] = [{"person": p.pk} for p in members(vanj_cwg)]
    if case == "twice":
        rows.append({"person": recorded[0].pk})
    elif case == "unknown_person":
        rows.append({"person": 987654321})
    elif case == "unknown_role":
        rows[0]["role"] = "astronaut"
    elif case == "unknown_org":
        rows[0]["organisation"] = 987654321
    else:
        rows.append({"person": factories.person(adversaries["other_programme"], place(VANJ)).pk})
    response = put(bearer(users[Role.PARTNER]), attendance(training), {"participants": rows})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]
    assert state(training) == before


@pytest.mark.parametrize(
    "cell",
    [
        {"sex": "female", "age_band": "18-24", "role": "community", "count": -1},
        {"sex": "alien", "age_band": "18-24", "role": "community", "count": 1},
        {"sex": "female", "age_band": "18-24", "role": "astronaut", "count": 1},
        {"sex": "female", "age_band": "18-24", "role": "community", "count": "2.5"},
    ],
)
def test_bad_tallies_are_refused_with_nothing_saved(cell: dict, training: Event, recorded: list, users: dict) -> None:
    before = state(training)
    response = put(bearer(users[Role.PARTNER]), tally(training), {"cells": [cell]})
    assert response.status_code == 422 and response.json()["errors"]
    assert state(training) == before


def test_the_same_cell_twice_is_refused(training: Event, recorded: list, users: dict) -> None:
    cell = {"sex": "female", "age_band": "18-24", "role": "community", "count": 1}
    response = put(bearer(users[Role.PARTNER]), tally(training), {"cells": [cell, cell]})
    assert response.status_code == 422 and "cells" in response.json()["errors"]


def test_no_attendance_for_a_future_event(programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any) -> None:
    future = make_event(
        programme, place(VANJ), vocab["kinds"]["training"], actor=users[Role.PARTNER], day=dt.date(2099, 5, 1)
    )
    client = bearer(users[Role.PARTNER])
    response = put(client, attendance(future), {"participants": [{"person": members(vanj_cwg)[0].pk}]})
    assert response.status_code == 422 and "event" in response.json()["errors"]
    response = put(client, tally(future), {"cells": []})
    assert response.status_code == 422
    assert not Attendance.objects.filter(event=future).exists()


# --- Bounded -------------------------------------------------------------------------------------------
def test_queries_do_not_grow_with_the_number_of_participants(
    training: Event,
    users: dict,
    vanj_cwg: Any,
    programme: Any,
    place: Any,
    orgs: dict,
    django_assert_max_num_queries: Any,
) -> None:
    people = members(vanj_cwg) + [factories.person(programme, place(VANJ), owner=orgs["lap"]) for _ in range(52)]
    client = bearer(users[Role.PARTNER])
    put(client, attendance(training), {"participants": [{"person": people[0].pk}]})  # marks the event held
    reads, writes = {}, {}
    for n in (10, 60):
        body = {"participants": [{"person": p.pk, "role": "cwg", "organisation": orgs["lap"].pk} for p in people[:n]]}
        Attendance.objects.filter(event=training).delete()
        with CaptureQueriesContext(connection) as queries:
            assert put(client, attendance(training), body).status_code == 200
        writes[n] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(attendance(training)).json()["participants"]) == n
        reads[n] = len(queries)
    assert writes[10] == writes[60] and reads[10] == reads[60], (writes, reads)
    with django_assert_max_num_queries(30):
        client.get(attendance(training))
