"""The events API: scoped like the pages (another programme's admin, another partner organisation, a
liaison, a donor, an anonymous caller), the services' errors in the one format, times in the programme's
time zone, and a list whose query count does not grow."""

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
from hamkori.events.models import Event, Status
from tests.events.conftest import HELD_DAY, make_event

pytestmark = pytest.mark.django_db

API = "/api/events/"
VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"


def bearer(user: User | None) -> Client:
    if user is None:
        return Client()
    _token, secret = api_token_create(actor=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, body or {}, content_type="application/json")


def state(event: Event) -> tuple[Any, ...]:
    return (Event.objects.filter(pk=event.pk).values().get(), sorted(event.topics.values_list("pk", flat=True)))


def new_event(programme: Any, **more: Any) -> dict[str, Any]:
    body = {
        "programme": programme.code,
        "kind": "training",
        "title": "Омӯзиш",
        "starts_at": "2099-11-20T10:00:00",
        "ends_at": "2099-11-20T13:00:00",
        "place": VANJ,
        "topics": ["cycle"],
    }
    body.update(more)
    return body


def event_writes(event: Event) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("patch", f"{API}{event.pk}", {"title": "Changed"}),
        ("post", f"{API}{event.pk}/hold", {}),
        ("post", f"{API}{event.pk}/cancel", {"reason": "no"}),
    ]


# --- Adversaries ---------------------------------------------------------------------------------------
def test_outsiders_neither_read_nor_change(programme: Any, training: Event, users: dict, adversaries: dict) -> None:
    before = state(training)
    for who in (adversaries["other_admin"], users[Role.LIAISON], users[Role.DONOR], users["outsider"], None):
        client = bearer(who)
        assert client.get(f"{API}{training.pk}").status_code in (401, 403, 404), who
        for method, url, body in event_writes(training):
            assert send(client, method, url, body).status_code in (401, 403, 404), (who, url)
        listed = client.get(API, {"programme": programme.code})
        if listed.status_code == 200:
            assert training.pk not in [e["id"] for e in listed.json()], who
    assert bearer(adversaries["other_admin"]).get(f"{API}{training.pk}").status_code == 404
    assert bearer(None).get(f"{API}{training.pk}").status_code == 401
    assert state(training) == before


def test_a_partner_of_another_organisation_reads_but_cannot_change(
    programme: Any, training: Event, adversaries: dict
) -> None:
    client = bearer(adversaries["other_partner"])
    assert client.get(f"{API}{training.pk}").status_code == 200
    before = state(training)
    for method, url, body in event_writes(training):
        response = send(client, method, url, body)
        assert response.status_code == 403, url
        assert "organised this event" in response.json()["detail"]
    assert state(training) == before


def test_a_partner_cannot_record_outside_her_districts_nor_for_another_organisation(
    programme: Any, users: dict, vocab: dict, orgs: dict
) -> None:
    client = bearer(users[Role.PARTNER])
    response = send(client, "post", API, new_event(programme, place=ISFARA))
    assert response.status_code == 422 and "place" in response.json()["errors"]
    made = send(client, "post", API, new_event(programme, organiser=orgs["asti"].pk))
    assert made.status_code == 201
    assert made.json()["organiser"] == orgs["lap"].name  # a partner organises for her own organisation
    for role in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER):
        assert send(bearer(users[role]), "post", API, new_event(programme)).status_code == 403, role
    assert Event.objects.count() == 1


# --- Happy paths and bad input -------------------------------------------------------------------------
def test_record_change_hold_and_cancel(programme: Any, users: dict, vocab: dict, place: Any) -> None:
    client = bearer(users[Role.PARTNER])
    response = send(client, "post", API, new_event(programme))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["starts_at"].startswith("2099-11-20T10:00:00") and body["starts_at"].endswith("+05:00")
    assert body["topics"] == ["cycle"] and body["district"] == VANJ and body["test_max_score"] == 100
    event = Event.objects.get(pk=body["id"])
    assert event.starts_at == dt.datetime(2099, 11, 20, 5, 0, tzinfo=dt.UTC)
    patched = send(client, "patch", f"{API}{event.pk}", {"title": "Омӯзиш 2", "ends_at": "2099-11-20T14:00:00+05:00"})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["title"] == "Омӯзиш 2" and patched.json()["topics"] == ["cycle"]
    # Not started yet: it cannot be marked as held.
    early = send(client, "post", f"{API}{event.pk}/hold")
    assert early.status_code == 422 and "status" in early.json()["errors"]
    cancelled = send(client, "post", f"{API}{event.pk}/cancel", {"reason": "Барф"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == Status.CANCELLED
    held = make_event(programme, place(VANJ), vocab["kinds"]["cwg-meeting"], actor=users[Role.PARTNER])
    assert send(client, "post", f"{API}{held.pk}/hold").json()["status"] == Status.HELD


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2099-11-20T09:00:00"}, "ends_at"),
        ({"kind": "nonsense"}, "kind"),
        ({"place": "NOWHERE"}, "place"),
        ({"topics": ["nonsense"]}, "topics"),
        ({"facilitators": ["P-NOBODY"]}, "facilitators"),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_input_is_refused_in_the_one_format_and_saves_nothing(
    programme: Any, users: dict, vocab: dict, change: dict, field: str
) -> None:
    response = send(bearer(users[Role.PARTNER]), "post", API, new_event(programme, **change))
    assert response.status_code == 422
    body = response.json()
    assert set(body) >= {"code", "detail", "errors"} and field in body["errors"], body
    assert not Event.objects.exists()


def test_the_list_filters_and_keeps_a_constant_number_of_queries(
    programme: Any, place: Any, users: dict, vocab: dict
) -> None:
    client = bearer(users[Role.STAFF])

    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            kind = vocab["kinds"]["training" if i % 2 else "cwg-meeting"]
            where = place(VANJ if i % 3 else ISFARA)
            make_event(programme, where, kind, actor=users[Role.STAFF], day=HELD_DAY + dt.timedelta(days=i))

    def count(params: dict[str, Any]) -> int:
        client.get(API, {"programme": programme.code, **params})
        with CaptureQueriesContext(connection) as captured:
            response = client.get(API, {"programme": programme.code, **params})
        assert response.status_code == 200
        return len(captured)

    add(0, 3)
    few = count({})
    add(3, 27)
    assert count({}) == few
    rows = client.get(API, {"programme": programme.code, "district": ISFARA, "kind": "training"}).json()
    assert rows and all(r["district"] == ISFARA and r["kind"] == "training" for r in rows)
    window = client.get(API, {"programme": programme.code, "from": "2026-10-15", "to": "2026-10-16"}).json()
    assert len(window) == 2
    partner_rows = bearer(users[Role.PARTNER]).get(API, {"programme": programme.code}).json()
    assert partner_rows and all(r["district"] == VANJ for r in partner_rows)
    assert client.get(API, {"programme": programme.code, "limit": 501}).status_code == 422
    assert client.get(API, {"programme": programme.code, "status": "galactic"}).status_code == 422


def test_the_schemas_enums_are_the_models_choices() -> None:
    from hamkori.events.api import EventLanguageCode, EventLevel, EventStatus
    from hamkori.events.models import EventLanguage, Level

    for api_enum, choices in ((EventStatus, Status), (EventLevel, Level), (EventLanguageCode, EventLanguage)):
        assert [m.value for m in api_enum] == list(choices.values)
