"""Fixtures of the community security cycle, built through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hamkori.concerns import services
from hamkori.concerns.models import AffectedGroup, Concern, Driver
from hamkori.core.roles import Role
from tests import factories

DRIVERS = [
    ("opportunities", "Набудани имкониятҳо", "Нехватка возможностей", "Lack of opportunities"),
    ("police_mistrust", "Нобоварӣ ба милитсия", "Недоверие к милиции", "Mistrust of police"),
    ("recruitment", "Ҷалб ба гурӯҳҳои зўроварӣ", "Вербовка в насильственные группы", "Violent-group recruitment"),
]


@pytest.fixture
def vocabulary(programme: Any) -> dict[str, Any]:
    services.vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    return {
        "drivers": {d.code: d for d in Driver.objects.filter(programme=programme)},
        "affected": {a.code: a for a in AffectedGroup.objects.filter(programme=programme)},
    }


@pytest.fixture
def vanj_group(programme: Any, place: Any, orgs: dict, users: dict) -> Any:
    """The Vanj CWG, facilitated by LAP; the member account's person belongs to it."""
    group = factories.group(programme, place("TJ-GB-VANJ"), "ГКБ Ванҷ", owner=orgs["lap"])
    person = factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"])
    factories.membership(group, person, dt.date(2019, 1, 1))
    from hamkori.people.services import person_link_account

    person_link_account(actor=None, person=person, account=users[Role.GROUP_MEMBER])
    return group


def make_concern(programme: Any, district: Any, *, actor: Any = None, **values: Any) -> Concern:
    values.setdefault("description", "Кӯча ба мактаб шабона торик аст")
    return services.concern_create(actor=actor, programme=programme, district=district, **values)


@pytest.fixture
def concern(programme: Any, place: Any, users: dict, vocabulary: dict) -> Concern:
    """A concern in Vanj recorded by LAP's partner."""
    return make_concern(
        programme,
        place("TJ-GB-VANJ"),
        actor=users[Role.PARTNER],
        drivers=[vocabulary["drivers"]["opportunities"]],
    )
