"""People is a leaf (ADR 0007, issue 12): what groups adds to people comes through registries;
composite writes are one service; the rules of a membership's dates have one definition."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import Membership, WorkingGroup, memberships_overlap
from hamkori.people import services as people
from hamkori.people.merging import merge_steps
from hamkori.people.models import Person
from hamkori.people.selectors import PEOPLE_FILTERS, person_columns, person_filters
from hamkori.programmes import services as programmes
from hamkori.programmes.models import Programme
from tests import factories

D = dt.date


@pytest.fixture
def vanj_group(programme: Any, place: Any, orgs: dict) -> WorkingGroup:
    return factories.group(programme, place("TJ-GB-VANJ"), "ГКБ Ванҷ", owner=orgs["lap"])


# --- Registries ---------------------------------------------------------------------------------


def test_groups_contribute_the_group_filter_column_and_merge_step() -> None:
    assert list(PEOPLE_FILTERS) == ["district", "sector", "sex", "consent", "group", "q"]
    assert "group" in PEOPLE_FILTERS and len(PEOPLE_FILTERS) == 6
    assert [f.key for f in person_filters()] == ["group"]
    assert [c.key for c in person_columns()] == ["groups"]
    assert groups.memberships_merge in merge_steps()


def test_people_list_shows_current_groups_and_filters_by_group(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    today = timezone.localdate()
    member, former, other = (factories.person(programme, place("TJ-GB-VANJ")) for _ in range(3))
    groups.membership_add(actor=None, group=vanj_group, person=member, joined_on=today - dt.timedelta(days=5))
    groups.membership_add(
        actor=None, group=vanj_group, person=former, joined_on=today - dt.timedelta(days=9), left_on=today
    )
    client = client_for(users[Role.ADMIN])
    url = reverse("person_list", args=[programme.code])
    page = client.get(url).content.decode()
    assert 'name="group"' in page and f'value="{vanj_group.pk}"' in page
    row = next(r for r in page.split("<tr>") if member.code in r)
    assert "ГКБ Ванҷ" in row
    assert "ГКБ Ванҷ" not in next(r for r in page.split("<tr>") if former.code in r)  # left today: not current
    filtered = client.get(url, {"group": vanj_group.pk}).content.decode()
    assert member.code in filtered and former.code not in filtered and other.code not in filtered


# --- Composite writes are one service -----------------------------------------------------------


def _refuse_every_membership(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(groups, "_overlapping", lambda *args, **kwargs: True)


def test_registering_into_a_group_is_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch, programme: Any, place: Any, vanj_group: Any
) -> None:
    _refuse_every_membership(monkeypatch)
    with pytest.raises(ValidationError):
        groups.person_register_into_group(
            actor=None,
            group=vanj_group,
            joined_on=timezone.localdate(),
            sex="female",
            place=place("TJ-GB-VANJ"),
            birth_year=1990,
        )
    assert not Person.objects.exists()


def test_a_refused_membership_leaves_no_person_behind_the_page(
    monkeypatch: pytest.MonkeyPatch, users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    """The "register a new person and add them to this group" form: when the membership is refused,
    the page shows why and nobody was recorded (the old view saved the person first)."""
    _refuse_every_membership(monkeypatch)
    client = client_for(users[Role.ADMIN])
    data = {"sex": "female", "birth_year": "1990", "place": place("TJ-GB-VANJ").pk, "sensitivity": "internal"}
    data["participation_consent"] = "not_yet"
    old_url = reverse("person_create", args=[programme.code]) + f"?group={vanj_group.pk}"
    response = client.post(old_url, {**data, "group": vanj_group.pk}, follow=True)
    assert response.status_code == 200
    assert "already a member of this group" in response.content.decode()
    assert not Person.objects.exists()
    assert not Membership.objects.exists()


def test_registering_into_a_group_from_its_page(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("group_person_create", args=[programme.code, vanj_group.pk])
    assert client.get(reverse("person_create", args=[programme.code]), {"group": vanj_group.pk}).url == url
    data = {"sex": "female", "birth_year": "1990", "place": place("TJ-GB-VANJ").pk, "sensitivity": "internal"}
    data["participation_consent"] = "not_yet"
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse("group_detail", args=[programme.code, vanj_group.pk])
    person = Person.objects.get()
    assert Membership.objects.current(timezone.localdate()).filter(group=vanj_group, person=person).exists()


def test_a_programme_and_its_locations_are_created_together(db: Any, orgs: dict, place: Any) -> None:
    vanj = place("TJ-GB-VANJ")
    with pytest.raises(ValidationError):
        programmes.programme_create_with_locations(
            actor=None,
            code="twice",
            title_en="Twice",
            lead_organisation=orgs["lead"],
            budget=1000,
            start_date=D(2020, 1, 1),
            end_date=D(2021, 1, 1),
            places=[vanj, vanj],  # a location listed twice is refused
        )
    assert not Programme.objects.filter(code="twice").exists()


# --- One definition of a membership's dates --------------------------------------------------------


def test_membership_intervals_are_half_open() -> None:
    """[joined_on, left_on): ending on day D and starting on day D do not overlap, they meet."""
    d = D(2020, 5, 1)
    assert not memberships_overlap(D(2020, 1, 1), d, d, None)
    assert not memberships_overlap(d, None, D(2020, 1, 1), d)
    assert memberships_overlap(D(2020, 1, 1), d, d, None, meeting=True)
    assert memberships_overlap(D(2020, 1, 1), d + dt.timedelta(days=1), d, None)
    assert memberships_overlap(D(2020, 1, 1), None, d, d + dt.timedelta(days=3))
    assert not memberships_overlap(d, d, d, None)  # a membership of no day overlaps nothing...
    assert memberships_overlap(d, d, d, None, meeting=True)  # ...but meets one that starts that day


def test_service_and_current_follow_the_same_boundaries(programme: Any, place: Any, vanj_group: Any) -> None:
    p = factories.person(programme, place("TJ-GB-VANJ"))
    d = D(2020, 5, 1)
    first = groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=D(2020, 1, 1), left_on=d)
    second = groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=d)  # re-joining on D is fine
    with pytest.raises(ValidationError):
        groups.membership_add(actor=None, group=vanj_group, person=p, joined_on=d - dt.timedelta(days=1))
    assert list(Membership.objects.current(d)) == [second]
    assert list(Membership.objects.current(d - dt.timedelta(days=1))) == [first]


def test_merging_joins_memberships_that_meet(programme: Any, place: Any, vanj_group: Any, orgs: dict) -> None:
    keep, drop = factories.person(programme, place("TJ-GB-VANJ")), factories.person(programme, place("TJ-GB-VANJ"))
    d = D(2020, 5, 1)
    groups.membership_add(actor=None, group=vanj_group, person=keep, joined_on=D(2020, 1, 1), left_on=d)
    groups.membership_add(actor=None, group=vanj_group, person=drop, joined_on=d, left_on=D(2020, 9, 1))
    people.person_merge(actor=None, keep=keep, drop=drop)
    assert list(Membership.objects.filter(person=keep).values_list("joined_on", "left_on")) == [
        (D(2020, 1, 1), D(2020, 9, 1))
    ]
