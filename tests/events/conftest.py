"""Fixtures of events and attendance, built through the services (shared by every tests/events module)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.models import AttendeeRole, Event, EventKind, TrainingTopic
from tests import factories

#: A fixed past day for events that were held (attendance needs a started event).
HELD_DAY = dt.date(2026, 10, 14)


@pytest.fixture
def vocab(programme: Any) -> dict[str, dict[str, Any]]:
    """The default kinds, topics and attendee roles, by code."""
    services.vocabulary_ensure(actor=None, programme=programme)
    return {
        "kinds": {k.code: k for k in EventKind.objects.filter(programme=programme)},
        "topics": {t.code: t for t in TrainingTopic.objects.filter(programme=programme)},
        "roles": {r.code: r for r in AttendeeRole.objects.filter(programme=programme)},
    }


def when(programme: Any, day: dt.date, start: str = "10:00", end: str = "13:00") -> dict[str, dt.datetime]:
    """``starts_at``/``ends_at`` for a day and wall-clock times in the programme's time zone."""
    return {
        "starts_at": services.local_datetime(programme, day, dt.time.fromisoformat(start)),
        "ends_at": services.local_datetime(programme, day, dt.time.fromisoformat(end)),
    }


def make_event(
    programme: Any, place: Any, kind: Any, *, actor: Any = None, day: dt.date = HELD_DAY, **values: Any
) -> Event:
    values.setdefault("title", "Омӯзиш дар бораи давраи амнияти ҷамоатӣ")
    return services.event_create(
        actor=actor, programme=programme, kind=kind, place=place, **when(programme, day), **values
    )


@pytest.fixture
def vanj_cwg(programme: Any, place: Any, orgs: dict) -> Any:
    """The Vanj CWG, facilitated by LAP, with eight members (four women)."""
    group = factories.group(programme, place("TJ-GB-VANJ"), "ГКБ Ванҷ", owner=orgs["lap"])
    for i in range(8):
        person = factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"], sex="female" if i % 2 else "male")
        factories.membership(group, person, dt.date(2024, 1, 1))
    return group


@pytest.fixture
def training(programme: Any, place: Any, users: dict, vocab: dict) -> Event:
    """A training in Vanj, organised by LAP (its partner recorded it), held on ``HELD_DAY``."""
    return make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["training"],
        actor=users[Role.PARTNER],
        topics=[vocab["topics"]["cycle"]],
    )


@pytest.fixture
def dialogue(programme: Any, place: Any, users: dict, vocab: dict) -> Event:
    """A district dialogue in Vanj organised by the lead organisation."""
    return make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["dialogue"], actor=users[Role.STAFF], title="Муколама"
    )


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """Those who must neither read nor change LAP's Vanj events: ASTI's partner (given Vanj too, so only the
    organisation boundary holds her back), an admin of another programme, and an anonymous visitor."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place("TJ-GB-VANJ")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")])],
    )
    return {
        "other_partner": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place("TJ-GB-VANJ")],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
        "anonymous": None,
    }
