"""Attendance, tallies and scores through the services: one save replaces the list; bad input saves nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, scores_save, tally_save
from hamkori.events.models import Attendance, Event, Status, Tally
from tests import factories
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def _members(group: Any) -> list[Any]:
    return [m.person for m in group.memberships.select_related("person")]


def test_sixty_people_are_saved_in_one_call_with_bounded_queries(
    training: Event,
    users: dict,
    vanj_cwg: Any,
    programme: Any,
    place: Any,
    orgs: dict,
    vocab: dict,
    django_assert_max_num_queries: Any,
) -> None:
    people = _members(vanj_cwg) + [
        factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"]) for _ in range(52)
    ]
    role = vocab["roles"]["community"]
    entries = [Entry(person=p.pk, role=role.pk, organisation=orgs["lap"].pk) for p in people]
    with django_assert_max_num_queries(30):
        saved = attendance_save(actor=users[Role.PARTNER], event=training, entries=entries)
    assert saved.added == 60
    assert Attendance.objects.filter(event=training).count() == 60
    training.refresh_from_db()
    assert training.status == Status.HELD
    row = Attendance.objects.get(event=training, person=people[0])
    assert (row.sex, row.age_band, row.district_id) == (people[0].sex, people[0].age_band, training.district_id)
    # Saving again with fewer removes the others; changing a role changes one row.
    other = vocab["roles"]["cwg"]
    saved = attendance_save(
        actor=users[Role.PARTNER],
        event=training,
        entries=[
            Entry(person=people[0].pk, role=other.pk),
            Entry(person=people[1].pk, role=role.pk, organisation=orgs["lap"].pk),
        ],
    )
    assert (saved.added, saved.changed, saved.removed) == (0, 1, 58)


@pytest.mark.parametrize("case", ["twice", "unknown", "other_programme", "other_district"])
def test_bad_attendance_saves_nothing(
    case: str, training: Event, users: dict, vanj_cwg: Any, adversaries: dict, place: Any, orgs: dict
) -> None:
    people = _members(vanj_cwg)
    entries = [Entry(person=p.pk) for p in people[:3]]
    if case == "twice":
        entries.append(Entry(person=people[0].pk))
    elif case == "unknown":
        entries.append(Entry(person=987654))
    elif case == "other_programme":
        entries.append(Entry(person=factories.person(adversaries["other_programme"], place("TJ-GB-VANJ")).pk))
    else:
        entries.append(Entry(person=factories.person(training.programme, place("TJ-SU-ISFARA"), owner=orgs["asti"]).pk))
    with pytest.raises(ValidationError) as caught:
        attendance_save(actor=users[Role.PARTNER], event=training, entries=entries)
    assert "attendance" in caught.value.message_dict
    assert not Attendance.objects.exists()
    training.refresh_from_db()
    assert training.status == Status.PLANNED


def test_no_attendance_for_a_cancelled_or_future_event(
    programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any
) -> None:
    future = make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["training"], actor=users[Role.PARTNER], day=dt.date(2099, 5, 1)
    )
    person = _members(vanj_cwg)[0]
    with pytest.raises(ValidationError, match="not taken place"):
        attendance_save(actor=users[Role.PARTNER], event=future, entries=[Entry(person=person.pk)])
    services.event_cancel(actor=users[Role.PARTNER], event=future, reason="Дорога закрыта")
    with pytest.raises(ValidationError, match="cancelled"):
        attendance_save(actor=users[Role.PARTNER], event=future, entries=[Entry(person=person.pk)])
    with pytest.raises(ValidationError):
        tally_save(
            actor=users[Role.PARTNER], event=future, cells={("female", "18-24", vocab["roles"]["community"].pk): 3}
        )
    assert not Attendance.objects.exists() and not Tally.objects.exists()


def test_others_cannot_record_attendance(training: Event, adversaries: dict, users: dict, vanj_cwg: Any) -> None:
    person = _members(vanj_cwg)[0]
    for user in (adversaries["other_partner"], adversaries["other_admin"], users[Role.LIAISON], users[Role.DONOR]):
        with pytest.raises(PermissionDenied):
            attendance_save(actor=user, event=training, entries=[Entry(person=person.pk)])
    assert not Attendance.objects.exists()


def test_tallies_replace_and_refuse_negative_numbers(training: Event, users: dict, vocab: dict) -> None:
    role = vocab["roles"]["community"].pk
    assert (
        tally_save(
            actor=users[Role.PARTNER],
            event=training,
            cells={("female", "18-24", role): "12", ("male", "25-35", role): 18},
        )
        == 30
    )
    with pytest.raises(ValidationError, match="negative"):
        tally_save(actor=users[Role.PARTNER], event=training, cells={("female", "18-24", role): -1})
    with pytest.raises(ValidationError, match="whole number"):
        tally_save(actor=users[Role.PARTNER], event=training, cells={("female", "18-24", role): "2.5"})
    with pytest.raises(ValidationError):
        tally_save(actor=users[Role.PARTNER], event=training, cells={("alien", "18-24", role): 1})
    assert sum(Tally.objects.filter(event=training).values_list("count", flat=True)) == 30


def test_scores(training: Event, users: dict, vanj_cwg: Any, dialogue: Event) -> None:
    people = _members(vanj_cwg)[:3]
    attendance_save(actor=users[Role.PARTNER], event=training, entries=[Entry(person=p.pk) for p in people])
    assert (
        scores_save(
            actor=users[Role.PARTNER], event=training, scores={people[0].pk: ("40", "80"), people[1].pk: (55, "")}
        )
        == 2
    )
    for bad in [
        {people[2].pk: ("", "70")},
        {people[2].pk: ("101", "")},
        {people[2].pk: ("-1", "")},
        {people[2].pk: ("abc", "")},
    ]:
        with pytest.raises(ValidationError):
            scores_save(actor=users[Role.PARTNER], event=training, scores=bad)
    outsider = _members(vanj_cwg)[5]
    with pytest.raises(ValidationError, match="took part"):
        scores_save(actor=users[Role.PARTNER], event=training, scores={outsider.pk: ("10", "20")})
    with pytest.raises(ValidationError, match="trainings only"):
        scores_save(actor=users[Role.STAFF], event=dialogue, scores={people[0].pk: ("10", "20")})
    assert list(
        Attendance.objects.filter(event=training, pre_score__isnull=False)
        .order_by("pre_score")
        .values_list("pre_score", "post_score")
    ) == [(40, 80), (55, None)]


def test_a_partners_save_keeps_the_participants_she_cannot_see(
    training: Event, users: dict, vanj_cwg: Any, programme: Any, place: Any, orgs: dict
) -> None:
    """Staff recorded someone from Isfara at LAP's Vanj training: LAP's partner does not see that person,
    and saving her list neither refuses it nor removes them."""
    members = _members(vanj_cwg)
    visitor = factories.person(programme, place("TJ-SU-ISFARA"), owner=orgs["asti"])
    attendance_save(
        actor=users[Role.STAFF], event=training, entries=[Entry(person=members[0].pk), Entry(person=visitor.pk)]
    )
    saved = attendance_save(actor=users[Role.PARTNER], event=training, entries=[Entry(person=members[1].pk)])
    assert (saved.added, saved.removed) == (1, 1)
    assert set(Attendance.objects.filter(event=training).values_list("person_id", flat=True)) == {
        members[1].pk,
        visitor.pk,
    }
