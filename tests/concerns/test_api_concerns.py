"""The concerns API: scoped like the pages (another programme, another partner, a liaison, a donor,
an anonymous caller), restricted notes and the reporter only for those who may see them, the
services' errors in the one format, and a list whose query count does not grow.

The liaison's referral is made through its service (``concerns.actions.referral_create``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hamkori.accounts.models import User
from hamkori.accounts.services import api_token_create
from hamkori.concerns import services
from hamkori.concerns.actions import referral_create
from hamkori.concerns.models import Concern, ConcernEvent, Status
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.vault.services import PersonalData, vault_put
from tests import factories

from .conftest import make_concern

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"
NOTE_NAME = "Нигина Саидова"  # in restricted notes
REPORTER = "Бахтиёр Қодиров"  # in the vault
API = "/api/concerns/"


def bearer(user: User) -> Client:
    _token, secret = api_token_create(actor=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def world(programme: Any, place: Any, users: dict, vocabulary: dict, orgs: dict, make_user: Any) -> dict[str, Any]:
    partner = users[Role.PARTNER]
    drivers = vocabulary["drivers"]
    lap = make_concern(
        programme,
        place(VANJ),
        actor=partner,
        description="Роҳ ба мактаб торик аст <b>шабона</b>",
        drivers=[drivers["opportunities"]],
        restricted_notes=f"{NOTE_NAME} гуфт",
    )
    key = uuid.uuid4()
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name=REPORTER, phone="+992 900 11 22 33"))
    Concern.objects.filter(pk=lap.pk).update(reporter_key=key)
    services.concern_note(actor=users[Role.STAFF], concern=lap, text=f"{NOTE_NAME} ба мо занг зад", restricted=True)
    services.concern_note(actor=users[Role.STAFF], concern=lap, text="Бо ҷамоат сӯҳбат шуд")
    other_vanj = make_concern(programme, place(VANJ), actor=partner, drivers=[drivers["recruitment"]])
    isfara = make_concern(programme, place(ISFARA), drivers=[drivers["police_mistrust"]])
    # The police liaison gets only what was referred to the police (a triaged concern can be referred).
    services.concern_triage(
        actor=users[Role.STAFF], concern=lap, drivers=[drivers["opportunities"]], sensitivity="internal"
    )
    referral_create(
        actor=users[Role.STAFF],
        concern=lap,
        organisation=orgs["police"],
        message="Чароғҳо",
        respond_by=timezone.localdate() + dt.timedelta(days=14),
    )
    asti_in_vanj = make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place(VANJ)],
    )
    return {"lap": lap, "other_vanj": other_vanj, "isfara": isfara, "asti_in_vanj": asti_in_vanj}


@pytest.fixture
def programme_b(orgs: dict, place: Any, make_user: Any) -> dict[str, Any]:
    prog = factories.programme(
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
        partners=[(orgs["lap"], [place(VANJ)])],
    )
    return {
        "programme": prog,
        "admin": make_user("b-admin@test.example", programme=prog, role=Role.ADMIN, organisation=orgs["lead"]),
        "partner": make_user(
            "b-partner@test.example", programme=prog, role=Role.PARTNER, organisation=orgs["lap"], places=[place(VANJ)]
        ),
    }


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {c["id"] for c in response.json()}


# --- adversaries first -------------------------------------------------------------------------------
def test_anonymous_gets_401_in_the_one_format(programme: Any, world: dict) -> None:
    client = Client()
    for response in (
        client.get(API, {"programme": programme.code}),
        client.get(f"{API}{world['lap'].pk}"),
        post(client, f"{API}{world['lap'].pk}/move", {"to_status": "declined", "reason": "x"}),
    ):
        assert response.status_code == 401
        assert set(response.json()) == {"code", "detail", "errors"}
        assert response.json()["code"] == "not_authenticated"


def test_another_programmes_users_see_nothing_and_get_404(programme: Any, world: dict, programme_b: dict) -> None:
    for who in ("admin", "partner"):
        client = bearer(programme_b[who])
        assert client.get(API, {"programme": programme.code}).status_code == 404
        assert ids(client.get(API, {"programme": "other-prog"})) == set()
        for concern in (world["lap"], world["isfara"]):
            response = client.get(f"{API}{concern.pk}")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
            assert post(client, f"{API}{concern.pk}/move", {"to_status": "declined", "reason": "x"}).status_code == 404
    world["lap"].refresh_from_db()
    assert world["lap"].status == Status.TRIAGED


def test_liaison_sees_only_what_was_referred_and_nothing_restricted(users: dict, programme: Any, world: dict) -> None:
    client = bearer(users[Role.LIAISON])
    assert ids(client.get(API, {"programme": programme.code})) == {world["lap"].pk}
    assert client.get(f"{API}{world['other_vanj'].pk}").status_code == 404
    body = client.get(f"{API}{world['lap'].pk}").json()
    assert body["restricted_notes"] is None and body["reporter"] is None
    assert NOTE_NAME not in str(body) and REPORTER not in str(body)
    assert all(not event["restricted"] for event in body["timeline"])
    assert "Бо ҷамоат сӯҳбат шуд" in {e["text"] for e in body["timeline"]}
    response = post(client, f"{API}{world['lap'].pk}/triage", {"drivers": ["opportunities"], "sensitivity": "internal"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_another_partner_reads_but_may_not_write(users: dict, programme: Any, world: dict) -> None:
    client = bearer(world["asti_in_vanj"])
    body = client.get(f"{API}{world['lap'].pk}").json()
    assert body["restricted_notes"] is None and body["reporter"] is None, "not her organisation's concern"
    for url, payload in (
        (f"{API}{world['lap'].pk}/triage", {"drivers": ["opportunities"], "sensitivity": "internal"}),
        (f"{API}{world['lap'].pk}/move", {"to_status": "declined", "reason": "spam"}),
    ):
        response = post(client, url, payload)
        assert response.status_code == 403, response.content
        assert "Only the lead organisation and the organisation that recorded this concern" in response.json()["detail"]
    world["lap"].refresh_from_db()
    assert world["lap"].status == Status.TRIAGED
    assert AuditEvent.objects.filter(actor=world["asti_in_vanj"], outcome="denied").count() >= 2


def test_donor_and_member_get_no_rows(users: dict, programme: Any, world: dict) -> None:
    for role in (Role.DONOR, Role.GROUP_MEMBER):
        client = bearer(users[role])
        response = client.get(API, {"programme": programme.code})
        assert response.status_code == 403 if role == Role.DONOR else ids(response) == set()
        assert client.get(f"{API}{world['lap'].pk}").status_code == 404
    assert bearer(users[Role.DONOR]).get(API, {"programme": programme.code}).json()["code"] == "forbidden"


def test_partner_sees_her_districts_only(users: dict, programme: Any, world: dict) -> None:
    client = bearer(users[Role.PARTNER])
    assert ids(client.get(API, {"programme": programme.code})) == {world["lap"].pk, world["other_vanj"].pk}
    assert client.get(f"{API}{world['isfara'].pk}").status_code == 404


# --- what a concern shows --------------------------------------------------------------------------
def test_restricted_notes_and_reporter_only_for_lead_and_owner(users: dict, programme: Any, world: dict) -> None:
    for role in (Role.STAFF, Role.PARTNER):
        body = bearer(users[role]).get(f"{API}{world['lap'].pk}").json()
        assert NOTE_NAME in body["restricted_notes"]
        assert body["reporter"]["full_name"] == REPORTER
        assert any(e["restricted"] for e in body["timeline"])
    reads = [e for e in AuditEvent.objects.filter(action="vault.read") if "reporter" in e.summary["purpose"]]
    assert len(reads) == 2, "every read of the reporter's details is audited"


def test_text_comes_back_as_written_in_json(users: dict, programme: Any, world: dict) -> None:
    response = bearer(users[Role.STAFF]).get(f"{API}{world['lap'].pk}")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["description"] == "Роҳ ба мактаб торик аст <b>шабона</b>"


def test_filters_by_district_status_and_driver(users: dict, programme: Any, world: dict) -> None:
    client = bearer(users[Role.STAFF])
    code = programme.code
    assert ids(client.get(API, {"programme": code, "district": ISFARA})) == {world["isfara"].pk}
    assert ids(client.get(API, {"programme": code, "district": "TJ-GB"})) == {world["lap"].pk, world["other_vanj"].pk}
    assert ids(client.get(API, {"programme": code, "district": "NOWHERE"})) == set()
    assert ids(client.get(API, {"programme": code, "driver": "recruitment"})) == {world["other_vanj"].pk}
    assert ids(client.get(API, {"programme": code, "status": "triaged"})) == {world["lap"].pk}
    assert ids(client.get(API, {"programme": code, "status": "resolved"})) == set()
    assert client.get(API, {"programme": code, "status": "bogus"}).status_code == 422
    assert client.get(API, {"programme": code, "offset": 2**31}).status_code == 422
    page = client.get(API, {"programme": code, "limit": 1, "offset": 1}).json()
    assert len(page) == 1


def test_list_query_count_does_not_grow(users: dict, programme: Any, place: Any, world: dict, vocabulary: dict) -> None:
    client = bearer(users[Role.STAFF])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(API, {"programme": programme.code}).status_code == 200
        return len(ctx.captured_queries)

    count()  # the token's first use is recorded once
    few = count()
    for _ in range(20):
        make_concern(programme, place(VANJ), drivers=list(vocabulary["drivers"].values()))
    assert count() == few


# --- writes -----------------------------------------------------------------------------------------
def test_create_triage_and_move(users: dict, programme: Any, world: dict, vanj_group: Any) -> None:
    client = bearer(users[Role.PARTNER])
    response = post(
        client,
        API,
        {
            "programme": programme.code,
            "description": "Ҷавонон кор надоранд",
            "district": VANJ,
            "place": "TJ-GB-VANJ-ROVAND",
            "drivers": ["opportunities"],
            "affected_groups": ["youth"],
            "source": "group_meeting",
            "group": vanj_group.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reported" and body["recorded_by"] == "Lawyers Association of Pamir"
    assert body["place"] == "TJ-GB-VANJ-ROVAND" and body["affected_groups"] == ["youth"]
    pk = body["id"]
    response = post(
        client, f"{API}{pk}/triage", {"drivers": ["opportunities", "police_mistrust"], "sensitivity": "restricted"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "triaged" and response.json()["sensitivity"] == "restricted"
    response = post(client, f"{API}{pk}/move", {"to_status": "not_actionable", "reason": "Берун аз доираи кор"})
    assert response.status_code == 200 and response.json()["status"] == "not_actionable"
    assert ConcernEvent.objects.filter(concern_id=pk, kind="status").count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 100_000}, "description"),
        ({"district": "TJ-KT-HAMADONI"}, "district"),
        ({"district": "NOWHERE"}, "district"),
        ({"drivers": ["no-such-driver"]}, "drivers"),
        ({"group": 999999}, "group"),
        ({"evidence_links": ["javascript:alert(1)"]}, "evidence_links"),
        ({"sensitivity": "secret"}, "sensitivity"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    users: dict, programme: Any, world: dict, change: dict, field: str
) -> None:
    before = Concern.objects.count()
    body = {"programme": programme.code, "description": "Кор нест", "district": VANJ, **change}
    response = post(bearer(users[Role.STAFF]), API, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert Concern.objects.count() == before


def test_illegal_moves_answer_422_with_the_reason(users: dict, programme: Any, world: dict) -> None:
    client = bearer(users[Role.STAFF])
    url = f"{API}{world['lap'].pk}/move"
    response = post(client, url, {"to_status": "resolved"})
    assert response.status_code == 422 and "cannot become" in response.json()["errors"]["to_status"][0]
    response = post(client, url, {"to_status": "declined"})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = post(client, url, {"to_status": "merged"})
    assert response.status_code == 422 and "to_status" in response.json()["errors"]
    response = post(client, f"{API}{world['lap'].pk}/triage", {"drivers": [], "sensitivity": "internal"})
    assert response.status_code == 422 and "drivers" in response.json()["errors"]
    world["lap"].refresh_from_db()
    assert world["lap"].status == Status.TRIAGED


def test_a_partner_cannot_record_outside_her_districts(users: dict, programme: Any, world: dict) -> None:
    response = post(
        bearer(users[Role.PARTNER]), API, {"programme": programme.code, "description": "Кор нест", "district": ISFARA}
    )
    assert response.status_code == 422 and "district" in response.json()["errors"]
    for role in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER):
        response = post(bearer(users[role]), API, {"programme": programme.code, "description": "x", "district": VANJ})
        assert response.status_code == 403, role


def test_the_schemas_enums_are_the_models_choices() -> None:
    from hamkori.concerns.api import ConcernLanguage, ConcernSource, ConcernStatus
    from hamkori.concerns.models import Source, TextLanguage

    for api_enum, choices in ((ConcernStatus, Status), (ConcernSource, Source), (ConcernLanguage, TextLanguage)):
        assert [m.value for m in api_enum] == list(choices.values)
