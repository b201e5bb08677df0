"""People and working groups: validation, duplicates, merging, consent, balance and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.balance import balance_of, history
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Consent, Person, Sector
from hamkori.vault.services import PersonalData, vault_get
from tests import factories

D = dt.date


@pytest.fixture
def sectors(db: Any) -> dict[str, Sector]:
    return {s.code: s for s in Sector.objects.all()}


@pytest.fixture
def policy(programme: Any, sectors: dict) -> None:
    groups.balance_policy_update(
        actor=None,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=3,
        required_sectors=[sectors["religious_leader"], sectors["teacher"]],
    )


@pytest.fixture
def vanj_group(programme: Any, place: Any, orgs: dict) -> WorkingGroup:
    return factories.group(programme, place("TJ-GB-VANJ"), "ГКБ Ванҷ", owner=orgs["lap"])


# --- People ---------------------------------------------------------------------------------------
def test_impossible_ages_and_unknown_places_are_refused(programme: Any, place: Any) -> None:
    before = Person.objects.count()
    with pytest.raises(ValidationError) as err:
        factories.person(programme, place("TJ-GB-VANJ"), birth_year=1850)
    assert "birth_year" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        factories.person(programme, place("TJ-GB-VANJ"), birth_year=timezone.localdate().year - 3)
    assert "birth_year" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        factories.person(programme, place("TJ-KT-HAMADONI"))  # not a location of this programme
    assert "place" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        people.person_create(actor=None, programme=programme, sex="x", place=place("TJ-GB-VANJ"), age_band="nonsense")
    assert {"sex", "age_band"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError):
        people.person_create(
            actor=None, programme=programme, sex="female", place=place("TJ-GB-VANJ"), birth_year=1990, age_band="65+"
        )
    assert Person.objects.count() == before


def test_partner_records_only_in_own_districts_and_for_own_organisation(
    users: dict, programme: Any, place: Any, orgs: dict
) -> None:
    partner = users[Role.PARTNER]
    with pytest.raises(ValidationError):
        factories.person(programme, place("TJ-SU-ISFARA"), actor=partner)
    p = factories.person(programme, place("TJ-GB-VANJ-ROVAND"), actor=partner, owner=orgs["asti"])  # forged owner
    assert p.owner == orgs["lap"]
    assert p.code.startswith("P-")


def test_duplicates_meet_across_cyrillic_and_latin(users: dict, programme: Any, place: Any, orgs: dict) -> None:
    original = factories.person(programme, place("TJ-GB-VANJ"), sex="male", name="Ҷамшед Раҳимов", owner=orgs["lap"])
    factories.person(programme, place("TJ-GB-VANJ"), sex="male", name="Фаррух Назаров", owner=orgs["lap"])
    for spelling in ["Jamshed Rakhimov", "Джамшед Рахимов", "ҷамшед раҳимов", "Jamshed Rahimov"]:
        found = people.person_find_duplicates(actor=users[Role.STAFF], programme=programme, full_name=spelling)
        assert [c.person for c in found] == [original], spelling
        assert found[0].score >= 80
    assert (
        people.person_find_duplicates(actor=users[Role.STAFF], programme=programme, full_name="Зарина Қодирова") == []
    )
    assert AuditEvent.objects.filter(action="vault.read", actor=users[Role.STAFF]).exists()


def test_merge_keeps_memberships_and_deidentifies_the_duplicate(
    programme: Any, place: Any, vanj_group: Any, orgs: dict
) -> None:
    keep = factories.person(programme, place("TJ-GB-VANJ"), sex="male", name="Ҷамшед Раҳимов", owner=orgs["lap"])
    drop = factories.person(programme, place("TJ-GB-VANJ"), sex="male", name="Джамшед Рахимов", owner=orgs["lap"])
    other = groups.group_create(
        actor=None, programme=programme, name="Partnership team", district=place("TJ-GB-VANJ"), kind="partnership_team"
    )
    groups.membership_add(actor=None, group=vanj_group, person=keep, joined_on=D(2018, 10, 1))
    groups.membership_add(actor=None, group=vanj_group, person=drop, joined_on=D(2018, 9, 1), left_on=D(2018, 12, 1))
    groups.membership_add(actor=None, group=other, person=drop, joined_on=D(2019, 1, 1))
    people.consent_record(
        actor=None, person=drop, purpose="photos", given_on=D(2018, 9, 1), method="written", language="tg"
    )
    people.person_merge(actor=None, keep=keep, drop=drop)
    assert set(Membership.objects.filter(person=keep).values_list("group__name", "joined_on")) == {
        ("ГКБ Ванҷ", D(2018, 9, 1)),
        ("Partnership team", D(2019, 1, 1)),
    }
    assert not Membership.objects.filter(person=drop).exists()
    assert keep.consents.filter(purpose="photos").exists()
    drop.refresh_from_db()
    assert drop.merged_into == keep and drop.deidentified_at is not None
    assert vault_get(actor=None, subject_key=drop.vault_key, purpose="test") is None
    assert AuditEvent.objects.filter(action="person.merge", object_id=str(keep.pk)).exists()
    with pytest.raises(ValidationError):
        people.person_merge(actor=None, keep=keep, drop=drop)


def test_withdrawing_consent_deidentifies_but_keeps_counts(
    programme: Any, place: Any, vanj_group: Any, policy: Any
) -> None:
    p = factories.person(programme, place("TJ-GB-VANJ"), name="Зарина Қодирова")
    groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2018, 10, 1))
    consent = people.consent_record(
        actor=None,
        person=p,
        purpose=Consent.Purpose.PARTICIPATION,
        given_on=D(2018, 10, 1),
        method="written",
        language="tg",
    )
    with pytest.raises(ValidationError):  # one live consent per purpose
        people.consent_record(
            actor=None, person=p, purpose="participation", given_on=D(2018, 10, 2), method="verbal", language="ru"
        )
    people.consent_withdraw(actor=None, consent=consent)
    p.refresh_from_db()
    assert p.deidentified_at is not None
    assert vault_get(actor=None, subject_key=p.vault_key, purpose="test") is None
    assert balance_of(vanj_group, D(2019, 1, 1)).women == 1
    with pytest.raises(ValidationError):
        people.person_set_personal_data(actor=None, person=p, data=PersonalData(full_name="Зарина"))


# --- Groups and balance -----------------------------------------------------------------------------
def test_membership_rules(programme: Any, place: Any, vanj_group: Any) -> None:
    p = factories.person(programme, place("TJ-GB-VANJ"))
    with pytest.raises(ValidationError) as err:
        groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2019, 1, 2), left_on=D(2019, 1, 1))
    assert "left_on" in err.value.message_dict
    groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2018, 10, 1), left_on=D(2019, 3, 1))
    with pytest.raises(ValidationError) as err:
        groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2019, 2, 1))
    assert "already a member" in str(err.value)
    groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2019, 3, 1))  # re-joining later is fine
    assert Membership.objects.filter(group=vanj_group, person=p).count() == 2


def test_balance_says_what_is_missing(programme: Any, place: Any, vanj_group: Any, sectors: dict, policy: Any) -> None:
    for i in range(15):
        p = factories.person(
            programme,
            place("TJ-GB-VANJ"),
            sex="female" if i < 2 else "male",
            sectors=[sectors["teacher"]] if i == 3 else [],
            birth_year=1960 if i else 1995,
        )
        groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2018, 10, 1))
    balance = balance_of(vanj_group, D(2019, 1, 1))
    assert (balance.members, balance.women, balance.young) == (15, 2, 1)
    issues = balance.issues()
    assert "women 2 of 15 (below 40%)" in issues
    assert "no religious leader" in issues
    assert not balance.meets_minimums
    assert balance_of(vanj_group, D(2018, 9, 1)).members == 0  # as of a date before anyone joined


def test_activation_below_minimums_needs_staff_justification(
    users: dict, programme: Any, place: Any, vanj_group: Any, sectors: dict, policy: Any
) -> None:
    for sex in ["male", "male", "female"]:
        groups.membership_add(
            actor=None,
            group=vanj_group,
            person=factories.person(programme, place("TJ-GB-VANJ"), sex=sex),
            joined_on=D(2018, 10, 1),
        )
    with pytest.raises(ValidationError):
        groups.group_transition(actor=users[Role.ADMIN], group=vanj_group, to_status="active")  # proposed → active: no
    groups.group_transition(actor=users[Role.PARTNER], group=vanj_group, to_status="forming")
    with pytest.raises(ValidationError) as err:
        groups.group_transition(actor=users[Role.PARTNER], group=vanj_group, to_status="active")
    assert "below the programme's minimums" in str(err.value)
    with pytest.raises(ValidationError):
        groups.group_transition(actor=users[Role.PARTNER], group=vanj_group, to_status="active", justification="please")
    groups.group_transition(
        actor=users[Role.STAFF], group=vanj_group, to_status="active", justification="Hukumat will nominate"
    )
    vanj_group.refresh_from_db()
    assert vanj_group.status == "active"
    assert vanj_group.status_changes.first().justification == "Hukumat will nominate"


def test_balanced_group_activates_without_justification(
    users: dict, programme: Any, place: Any, vanj_group: Any, sectors: dict, policy: Any
) -> None:
    roster = [("female", "religious_leader"), ("male", "teacher"), ("female", "civil_society"), ("male", "elder")]
    for sex, sector in roster:
        p = factories.person(programme, place("TJ-GB-VANJ"), sex=sex, sectors=[sectors[sector]])
        groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2018, 10, 1), sector=sectors[sector])
    groups.group_transition(actor=users[Role.PARTNER], group=vanj_group, to_status="forming")
    groups.group_transition(actor=users[Role.PARTNER], group=vanj_group, to_status="active")
    assert [b.members for _day, b in history(vanj_group, D(2019, 1, 1))] == [4, 4]


# --- Pages ------------------------------------------------------------------------------------------------
def test_partner_lists_only_own_districts_people(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict
) -> None:
    vanj = factories.person(programme, place("TJ-GB-VANJ"), name="Гулбаҳор Давлатмамадова", owner=orgs["lap"])
    isfara = factories.person(programme, place("TJ-SU-ISFARA"), name="Мадина Саидова", owner=orgs["asti"])
    html = client_for(users[Role.PARTNER]).get(reverse("person_list", args=[programme.code])).content.decode()
    assert vanj.code in html and "Гулбаҳор Давлатмамадова" in html
    assert isfara.code not in html and "Мадина" not in html
    response = client_for(users[Role.PARTNER]).get(reverse("person_detail", args=[programme.code, isfara.pk]))
    assert response.status_code == 404
    for role in [Role.DONOR, Role.LIAISON, Role.GROUP_MEMBER]:
        assert client_for(users[role]).get(reverse("person_list", args=[programme.code])).status_code == 403


def test_person_list_query_count_does_not_grow(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any, sectors: dict
) -> None:
    client = client_for(users[Role.STAFF])
    url = reverse("person_list", args=[programme.code])

    def add(n: int) -> None:
        for i in range(n):
            p = factories.person(
                programme,
                place("TJ-GB-VANJ"),
                name=f"Нигора Раҳимова {i}",
                sectors=[sectors["teacher"], sectors["elder"]],
            )
            groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2018, 10, 1))

    add(3)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(27)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count("<tr><td data-label=") == 30
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_group_list_query_count_does_not_grow(users: dict, client_for: Any, programme: Any, place: Any) -> None:
    client = client_for(users[Role.STAFF])
    url = reverse("group_list", args=[programme.code])

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            g = groups.group_create(actor=None, programme=programme, name=f"Group {i}", district=place("TJ-GB-VANJ"))
            groups.membership_add(
                actor=None, group=g, person=factories.person(programme, place("TJ-GB-VANJ")), joined_on=D(2018, 1, 1)
            )

    add(2, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(10, 2)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_create_page_offers_duplicates_before_saving(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict
) -> None:
    existing = factories.person(programme, place("TJ-GB-VANJ"), sex="male", name="Ҷамшед Раҳимов", owner=orgs["lap"])
    client = client_for(users[Role.PARTNER])
    data = {
        "full_name": "Jamshed Rakhimov",
        "sex": "male",
        "birth_year": "1985",
        "place": place("TJ-GB-VANJ").pk,
        "sensitivity": "internal",
        "participation_consent": "not_yet",
    }
    url = reverse("person_create", args=[programme.code])
    hint = client.get(reverse("person_duplicates", args=[programme.code]), {"full_name": "Jamshed Rakhimov"})
    assert existing.code in hint.content.decode()
    response = client.post(url, data)
    assert response.status_code == 200 and existing.code in response.content.decode()
    assert Person.objects.count() == 1
    response = client.post(url, {**data, "confirm_new": "on"})
    assert response.status_code == 302 and Person.objects.count() == 2


def test_inline_profile_edit_with_htmx(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict, sectors: dict
) -> None:
    p = factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"])
    client = client_for(users[Role.PARTNER])
    url = reverse("person_edit", args=[programme.code, p.pk])
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert "<form" in form.content.decode() and "<html" not in form.content.decode()
    saved = client.post(
        url,
        {
            "sex": "female",
            "birth_year": "1990",
            "place": place("TJ-GB-VANJ-ROVAND").pk,
            "sectors": [sectors["journalist"].pk],
            "sensitivity": "restricted",
        },
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "<html" not in saved.content.decode()
    p.refresh_from_db()
    assert p.place.code == "TJ-GB-VANJ-ROVAND" and p.sensitivity == "restricted"
    bad = client.post(
        url,
        {"sex": "female", "birth_year": "1700", "place": place("TJ-GB-VANJ").pk, "sensitivity": "internal"},
        HTTP_HX_REQUEST="true",
    )
    assert "errorlist" in bad.content.decode()
    p.refresh_from_db()
    assert p.birth_year == 1990


def test_group_page_shows_the_balance_panel(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any, sectors: dict, policy: Any
) -> None:
    members = [factories.person(programme, place("TJ-GB-VANJ"), sex="female" if i < 2 else "male") for i in range(5)]
    for member in members:
        groups.membership_add(actor=None, group=vanj_group, person=member, joined_on=D(2018, 10, 1))
    # The member account belongs to a member of this group (else it sees no group).
    people.person_link_account(actor=None, person=members[0], account=users[Role.GROUP_MEMBER])
    html = (
        client_for(users[Role.PARTNER])
        .get(reverse("group_detail", args=[programme.code, vanj_group.pk]))
        .content.decode()
    )
    assert "women 2 of 5" in html and "no religious leader" in html
    member_view = client_for(users[Role.GROUP_MEMBER]).get(
        reverse("group_detail", args=[programme.code, vanj_group.pk])
    )
    assert member_view.status_code == 200 and "person_detail" not in member_view.content.decode()


def test_donor_sees_protected_counts_only(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    for i in range(7):
        groups.membership_add(
            actor=None,
            group=vanj_group,
            person=factories.person(programme, place("TJ-GB-VANJ"), sex="female" if i < 2 else "male"),
            joined_on=D(2018, 10, 1),
        )
    html = (
        client_for(users[Role.DONOR])
        .get(reverse("programme_balance", args=[programme.code]) + "?on=2019-01-01")
        .content.decode()
    )
    assert "&lt;5" in html
    assert "P-0000" not in html
    assert client_for(users[Role.DONOR]).get(reverse("group_list", args=[programme.code])).status_code == 403


def test_name_search_finds_only_names_the_user_may_see(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict
) -> None:
    own = factories.person(programme, place("TJ-GB-VANJ"), name="Гулноза Саидова", owner=orgs["lap"])
    # in Vanj, recorded by ASTI
    other = factories.person(programme, place("TJ-GB-VANJ"), name="Гулноза Назарова", owner=orgs["asti"])
    url = reverse("person_list", args=[programme.code])
    partner = client_for(users[Role.PARTNER])
    html = partner.get(url, {"q": "Gulnoza"}).content.decode()
    assert own.code in html and other.code not in html
    assert other.code in partner.get(url, {"q": other.code}).content.decode()  # the code is not a secret
    staff_html = client_for(users[Role.STAFF]).get(url, {"q": "Гулноза"}).content.decode()
    assert own.code in staff_html and other.code in staff_html
    assert AuditEvent.objects.filter(action="person.search", actor=users[Role.PARTNER]).count() == 2


def test_a_large_group_lists_its_members_a_page_at_a_time(
    programme: Any, place: Any, vanj_group: WorkingGroup, users: dict, client_for: Any
) -> None:
    from tests import factories

    for _i in range(55):
        person_ = factories.person(programme, place("TJ-GB-VANJ"))
        groups.membership_add(actor=None, group=vanj_group, person=person_, joined_on=D(2019, 1, 2))
    client = client_for(users[Role.STAFF])
    url = reverse("group_detail", args=[programme.code, vanj_group.pk])
    first, second = client.get(url).content.decode(), client.get(url, {"page": 2}).content.decode()
    assert first.count('class="end-membership"') == 50 and second.count('class="end-membership"') == 5
    assert "page=2" in first
