"""The person picker (add a member by name, not code) and ending a membership with confirmation and undo."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Person
from hamkori.vault.services import PersonalData

pytestmark = pytest.mark.django_db


def person(programme: Any, place: Any, name: str, owner: Any, code: str = "TJ-GB-VANJ") -> Person:
    return people.person_create(
        actor=None,
        programme=programme,
        sex="female",
        place=place(code),
        birth_year=1990,
        sectors=[],
        personal=PersonalData(full_name=name),
        owner=owner,
    )


@pytest.fixture
def vanj_group(programme: Any, place: Any, orgs: dict) -> WorkingGroup:
    return groups.group_create(
        actor=None, programme=programme, name="ГКБ Ванҷ", district=place("TJ-GB-VANJ"), owner=orgs["lap"]
    )


@pytest.fixture
def zarina(programme: Any, place: Any, orgs: dict) -> Person:
    return person(programme, place, "Зарина Мирзоева", orgs["lap"])


def picker(client: Any, programme: Any, q: str, **more: Any) -> str:
    response = client.get(reverse("person_picker", args=[programme.code]), {"person_search": q, **more})
    assert response.status_code == 200
    return response.content.decode()


def test_partner_finds_a_person_by_name_and_gets_a_radio_with_the_code(
    users: dict, client_for: Any, programme: Any, zarina: Person
) -> None:
    html = picker(client_for(users[Role.PARTNER]), programme, "Зарина")
    assert "Зарина Мирзоева" in html
    assert f'type="radio" name="person" value="{zarina.code}"' in html
    assert AuditEvent.objects.filter(action="person.search", actor=users[Role.PARTNER]).count() == 1


def test_partner_of_another_organisation_sees_the_person_without_a_name(
    make_user: Any, client_for: Any, programme: Any, orgs: dict, place: Any, zarina: Person
) -> None:
    asti = make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )
    client = client_for(asti)
    assert zarina.code not in picker(client, programme, "Зарина")  # a name search never reveals another's name
    html = picker(client, programme, zarina.code)
    assert f'value="{zarina.code}"' in html and "Зарина" not in html and "Мирзоева" not in html


def test_another_programmes_person_never_appears(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict, zarina: Person
) -> None:
    from hamkori.programmes import services as programmes

    other = programmes.programme_create(
        actor=None,
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead_organisation=orgs["lead"],
        donors=[],
        budget=1,
        currency="USD",
        start_date=dt.date(2018, 1, 1),
        end_date=dt.date(2019, 1, 1),
    )
    programmes.programme_set_locations(actor=None, programme=other, places=[place("TJ-GB-VANJ")])
    stranger = person(other, place, "Зарина Мирзоева", orgs["lap"])
    html = picker(client_for(users[Role.STAFF]), programme, "Зарина")
    assert html.count('type="radio"') == 1 and zarina.code in html  # codes repeat across programmes
    refused = client_for(users[Role.STAFF]).get(
        reverse("person_picker", args=[other.code]), {"person_search": "Зарина"}
    )
    assert refused.status_code in (403, 404) and stranger.code.encode() not in refused.content


def test_current_members_are_left_out_and_queries_are_bounded(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict, zarina: Person, vanj_group: WorkingGroup
) -> None:
    client = client_for(users[Role.PARTNER])
    groups.membership_add(actor=None, group=vanj_group, person=zarina, joined_on=dt.date(2026, 1, 1))
    assert zarina.code not in picker(client, programme, "Зарина", except_group=vanj_group.pk)
    for i in range(2):
        person(programme, place, f"Зарина Саидова {i}", orgs["lap"])
    with CaptureQueriesContext(connection) as small:
        picker(client, programme, "Зарина", except_group=vanj_group.pk)
    for i in range(2, 14):
        person(programme, place, f"Зарина Саидова {i}", orgs["lap"])
    with CaptureQueriesContext(connection) as large:
        html = picker(client, programme, "Зарина", except_group=vanj_group.pk)
    assert html.count('type="radio"') == 10  # at most ten
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_no_script_search_renders_the_results_on_the_group_page(
    users: dict, client_for: Any, programme: Any, zarina: Person, vanj_group: WorkingGroup
) -> None:
    client = client_for(users[Role.PARTNER])
    url = reverse("group_detail", args=[programme.code, vanj_group.pk])
    html = client.get(url, {"person_search": "Зарина"}).content.decode()
    assert f'name="person" value="{zarina.code}"' in html and "Зарина Мирзоева" in html
    response = client.post(
        reverse("membership_add", args=[programme.code, vanj_group.pk]),
        {"person": zarina.code, "role": "member", "joined_on": "2026-01-05"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(group=vanj_group, person=zarina).joined_on == dt.date(2026, 1, 5)


def test_the_add_form_comes_before_the_member_list(
    users: dict, client_for: Any, programme: Any, vanj_group: WorkingGroup
) -> None:
    html = client_for(users[Role.PARTNER]).get(reverse("group_detail", args=[programme.code, vanj_group.pk])).content
    assert html.decode().index('id="add-member"') < html.decode().index('id="members"')


# --- Ending a membership ----------------------------------------------------------------------------


@pytest.fixture
def membership(vanj_group: WorkingGroup, zarina: Person) -> Membership:
    return groups.membership_add(actor=None, group=vanj_group, person=zarina, joined_on=dt.date(2026, 1, 1))


def end_url(m: Membership) -> str:
    return reverse("membership_end", args=[m.group.programme.code, m.group.pk, m.pk])


def test_get_shows_a_confirmation_with_the_name_and_the_end_needs_a_date(
    users: dict, client_for: Any, membership: Membership
) -> None:
    client = client_for(users[Role.PARTNER])
    page = client.get(end_url(membership))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Зарина Мирзоева" in html and "ГКБ Ванҷ" in html and 'name="left_on"' in html
    assert client.post(end_url(membership), {}).status_code == 422
    membership.refresh_from_db()
    assert membership.left_on is None
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert client.post(end_url(membership), {"left_on": future}).status_code == 422
    assert client.post(end_url(membership), {"left_on": "2025-12-31"}).status_code == 422  # before joining
    membership.refresh_from_db()
    assert membership.left_on is None


def test_a_chosen_past_date_is_stored_and_named_then_undo_reopens(
    users: dict, client_for: Any, membership: Membership
) -> None:
    client = client_for(users[Role.PARTNER])
    response = client.post(end_url(membership), {"left_on": "2026-03-15"}, follow=True)
    membership.refresh_from_db()
    assert membership.left_on == dt.date(2026, 3, 15)
    html = response.content.decode()
    assert f"Зарина Мирзоева ({membership.person.code})" in html and "ГКБ Ванҷ" in html
    undo = reverse("membership_reopen", args=[membership.group.programme.code, membership.group.pk, membership.pk])
    assert undo in html
    assert client.get(undo).status_code == 405
    client.post(undo)
    membership.refresh_from_db()
    assert membership.left_on is None
    assert AuditEvent.objects.filter(action="membership.reopen", actor=users[Role.PARTNER]).count() == 1


def test_undo_is_refused_after_the_window_or_when_it_would_overlap(
    users: dict, membership: Membership, zarina: Person
) -> None:
    from django.core.exceptions import ValidationError

    partner = users[Role.PARTNER]
    with pytest.raises(ValidationError):  # not ended
        groups.membership_reopen(actor=partner, membership=membership)
    groups.membership_end(actor=partner, membership=membership, left_on=dt.date(2026, 2, 1))
    groups.membership_add(actor=None, group=membership.group, person=zarina, joined_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError):  # a later membership would overlap
        groups.membership_reopen(actor=partner, membership=membership)


def test_undo_window_expires(users: dict, membership: Membership, monkeypatch: Any) -> None:
    from django.core.exceptions import ValidationError

    partner = users[Role.PARTNER]
    groups.membership_end(actor=partner, membership=membership, left_on=dt.date(2026, 2, 1))
    later = timezone.now() + groups.UNDO_WINDOW + dt.timedelta(minutes=1)
    monkeypatch.setattr(groups.timezone, "now", lambda: later)
    with pytest.raises(ValidationError):
        groups.membership_reopen(actor=partner, membership=membership)


def test_another_organisations_partner_may_not_end_or_undo(
    make_user: Any, client_for: Any, programme: Any, orgs: dict, place: Any, membership: Membership
) -> None:
    asti = make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )
    client = client_for(asti)
    assert client.get(end_url(membership)).status_code == 403
    assert client.post(end_url(membership), {"left_on": "2026-03-15"}).status_code == 403
    groups.membership_end(actor=None, membership=membership, left_on=dt.date(2026, 3, 15))
    undo = reverse("membership_reopen", args=[programme.code, membership.group.pk, membership.pk])
    assert client.post(undo).status_code == 403
    membership.refresh_from_db()
    assert membership.left_on == dt.date(2026, 3, 15)
