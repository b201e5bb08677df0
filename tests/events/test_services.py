"""Events themselves: creating, editing, holding, cancelling, and who may see or change them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hamkori.access.policy import decide
from hamkori.concerns.models import Action
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.models import Event, Status
from tests.events.conftest import HELD_DAY, make_event, when

pytestmark = pytest.mark.django_db


def test_an_event_is_stored_in_utc_and_knows_its_district(programme: Any, place: Any, users: dict, vocab: dict) -> None:
    jamoat = place("TJ-GB-VANJ").children.first() or place("TJ-GB-VANJ")
    event = make_event(programme, jamoat, vocab["kinds"]["cwg-meeting"], actor=users[Role.PARTNER])
    assert event.district == place("TJ-GB-VANJ")
    # 10:00 in Dushanbe is 05:00 UTC.
    assert event.starts_at.astimezone(dt.UTC).hour == 5
    assert event.organiser.short_name or event.organiser.name_en == "Lawyers Association of Pamir"
    assert AuditEvent.objects.filter(action="event.create", object_id=str(event.pk)).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "before"}, "ends_at"),
        ({"title": "   "}, "title"),
        ({"place": "isfara"}, "place"),
        ({"kind": None}, "kind"),
        ({"level": "galactic"}, "level"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    programme: Any, place: Any, users: dict, vocab: dict, change: dict, field: str
) -> None:
    values: dict[str, Any] = {"kind": vocab["kinds"]["training"], "title": "Омӯзиш", **when(programme, HELD_DAY)}
    values.update(change)
    if values.get("ends_at") == "before":
        values["ends_at"] = values["starts_at"] - dt.timedelta(hours=1)
    target = place("TJ-SU-ISFARA") if values.pop("place", None) == "isfara" else place("TJ-GB-VANJ")
    with pytest.raises(ValidationError) as caught:
        services.event_create(actor=users[Role.PARTNER], programme=programme, place=target, **values)
    assert field in caught.value.message_dict
    assert not Event.objects.exists()


def test_a_partner_of_another_organisation_sees_but_cannot_change(
    training: Event, adversaries: dict, users: dict
) -> None:
    other = adversaries["other_partner"]
    assert Event.objects.visible_to(other).filter(pk=training.pk).exists()
    assert not decide(other, "event.change", training)
    with pytest.raises(PermissionDenied):
        services.event_update(actor=other, event=training, title="Другое")
    with pytest.raises(PermissionDenied):
        services.event_cancel(actor=other, event=training, reason="нет")
    training.refresh_from_db()
    assert training.status == Status.PLANNED and training.title != "Другое"


def test_outsiders_see_nothing(training: Event, adversaries: dict, users: dict) -> None:
    for user in (adversaries["other_admin"], users[Role.DONOR], users["outsider"], users[Role.LIAISON]):
        assert not Event.objects.visible_to(user).filter(pk=training.pk).exists(), user
        assert not decide(user, "event.change", training)


def test_a_restricted_event_is_hidden_from_other_organisations(
    programme: Any, place: Any, users: dict, vocab: dict, adversaries: dict
) -> None:
    event = make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        sensitivity="restricted",
    )
    assert Event.objects.visible_to(users[Role.PARTNER]).filter(pk=event.pk).exists()
    assert Event.objects.visible_to(users[Role.STAFF]).filter(pk=event.pk).exists()
    assert not Event.objects.visible_to(adversaries["other_partner"]).filter(pk=event.pk).exists()


def test_a_partner_cannot_record_an_event_outside_her_districts_or_a_national_one(
    programme: Any, place: Any, users: dict, vocab: dict
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_event(programme, place("TJ-SU-ISFARA"), vocab["kinds"]["training"], actor=users[Role.PARTNER])
    assert "place" in caught.value.message_dict
    country = programme.country or place("TJ")
    with pytest.raises(ValidationError):
        make_event(programme, country, vocab["kinds"]["dialogue"], actor=users[Role.PARTNER], level="national")
    national = make_event(programme, country, vocab["kinds"]["dialogue"], actor=users[Role.STAFF], level="national")
    assert national.district is None
    assert not Event.objects.visible_to(users[Role.PARTNER]).filter(pk=national.pk).exists()


def test_hold_and_cancel(training: Event, users: dict, programme: Any, place: Any, vocab: dict) -> None:
    held = services.event_hold(actor=users[Role.PARTNER], event=training)
    assert held.status == Status.HELD
    with pytest.raises(ValidationError):
        services.event_cancel(actor=users[Role.PARTNER], event=held, reason="дождь")
    future = make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["training"], actor=users[Role.PARTNER], day=dt.date(2099, 1, 1)
    )
    with pytest.raises(ValidationError):
        services.event_hold(actor=users[Role.PARTNER], event=future)
    with pytest.raises(ValidationError):
        services.event_cancel(actor=users[Role.PARTNER], event=future, reason="")
    cancelled = services.event_cancel(actor=users[Role.PARTNER], event=future, reason="Дорога закрыта")
    assert cancelled.status == Status.CANCELLED


def test_a_commitment_action_is_changed_only_by_the_event_organiser_among_partners(
    training: Event, users: dict, adversaries: dict, place: Any, orgs: dict
) -> None:
    from hamkori.events.models import Commitment

    action = Action.objects.create(
        programme=training.programme, district=place("TJ-GB-VANJ"), title="Осветить улицу", due_on=HELD_DAY
    )
    Commitment.objects.create(event=training, action=action)
    assert decide(users[Role.PARTNER], "action.change", action)
    assert not decide(adversaries["other_partner"], "action.change", action)


def test_editing_with_a_stale_copy_keeps_the_status(training: Event, users: dict) -> None:
    stale = Event.objects.get(pk=training.pk)
    services.event_hold(actor=users[Role.PARTNER], event=training)
    services.event_update(actor=users[Role.PARTNER], event=stale, title="Омӯзиши нав")
    training.refresh_from_db()
    assert (training.status, training.title) == (Status.HELD, "Омӯзиши нав")
