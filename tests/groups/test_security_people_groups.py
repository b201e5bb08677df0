"""Regression tests for the security review of people and working groups.

* Finding 2: a partner changes and erases only people their own organisation recorded.
* Finding 5: disclosure control is not beaten by differencing dates or by looking beyond one's scope.
* Finding 9: a working-group member sees their own group only.
* An impossible ``?on=`` date answers a page with a message, never a 500.

State is built through the services; every request goes through the Django test client.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hamkori.accounts.models import User
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Consent, Person, Sector
from hamkori.vault.models import VaultRecord
from hamkori.vault.services import PersonalData
from tests import factories

D = dt.date
VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"


def sector(code: str) -> Sector:
    return Sector.objects.get(code=code)


# --- Finding 2: partners change only their own organisation's people ------------------------------------
@pytest.fixture
def asti_partner(programme: Any, orgs: dict, place: Any, make_user: Any) -> User:
    """ASTI's facilitator, whose grant also covers Vanj: they see the people LAP records there."""
    return make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place(ISFARA), place(VANJ)],
    )


@pytest.fixture
def lap_person(programme: Any, place: Any, users: dict) -> Person:
    """A person LAP's partner recorded in Vanj, with a name in the vault and a live consent."""
    person = people.person_create(
        actor=users[Role.PARTNER],
        programme=programme,
        sex="female",
        place=place(VANJ),
        birth_year=1980,
        sectors=[sector("elder")],
        languages=["tg"],
        personal=PersonalData(full_name="Gulnora Karimova", phone="+992 900 000 001"),
    )
    people.consent_record(
        actor=users[Role.PARTNER],
        person=person,
        purpose=Consent.Purpose.PARTICIPATION,
        given_on=D(2019, 1, 10),
        method=Consent.Method.WRITTEN,
        language="tg",
    )
    return person


def _state(person: Person) -> tuple[Any, ...]:
    person = Person.objects.get(pk=person.pk)
    vault = VaultRecord.objects.filter(subject_key=person.vault_key).values_list("ciphertext", flat=True).first()
    consents = sorted(Consent.objects.filter(person=person).values_list("purpose", "given_on", "withdrawn_on"))
    return (
        person.sex,
        person.birth_year,
        person.place_id,
        person.sensitivity,
        person.deidentified_at,
        sorted(s.code for s in person.sectors.all()),
        vault,
        consents,
    )


