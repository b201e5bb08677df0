"""The people and working-group API: scoping, personal data, writes, balance, query counts.

Real database, state built through the services, requests through the Django test client with a
personal API token (``Authorization: Bearer``), as a script would send them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hamkori.accounts.models import User
from hamkori.accounts.services import api_token_create, role_assign, user_create
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import balance_policy_update, group_create, membership_add
from hamkori.people.models import Person, Sector
from hamkori.people.services import person_create, person_link_account
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"
THIS_YEAR = timezone.localdate().year


def bearer(user: User) -> Client:
    """A client that signs in with a personal API token (no session, so no CSRF)."""
    _token, secret = api_token_create(actor=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, body, content_type="application/json")


def sector(code: str) -> Sector:
    return Sector.objects.get(code=code)


@dataclass
class World:
    programme: Programme
    asti_partner: User
    vanj_lap: Person  # recorded by the LAP partner in Vanj
    vanj_lead: Person  # recorded by the lead organisation's admin in Vanj
    isfara_asti: Person  # recorded by the ASTI partner in Isfara
    isfara_lap: Person  # in Isfara, recorded on behalf of LAP

    @property
    def vanj(self) -> set[str]:
        return {self.vanj_lap.code, self.vanj_lead.code}


@pytest.fixture
def world(programme: Programme, users: dict[str, User], orgs: dict[str, Any], place: Any) -> World:
    asti_partner = user_create(actor=None, email="asti-partner@test.example")
    role_assign(
        actor=None,
        user=asti_partner,
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place(ISFARA)],
    )

    def make(actor: Any, where: str, sex: str, name: str, **extra: Any) -> Person:
        return person_create(
            actor=actor,
            programme=programme,
            sex=sex,
            place=place(where),
            birth_year=1985,
            sectors=[sector("elder")],
            languages=["tg"],
            personal=PersonalData(full_name=name, phone="+992 900 000 000"),
            **extra,
        )

    return World(
        programme=programme,
        asti_partner=asti_partner,
        vanj_lap=make(users[Role.PARTNER], VANJ, "female", "Gulnora Karimova"),
        vanj_lead=make(users[Role.ADMIN], VANJ, "male", "Rustam Nazarov"),
        isfara_asti=make(asti_partner, ISFARA, "female", "Zarina Saidova"),
        isfara_lap=make(users[Role.ADMIN], ISFARA, "male", "Farhod Rahimov", owner=orgs["lap"]),
    )


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["items"]}


# --- Reading people --------------------------------------------------------------------------------
def test_partner_lists_only_their_districts(world: World, users: dict[str, User]) -> None:
    client = bearer(users[Role.PARTNER])
    assert codes(client.get("/api/people/", {"programme": world.programme.code})) == world.vanj
    # Asking for the other district does not widen the scope.
    assert codes(client.get("/api/people/", {"programme": world.programme.code, "district": ISFARA})) == set()
    admin = bearer(users[Role.ADMIN])
    everyone = world.vanj | {world.isfara_asti.code, world.isfara_lap.code}
    assert codes(admin.get("/api/people/", {"programme": world.programme.code})) == everyone
    assert codes(admin.get("/api/people/", {"programme": world.programme.code, "district": ISFARA})) == {
        world.isfara_asti.code,
        world.isfara_lap.code,
    }
    assert codes(admin.get("/api/people/", {"programme": world.programme.code, "sex": "female"})) == {
        world.vanj_lap.code,
        world.isfara_asti.code,
    }


def test_list_is_paginated_and_leaves_out_nothing_it_should_not(world: World, users: dict[str, User]) -> None:
    response = bearer(users[Role.ADMIN]).get("/api/people/", {"programme": world.programme.code, "limit": 1})
    body = response.json()
    assert body["count"] == 4
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert "vault_key" not in item and "personal" not in item and "full_name" not in item


def test_partner_gets_404_for_a_person_out_of_their_districts(world: World, users: dict[str, User]) -> None:
    client = bearer(users[Role.PARTNER])
    assert client.get(f"/api/people/{world.isfara_asti.pk}").status_code == 404
    assert client.get(f"/api/people/{world.vanj_lap.pk}").status_code == 200
    assert AuditEvent.objects.filter(action="person.view.denied", object_id=str(world.isfara_asti.pk)).exists()


@pytest.mark.parametrize("role", [Role.DONOR, Role.LIAISON, Role.GROUP_MEMBER])
def test_roles_without_person_access_see_no_person_rows(world: World, users: dict[str, User], role: str) -> None:
    """Donors, liaisons and group members never see people: the list answers 403 with the reason
    (audited), and a single person answers 404."""
    client = bearer(users[role])
    response = client.get("/api/people/", {"programme": world.programme.code})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert "items" not in response.json()
    assert AuditEvent.objects.filter(action="person.view.denied", actor=users[role], outcome="denied").exists()
    assert client.get(f"/api/people/{world.vanj_lap.pk}").status_code == 404


def test_outsiders_and_anonymous_get_nothing(world: World, users: dict[str, User]) -> None:
    assert bearer(users["outsider"]).get("/api/people/", {"programme": world.programme.code}).status_code == 404
    assert Client().get("/api/people/", {"programme": world.programme.code}).status_code == 401
    assert Client().get(f"/api/people/{world.vanj_lap.pk}").status_code == 401


def test_personal_data_only_for_the_lead_and_the_recording_organisation(world: World, users: dict[str, User]) -> None:
    def personal(user: User, person: Person) -> Any:
        response = bearer(user).get(f"/api/people/{person.pk}")
        assert response.status_code == 200, response.content
        assert "vault_key" not in response.json()
        return response.json()["personal"]

    assert personal(users[Role.ADMIN], world.vanj_lap)["full_name"] == "Gulnora Karimova"
    assert personal(users[Role.STAFF], world.isfara_asti)["phone"] == "+992 900 000 000"
    assert personal(users[Role.PARTNER], world.vanj_lap)["full_name"] == "Gulnora Karimova"
    assert personal(world.asti_partner, world.isfara_asti)["full_name"] == "Zarina Saidova"
    # In scope, but recorded by another organisation: the profile without names and contacts.
    assert personal(users[Role.PARTNER], world.vanj_lead) is None
    assert personal(world.asti_partner, world.isfara_lap) is None
    # Each read of the vault is audited with its purpose.
    reads = AuditEvent.objects.filter(action="vault.read", actor=users[Role.PARTNER])
    assert [e.summary["purpose"] for e in reads] == ["api"]


def test_search_by_code_or_by_name_is_audited_without_the_query(world: World, users: dict[str, User]) -> None:
    admin = bearer(users[Role.ADMIN])
    prog = world.programme.code
    assert codes(admin.get("/api/people/", {"programme": prog, "q": world.isfara_lap.code})) == {world.isfara_lap.code}
    assert codes(admin.get("/api/people/", {"programme": prog, "q": "Rustam"})) == {world.vanj_lead.code}
    assert codes(admin.get("/api/people/", {"programme": prog, "q": "Рустам"})) == {world.vanj_lead.code}
    partner = bearer(users[Role.PARTNER])
    # A name only finds people whose names the searcher may see; the code still finds them.
    assert codes(partner.get("/api/people/", {"programme": prog, "q": "Rustam"})) == set()
    assert codes(partner.get("/api/people/", {"programme": prog, "q": "Gulnora"})) == {world.vanj_lap.code}
    assert codes(partner.get("/api/people/", {"programme": prog, "q": world.vanj_lead.code})) == {world.vanj_lead.code}
    events = AuditEvent.objects.filter(action="person.search")
    assert events.count() == 6
    for event in events:
        assert event.summary == {"programme": prog}
        assert "Rustam" not in str(event.summary) and "Gulnora" not in event.object_repr


def test_people_list_uses_the_same_number_of_queries_for_3_and_30_people(
    programme: Programme, users: dict[str, User], place: Any
) -> None:
    admin = users[Role.ADMIN]
    client = bearer(admin)

    def add(n: int) -> None:
        for i in range(n):
            person_create(
                actor=admin,
                programme=programme,
                sex="female" if i % 2 else "male",
                place=place(VANJ),
                age_band="25-35",
                sectors=[sector("elder"), sector("teacher")],
                languages=["tg", "ru"],
            )

    url = f"/api/people/?programme={programme.code}&limit=500"
    add(3)
    client.get(url)  # warm up: the token's first use records when it was used
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).json()["items"]) == 3
    add(27)
    with CaptureQueriesContext(connection) as thirty:
        assert len(client.get(url).json()["items"]) == 30
    assert len(three.captured_queries) == len(thirty.captured_queries)


# --- Writing people --------------------------------------------------------------------------------
def test_post_creates_a_person_and_audits_it(
    programme: Programme, users: dict[str, User], orgs: dict[str, Any]
) -> None:
    response = post(
        bearer(users[Role.PARTNER]),
        "/api/people/",
        {
            "programme": programme.code,
            "sex": "female",
            "place": VANJ,
            "birth_year": THIS_YEAR - 30,
            "sectors": ["teacher", "womens_group"],
            "languages": ["tg", "ru"],
            "personal": {"full_name": "Mavjuda Olimova", "phone": "+992 93 123 45 67"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert body["code"] == person.code
    assert body["age_band"] == "25-35"
    assert body["sectors"] == ["teacher", "womens_group"]
    assert body["personal"]["full_name"] == "Mavjuda Olimova"
    assert person.owner == orgs["lap"]  # partners record on behalf of their own organisation
    assert AuditEvent.objects.filter(
        action="person.create", object_id=str(person.pk), actor=users[Role.PARTNER]
    ).exists()


def test_post_with_an_impossible_birth_year_answers_422_and_creates_nothing(
    programme: Programme, users: dict[str, User]
) -> None:
    response = post(
        bearer(users[Role.ADMIN]),
        "/api/people/",
        {
            "programme": programme.code,
            "sex": "male",
            "place": VANJ,
            "birth_year": 1850,
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "1850" in errors["birth_year"][0]
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_post_refusals(programme: Programme, users: dict[str, User]) -> None:
    body = {"programme": programme.code, "sex": "male", "place": VANJ, "age_band": "25-35"}
    denied = post(bearer(users[Role.DONOR]), "/api/people/", body)
    assert denied.status_code == 403 and denied.json()["detail"]
    assert post(bearer(users["outsider"]), "/api/people/", body).status_code == 404
    # A partner of Vanj cannot record someone in Isfara.
    out_of_district = post(bearer(users[Role.PARTNER]), "/api/people/", {**body, "place": ISFARA})
    assert out_of_district.status_code == 422 and "place" in out_of_district.json()["errors"]
    unknown = post(bearer(users[Role.ADMIN]), "/api/people/", {**body, "sectors": ["no-such-sector"]})
    assert unknown.status_code == 422 and "sectors" in unknown.json()["errors"]
    assert not Person.objects.exists()


def test_unsafe_methods_with_a_session_need_csrf(programme: Programme, users: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.ADMIN])
    body = {"programme": programme.code, "sex": "male", "place": VANJ, "age_band": "25-35"}
    assert post(client, "/api/people/", body).status_code == 403
    assert not Person.objects.exists()
    assert client.get("/api/people/", {"programme": programme.code}).status_code == 200


def test_patch_changes_the_profile_and_ignores_forged_fields(
    world: World, users: dict[str, User], orgs: dict[str, Any]
) -> None:
    person = world.vanj_lap
    before = (person.programme_id, person.owner_id, person.code, person.vault_key)
    response = patch(
        bearer(users[Role.PARTNER]),
        f"/api/people/{person.pk}",
        {
            "sex": "male",
            "sectors": ["journalist"],
            "programme": "other-programme",
            "owner": orgs["asti"].pk,
            "code": "P-999999",
            "vault_key": "00000000-0000-0000-0000-000000000000",
            "id": 12345,
            "deidentified_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.programme_id, person.owner_id, person.code, person.vault_key) == before
    assert person.deidentified_at is None
    assert person.sex == "male"
    assert list(person.sectors.values_list("code", flat=True)) == ["journalist"]
    assert response.json()["code"] == before[2]
    event = AuditEvent.objects.get(action="person.update", object_id=str(person.pk))
    assert set(event.summary) == {"sex", "sectors"}


def test_patch_personal_data_only_when_allowed_and_all_or_nothing(world: World, users: dict[str, User]) -> None:
    partner = bearer(users[Role.PARTNER])
    # Recorded by the lead organisation: this partner may not see, so may not write, the name.
    refused = patch(partner, f"/api/people/{world.vanj_lead.pk}", {"personal": {"full_name": "Someone Else"}})
    assert refused.status_code == 403
    # Own record: name and profile change together ...
    ok = patch(
        partner, f"/api/people/{world.vanj_lap.pk}", {"personal": {"full_name": "Gulnora Karim"}, "languages": ["ru"]}
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["personal"] == {
        "full_name": "Gulnora Karim",
        "phone": "+992 900 000 000",
        "email": "",
        "address": "",
    }
    assert ok.json()["languages"] == ["ru"]
    # ... or neither, when one of them is invalid.
    bad = patch(partner, f"/api/people/{world.vanj_lap.pk}", {"personal": {"phone": "call me"}, "languages": ["uz"]})
    assert bad.status_code == 422 and "phone" in bad.json()["errors"]
    world.vanj_lap.refresh_from_db()
    assert world.vanj_lap.languages == ["ru"]
    # Out of scope stays 404, whatever the body.
    assert patch(partner, f"/api/people/{world.isfara_asti.pk}", {"sex": "male"}).status_code == 404
    # Not allowed to change people at all: 404 for those who cannot see them.
    assert patch(bearer(users[Role.DONOR]), f"/api/people/{world.vanj_lap.pk}", {"sex": "male"}).status_code == 404


# --- Working groups --------------------------------------------------------------------------------
@pytest.fixture
def groups(world: World, users: dict[str, User], place: Any) -> dict[str, WorkingGroup]:
    admin = users[Role.ADMIN]
    balance_policy_update(
        actor=None,
        programme=world.programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=3,
        required_sectors=[sector("elder"), sector("teacher"), sector("journalist")],
    )
    vanj = group_create(actor=admin, programme=world.programme, name="Vanj CWG", district=place(VANJ))
    isfara = group_create(actor=admin, programme=world.programme, name="Isfara CWG", district=place(ISFARA))
    today = timezone.localdate()
    young_man = person_create(
        actor=admin, programme=world.programme, sex="male", place=place(VANJ), birth_year=today.year - 22, sectors=[]
    )
    membership_add(
        actor=admin, group=vanj, person=world.vanj_lap, joined_on=today - dt.timedelta(days=30), role="chair"
    )
    membership_add(
        actor=admin,
        group=vanj,
        person=world.vanj_lead,
        joined_on=today - dt.timedelta(days=30),
        sector=sector("teacher"),
    )
    membership_add(actor=admin, group=vanj, person=young_man, joined_on=today - dt.timedelta(days=10))
    # Left last week: not counted today.
    membership_add(
        actor=admin,
        group=vanj,
        person=world.isfara_asti,
        joined_on=today - dt.timedelta(days=60),
        left_on=today - dt.timedelta(days=7),
        sector=sector("journalist"),
    )
    return {"vanj": vanj, "isfara": isfara}


def test_groups_list_includes_balances_that_match_a_hand_count(
    world: World, groups: dict[str, WorkingGroup], users: dict[str, User]
) -> None:
    response = bearer(users[Role.ADMIN]).get("/api/groups/", {"programme": world.programme.code})
    assert response.status_code == 200, response.content
    by_name = {g["name"]: g for g in response.json()}
    vanj = by_name["Vanj CWG"]["balance"]
    # Current members: Gulnora (woman, elder), Rustam (man, elder + teacher as his seat), the young
    # man (no sector). The journalist left last week.
    assert vanj["members"] == 3
    assert vanj["women"] == 1
    assert vanj["women_percent"] == 33
    assert vanj["young"] == 1
    assert vanj["missing_sectors"] == ["journalist"]
    assert vanj["meets_minimums"] is False
    assert by_name["Vanj CWG"]["district"] == VANJ
    isfara = by_name["Isfara CWG"]["balance"]
    assert (isfara["members"], isfara["women"], isfara["women_percent"]) == (0, 0, 0)
    assert sorted(isfara["missing_sectors"]) == ["elder", "journalist", "teacher"]
    # Partners see their own districts' groups only; donors see none.
    partner = bearer(users[Role.PARTNER]).get("/api/groups/", {"programme": world.programme.code}).json()
    assert [g["name"] for g in partner] == ["Vanj CWG"]
    assert bearer(users[Role.DONOR]).get("/api/groups/", {"programme": world.programme.code}).json() == []
    filtered = bearer(users[Role.ADMIN]).get("/api/groups/", {"programme": world.programme.code, "district": ISFARA})
    assert [g["name"] for g in filtered.json()] == ["Isfara CWG"]


def test_groups_list_uses_a_constant_number_of_queries(
    world: World, groups: dict[str, WorkingGroup], users: dict[str, User], place: Any
) -> None:
    admin = users[Role.ADMIN]
    client = bearer(admin)
    url = f"/api/groups/?programme={world.programme.code}"
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(url).json()) == 2
    for i in range(4):
        group = group_create(actor=admin, programme=world.programme, name=f"Group {i}", district=place(VANJ))
        membership_add(
            actor=admin, group=group, person=world.vanj_lap, joined_on=dt.date(2024, 1, 1), sector=sector("teacher")
        )
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(url).json()) == 6
    assert len(two.captured_queries) == len(six.captured_queries)


def test_group_detail_lists_memberships_by_code_only(
    world: World, groups: dict[str, WorkingGroup], users: dict[str, User]
) -> None:
    # The member account belongs to a member of the Vanj group (else it sees no group).
    person_link_account(actor=None, person=world.vanj_lead, account=users[Role.GROUP_MEMBER])
    response = bearer(users[Role.GROUP_MEMBER]).get(f"/api/groups/{groups['vanj'].pk}")
    assert response.status_code == 200, response.content
    memberships = response.json()["memberships"]
    assert len(memberships) == 4
    expected = {m.person.code for m in groups["vanj"].memberships.select_related("person")}
    assert world.vanj <= expected
    assert {m["person"] for m in memberships} == expected
    assert "Gulnora" not in response.content.decode()
    assert set(memberships[0]) == {"id", "person", "role", "sector", "joined_on", "left_on"}
    assert bearer(users[Role.PARTNER]).get(f"/api/groups/{groups['isfara'].pk}").status_code == 404


def test_create_group_and_change_its_status(world: World, users: dict[str, User], orgs: dict[str, Any]) -> None:
    partner = bearer(users[Role.PARTNER])
    response = post(
        partner,
        "/api/groups/",
        {"programme": world.programme.code, "name": "Vanj  youth council", "district": VANJ, "kind": "public_council"},
    )
    assert response.status_code == 201, response.content
    group = WorkingGroup.objects.get(pk=response.json()["id"])
    assert group.name == "Vanj youth council"
    assert group.owner == orgs["lap"]
    assert response.json()["balance"]["members"] == 0
    # Out of the partner's districts: a field error.
    elsewhere = post(partner, "/api/groups/", {"programme": world.programme.code, "name": "X", "district": ISFARA})
    assert elsewhere.status_code == 422 and "district" in elsewhere.json()["errors"]
    # Liaisons may not set up groups.
    refused = post(
        bearer(users[Role.LIAISON]), "/api/groups/", {"programme": world.programme.code, "name": "Y", "district": VANJ}
    )
    assert refused.status_code == 403
    # proposed → forming is fine; forming → suspended is not a step of the lifecycle.
    moved = post(partner, f"/api/groups/{group.pk}/status", {"to_status": "forming"})
    assert moved.status_code == 200 and moved.json()["status"] == "forming"
    wrong = post(partner, f"/api/groups/{group.pk}/status", {"to_status": "suspended"})
    assert wrong.status_code == 422 and "to_status" in wrong.json()["errors"]
    # Activating an empty group needs a justification ... that only programme staff may give.
    empty = post(partner, f"/api/groups/{group.pk}/status", {"to_status": "active"})
    assert empty.status_code == 422 and "justification" in empty.json()["errors"]
    justified = post(partner, f"/api/groups/{group.pk}/status", {"to_status": "active", "justification": "Pilot"})
    assert justified.status_code == 422
    staff = post(
        bearer(users[Role.STAFF]),
        f"/api/groups/{group.pk}/status",
        {"to_status": "active", "justification": "Pilot agreed with the district"},
    )
    assert staff.status_code == 200 and staff.json()["status"] == "active"
    group.refresh_from_db()
    assert group.status == "active"


def test_add_member(world: World, groups: dict[str, WorkingGroup], users: dict[str, User], place: Any) -> None:
    partner = bearer(users[Role.PARTNER])
    newcomer = person_create(
        actor=users[Role.PARTNER], programme=world.programme, sex="female", place=place(VANJ), age_band="36-50"
    )
    url = f"/api/groups/{groups['vanj'].pk}/members"
    before = Membership.objects.count()
    backwards = post(partner, url, {"person": newcomer.code, "joined_on": "2025-03-01", "left_on": "2025-02-01"})
    assert backwards.status_code == 422
    assert "left_on" in backwards.json()["errors"]
    assert Membership.objects.count() == before
    # A person this partner cannot see is unknown to them.
    hidden = post(partner, url, {"person": world.isfara_asti.code, "joined_on": "2025-03-01"})
    assert hidden.status_code == 422 and "person" in hidden.json()["errors"]
    added = post(
        partner, url, {"person": newcomer.code, "joined_on": "2025-03-01", "role": "secretary", "sector": "teacher"}
    )
    assert added.status_code == 201, added.content
    assert added.json() == {
        "id": added.json()["id"],
        "person": newcomer.code,
        "role": "secretary",
        "sector": "teacher",
        "joined_on": "2025-03-01",
        "left_on": None,
    }
    assert Membership.objects.count() == before + 1
    assert AuditEvent.objects.filter(action="membership.add", summary__person=newcomer.code).exists()
    # Group members see the group but may not change it.
    person_link_account(actor=None, person=world.vanj_lead, account=users[Role.GROUP_MEMBER])
    assert (
        post(bearer(users[Role.GROUP_MEMBER]), url, {"person": newcomer.code, "joined_on": "2025-04-01"}).status_code
        == 403
    )
    assert (
        post(
            partner, f"/api/groups/{groups['isfara'].pk}/members", {"person": newcomer.code, "joined_on": "2025-03-01"}
        ).status_code
        == 404
    )


# --- The schema --------------------------------------------------------------------------------------
def test_openapi_lists_the_new_paths(users: dict[str, User]) -> None:
    response = bearer(users[Role.DONOR]).get("/api/openapi.json")  # the schema is for signed-in users
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/people/"])
    assert {"get", "patch"} <= set(paths["/api/people/{person_id}"])
    assert {"get", "post"} <= set(paths["/api/groups/"])
    assert "get" in paths["/api/groups/{group_id}"]
    assert "post" in paths["/api/groups/{group_id}/members"]
    assert "post" in paths["/api/groups/{group_id}/status"]
    parameters = {p["name"] for p in paths["/api/people/"]["get"]["parameters"]}
    assert {"programme", "district", "sector", "sex", "group", "q", "limit", "offset"} <= parameters
    schemas = response.json()["components"]["schemas"]
    assert "vault_key" not in schemas["PersonDetailOut"]["properties"]
    assert "personal" in schemas["PersonDetailOut"]["properties"]