def test_other_partner_cannot_change_person_through_page_htmx_or_api(
    programme: Any, place: Any, client_for: Any, asti_partner: User, lap_person: Person
) -> None:
    client = client_for(asti_partner)
    # The overlap is real: ASTI's partner sees the person LAP recorded.
    assert client.get(reverse("person_detail", args=[programme.code, lap_person.pk])).status_code == 200
    before = _state(lap_person)
    url = reverse("person_edit", args=[programme.code, lap_person.pk])
    change = {"sex": "male", "birth_year": "1950", "place": place(VANJ).pk, "sensitivity": "restricted"}

    assert client.get(url).status_code == 403
    page = client.post(url, change)
    assert page.status_code == 403
    htmx = client.post(url, change, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 403
    api = client.patch(
        f"/api/people/{lap_person.pk}",
        {"sex": "male", "sensitivity": "restricted", "sectors": []},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert "recorded" in api.json()["detail"]  # the registry's reason
    assert _state(lap_person) == before
    assert AuditEvent.objects.filter(actor=asti_partner, action="person.change.denied").count() >= 4
    assert not AuditEvent.objects.filter(actor=asti_partner, action="person.update").exists()


def test_other_partner_cannot_record_or_withdraw_consent_nor_erase_the_vault(
    programme: Any, client_for: Any, asti_partner: User, lap_person: Person
) -> None:
    client = client_for(asti_partner)
    before = _state(lap_person)
    assert before[6] is not None  # the vault record exists
    recorded = client.post(
        reverse("person_consent_add", args=[programme.code, lap_person.pk]),
        {"purpose": "contact", "given_on": "2019-02-01", "method": "verbal", "language": "tg"},
    )
    assert recorded.status_code == 403
    live = Consent.objects.get(person=lap_person, purpose=Consent.Purpose.PARTICIPATION)
    withdrawn = client.post(reverse("person_consent_withdraw", args=[programme.code, lap_person.pk, live.pk]))
    assert withdrawn.status_code == 403
    assert _state(lap_person) == before
    assert VaultRecord.objects.filter(subject_key=lap_person.vault_key).exists()
    assert Person.objects.get(pk=lap_person.pk).deidentified_at is None


def test_other_partner_is_not_offered_edit_controls_and_is_told_why(
    programme: Any, client_for: Any, asti_partner: User, lap_person: Person, users: dict
) -> None:
    html = client_for(asti_partner).get(reverse("person_detail", args=[programme.code, lap_person.pk])).content.decode()
    edit_url = reverse("person_edit", args=[programme.code, lap_person.pk])
    assert edit_url not in html
    assert reverse("person_consent_add", args=[programme.code, lap_person.pk]) not in html
    assert "/withdraw/" not in html
    assert "Only the lead organisation and the organisation that recorded this person" in html
    # The owner's partner and the lead organisation keep their controls.
    for user in (users[Role.PARTNER], users[Role.STAFF]):
        own = client_for(user).get(reverse("person_detail", args=[programme.code, lap_person.pk])).content.decode()
        assert edit_url in own and "/withdraw/" in own


def test_owner_partner_and_lead_still_change_the_person(
    programme: Any, place: Any, client_for: Any, lap_person: Person, users: dict
) -> None:
    url = reverse("person_edit", args=[programme.code, lap_person.pk])
    response = client_for(users[Role.PARTNER]).post(
        url, {"sex": "female", "birth_year": "1981", "place": place(VANJ).pk, "sensitivity": "internal"}
    )
    assert response.status_code == 302
    api = client_for(users[Role.STAFF]).patch(
        f"/api/people/{lap_person.pk}", {"birth_year": 1982}, content_type="application/json"
    )
    assert api.status_code == 200, api.content
    assert Person.objects.get(pk=lap_person.pk).birth_year == 1982


def test_other_partner_cannot_merge(programme: Any, client_for: Any, asti_partner: User, lap_person: Person) -> None:
    response = client_for(asti_partner).post(
        reverse("person_merge", args=[programme.code, lap_person.pk]), {"other": "P-000002", "confirm": "on"}
    )
    assert response.status_code == 403


def test_services_refuse_another_organisations_partner(asti_partner: User, lap_person: Person) -> None:
    from django.core.exceptions import PermissionDenied

    live = Consent.objects.get(person=lap_person, purpose=Consent.Purpose.PARTICIPATION)
    with pytest.raises(PermissionDenied):
        people.consent_withdraw(actor=asti_partner, consent=live)
    with pytest.raises(PermissionDenied):
        people.person_update(actor=asti_partner, person=lap_person, sex="male")
    assert VaultRecord.objects.filter(subject_key=lap_person.vault_key).exists()


# --- Finding 5: disclosure control against differencing and beyond scope -----------------------------
@pytest.fixture
def membership_world(programme: Any, place: Any, orgs: dict) -> dict[str, WorkingGroup]:
    """Vanj: 6 women and 6 men from October 2018, one more man on 2019-02-10, 2 ethnic minorities and
    1 labour migrant. Isfara: 3 women and 2 men."""
    vanj = groups.group_create(
        actor=None, programme=programme, name="Vanj CWG", district=place(VANJ), owner=orgs["lap"]
    )
    isfara = groups.group_create(
        actor=None, programme=programme, name="Isfara CWG", district=place(ISFARA), owner=orgs["asti"]
    )
    for i in range(12):
        extra = []
        if i in (0, 7):
            extra = [sector("ethnic_minority")]
        elif i == 3:
            extra = [sector("labour_migrant")]
        p = factories.person(programme, place(VANJ), sex="female" if i < 6 else "male", sectors=extra, birth_year=1980)
        groups.membership_add(actor=None, group=vanj, person=p, joined_on=D(2018, 10, 1))
    newcomer = factories.person(programme, place(VANJ), sex="male", birth_year=1980)
    groups.membership_add(actor=None, group=vanj, person=newcomer, joined_on=D(2019, 2, 10))
    for i in range(5):
        p = factories.person(programme, place(ISFARA), sex="female" if i < 3 else "male", birth_year=1980)
        groups.membership_add(actor=None, group=isfara, person=p, joined_on=D(2018, 10, 1))
    return {"vanj": vanj, "isfara": isfara}


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def _rows(table: str) -> dict[str, list[str]]:
    """Visible text of each row (the screen-reader explanation of a hidden cell left out)."""
    rows = {}
    table = re.sub(r'<span class="visually-hidden">.*?</span>', "", table, flags=re.S)
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_donor_cannot_difference_two_consecutive_days(
    programme: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    client = client_for(users[Role.DONOR])
    url = reverse("programme_balance", args=[programme.code])
    first = client.get(url, {"on": "2019-02-09"})
    second = client.get(url, {"on": "2019-02-10"})
    assert first.status_code == second.status_code == 200
    assert _table(first.content.decode(), "safe-balance") == _table(second.content.decode(), "safe-balance")
    # Both were answered as of the last reporting date before them (a quarter end).
    assert 'value="2018-12-31" selected' in second.content.decode()


def test_donor_is_offered_quarter_ends_only_and_leads_keep_any_date(
    programme: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    url = reverse("programme_balance", args=[programme.code])
    html = client_for(users[Role.DONOR]).get(url).content.decode()
    offered = set(re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html))
    assert offered == {
        "2018-06-30",
        "2018-09-30",
        "2018-12-31",
        "2019-03-31",
        "2019-06-30",
        "2019-09-30",
        "2019-12-31",
    }
    assert 'type="date"' not in html
    staff = client_for(users[Role.STAFF])
    before = _rows(_table(staff.get(url, {"on": "2019-02-09"}).content.decode(), "district-balance"))
    after = _rows(_table(staff.get(url, {"on": "2019-02-10"}).content.decode(), "district-balance"))
    assert before["Vanj"][0] == "12" and after["Vanj"][0] == "13"


def test_partner_programme_balance_shows_only_their_districts(
    programme: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    html = (
        client_for(users[Role.PARTNER])
        .get(reverse("programme_balance", args=[programme.code]), {"on": "2019-03-31"})
        .content.decode()
    )
    rows = _rows(_table(html, "district-balance"))
    assert "Isfara" not in html
    assert set(rows) - {"District", "Programme"} == {"Vanj"}
    assert rows["Programme"][0] == "13"  # the total is the partner's scope, not the programme's 18


def test_small_sensitive_counts_are_suppressed_for_donors(
    programme: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    html = (
        client_for(users[Role.DONOR])
        .get(reverse("programme_balance", args=[programme.code]), {"on": "2019-03-31"})
        .content.decode()
    )
    rows = _rows(_table(html, "safe-sensitive"))
    assert rows["Vanj"] == ["&lt;5", "&lt;5"]  # 2 ethnic minorities, 1 labour migrant
    assert rows["Isfara"] == ["0", "0"]
    assert "district-balance" not in html


def test_group_member_and_liaison_balance_stays_in_their_districts(
    programme: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    for role in (Role.GROUP_MEMBER, Role.LIAISON):
        html = client_for(users[role]).get(reverse("programme_balance", args=[programme.code])).content.decode()
        assert "Vanj" in html and "Isfara" not in html, role


def test_donor_export_is_as_of_a_reporting_date(
    programme: Any, place: Any, client_for: Any, users: dict, membership_world: Any
) -> None:
    """The donor's aggregate export counts members as of the last reporting date, not as of today,
    so exports on consecutive days cannot be differenced either."""
    from django.utils import timezone

    late = factories.person(programme, place(VANJ), sex="male", birth_year=1980)
    groups.membership_add(
        actor=None, group=membership_world["vanj"], person=late, joined_on=timezone.localdate() - dt.timedelta(days=1)
    )
    response = client_for(users[Role.DONOR]).get(reverse("groups_export", args=[programme.code, "csv"]))
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    vanj = next(line for line in lines if line.startswith("Vanj"))
    assert vanj.split(",")[-1] == "13"  # as of 2019-12-31, the programme's last quarter end (today: 14)


# --- Finding 9: a group member sees their own group ----------------------------------------------------
@pytest.fixture
def member_world(programme: Any, place: Any, users: dict, orgs: dict) -> dict[str, Any]:
    own = groups.group_create(actor=None, programme=programme, name="Own CWG", district=place(VANJ))
    other = groups.group_create(actor=None, programme=programme, name="Other council", district=place(VANJ))
    me = factories.person(programme, place(VANJ), sex="female", birth_year=1980)
    stranger = factories.person(
        programme, place(VANJ), sex="male", sectors=[sector("ethnic_minority")], birth_year=1980
    )
    groups.membership_add(actor=None, group=own, person=me, joined_on=D(2018, 10, 1))
    groups.membership_add(actor=None, group=other, person=stranger, joined_on=D(2018, 10, 1))
    return {"own": own, "other": other, "me": me, "stranger": stranger}


def _link_through_the_page(client: Client, programme: Any, person: Person, email: str) -> Any:
    return client.post(reverse("person_account", args=[programme.code, person.pk]), {"email": email})


def test_member_sees_own_group_only(programme: Any, client_for: Any, users: dict, member_world: dict) -> None:
    member = users[Role.GROUP_MEMBER]
    admin = client_for(users[Role.ADMIN])
    linked = _link_through_the_page(admin, programme, member_world["me"], member.email)
    assert linked.status_code == 302
    assert Person.objects.get(pk=member_world["me"].pk).account == member
    assert AuditEvent.objects.filter(action="person.link_account").exists()

    client = client_for(member)
    own, other = member_world["own"], member_world["other"]
    assert client.get(reverse("group_detail", args=[programme.code, own.pk])).status_code == 200
    refused = client.get(reverse("group_detail", args=[programme.code, other.pk]))
    assert refused.status_code == 404
    listing = client.get(reverse("group_list", args=[programme.code])).content.decode()
    assert "Own CWG" in listing and "Other council" not in listing
    assert member_world["stranger"].code not in listing


def test_member_sees_own_group_only_through_the_api(
    programme: Any, client_for: Any, users: dict, member_world: dict
) -> None:
    member = users[Role.GROUP_MEMBER]
    people.person_link_account(actor=users[Role.ADMIN], person=member_world["me"], account=member)
    client = client_for(member)
    listed = client.get("/api/groups/", {"programme": programme.code})
    assert listed.status_code == 200
    assert [g["name"] for g in listed.json()] == ["Own CWG"]
    assert client.get(f"/api/groups/{member_world['own'].pk}").status_code == 200
    assert client.get(f"/api/groups/{member_world['other'].pk}").status_code == 404


def test_unlinked_member_and_former_member_see_no_group(
    programme: Any, client_for: Any, users: dict, member_world: dict
) -> None:
    member = users[Role.GROUP_MEMBER]
    client = client_for(member)
    own = member_world["own"]
    assert client.get(reverse("group_detail", args=[programme.code, own.pk])).status_code == 404
    people.person_link_account(actor=users[Role.ADMIN], person=member_world["me"], account=member)
    assert client.get(reverse("group_detail", args=[programme.code, own.pk])).status_code == 200
    membership = own.memberships.get(person=member_world["me"])
    groups.membership_end(actor=None, membership=membership, left_on=D(2019, 1, 1))
    member = User.objects.get(pk=member.pk)  # fresh grants cache
    assert client_for(member).get(reverse("group_detail", args=[programme.code, own.pk])).status_code == 404


def test_only_leads_link_accounts(programme: Any, client_for: Any, users: dict, member_world: dict, orgs: dict) -> None:
    me = member_world["me"]
    refused = _link_through_the_page(client_for(users[Role.PARTNER]), programme, me, users[Role.GROUP_MEMBER].email)
    assert refused.status_code == 403
    assert Person.objects.get(pk=me.pk).account is None
    # The lead's page offers the control; a partner's does not.
    url = reverse("person_account", args=[programme.code, me.pk])
    assert (
        url
        in client_for(users[Role.ADMIN]).get(reverse("person_detail", args=[programme.code, me.pk])).content.decode()
    )
    partner_html = client_for(users[Role.PARTNER]).get(reverse("person_detail", args=[programme.code, me.pk]))
    assert url not in partner_html.content.decode()
    # Only an account holding the group-member role in this programme can be linked.
    wrong = _link_through_the_page(client_for(users[Role.ADMIN]), programme, me, users[Role.DONOR].email)
    assert wrong.status_code == 422
    assert Person.objects.get(pk=me.pk).account is None


def test_withdrawing_consent_unlinks_the_account(programme: Any, users: dict, member_world: dict) -> None:
    me = member_world["me"]
    people.person_link_account(actor=users[Role.ADMIN], person=me, account=users[Role.GROUP_MEMBER])
    consent = people.consent_record(
        actor=None, person=me, purpose="participation", given_on=D(2019, 1, 1), method="verbal", language="tg"
    )
    people.consent_withdraw(actor=None, consent=consent)
    assert Person.objects.get(pk=me.pk).account is None


# --- An impossible date answers a page, not a 500 ---------------------------------------------------------
@pytest.mark.parametrize("name", ["group_list", "programme_balance", "group_detail"])
def test_impossible_date_answers_a_page_with_a_message(
    name: str, programme: Any, client_for: Any, users: dict, place: Any
) -> None:
    group = groups.group_create(actor=None, programme=programme, name="Vanj CWG", district=place(VANJ))
    args = [programme.code, group.pk] if name == "group_detail" else [programme.code]
    response = client_for(users[Role.STAFF]).get(reverse(name, args=args), {"on": "2019-02-30"})
    assert response.status_code == 200
    assert "is not a valid date" in response.content.decode()
