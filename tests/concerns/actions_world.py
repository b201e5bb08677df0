"""Fixtures of the action plan and referral tests (imported by ``test_actions.py`` and
``test_referrals.py``): the Vanj concern prioritised by the Vanj CWG, the police and the hukumat with a
liaison each, ASTI's facilitator given Vanj too, and a second programme with a user per role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hamkori.concerns import actions, services
from hamkori.concerns.models import Concern, Status
from hamkori.core.roles import Role
from hamkori.orgs.services import organisation_upsert
from tests import factories

from .conftest import make_concern

ROLES = [Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON, Role.DONOR]


def today() -> dt.date:
    return timezone.localdate()


def set_status(concern: Concern, status: str) -> Concern:
    """Put a concern at a stage whose step belongs to another module (a prioritisation round's
    decision): the test starts from there."""
    Concern.objects.filter(pk=concern.pk).update(status=status)
    concern.refresh_from_db()
    return concern


@pytest.fixture
def hukumat(orgs: dict) -> Any:
    return organisation_upsert(actor=None, kind="authority", name_en="Vanj Hukumat", name_ru="Хукумат Ванджа")[0]


@pytest.fixture
def hukumat_liaison(make_user: Any, programme: Any, hukumat: Any, place: Any) -> Any:
    return make_user(
        "hukumat-liaison@test.example",
        programme=programme,
        role=Role.LIAISON,
        organisation=hukumat,
        places=[place("TJ-GB-VANJ")],
    )


@pytest.fixture
def asti_in_vanj(programme: Any, orgs: dict, place: Any, make_user: Any) -> Any:
    """ASTI's facilitator, given Vanj too: she sees LAP's records there but may not change them."""
    return make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )


@pytest.fixture
def planned(programme: Any, place: Any, users: dict, vocabulary: dict, vanj_group: Any) -> Concern:
    """LAP's Vanj concern, triaged into the Vanj CWG and prioritised by it."""
    concern = make_concern(
        programme,
        place("TJ-GB-VANJ"),
        actor=users[Role.PARTNER],
        description="Роҳи мактаб шабона торик аст; DESCRIPTION-OK",
        drivers=[vocabulary["drivers"]["opportunities"]],
        restricted_notes="SECRET-NOTE-7731",
    )
    services.concern_triage(
        actor=users[Role.STAFF],
        concern=concern,
        drivers=[vocabulary["drivers"]["police_mistrust"]],
        sensitivity="internal",
        group=vanj_group,
    )
    return set_status(concern, Status.PRIORITISED)


@pytest.fixture
def police_action(planned: Concern, users: dict, orgs: dict) -> Any:
    """A joint action of the police and the working group."""
    return actions.action_create(
        actor=users[Role.PARTNER],
        concern=planned,
        title="Чароғҳо дар роҳи мактаб",
        due_on=today() + dt.timedelta(days=30),
        owners=[orgs["police"]],
        group_owns=True,
    )


@pytest.fixture
def referral(planned: Concern, police_action: Any, users: dict, orgs: dict) -> Any:
    return actions.referral_create(
        actor=users[Role.STAFF],
        concern=planned,
        organisation=orgs["police"],
        message="Please patrol the school road in the evenings. MESSAGE-OK",
        respond_by=today() + dt.timedelta(days=14),
        action=police_action,
    )


@pytest.fixture
def second(db: Any, orgs: dict, place: Any, make_user: Any) -> dict[str, Any]:
    """Programme B in Vanj too, with one user per role (the police liaison of B belongs to the same
    police organisation)."""
    prog = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        donors=[orgs["donor"]],
        locations=[place("TJ-GB-VANJ")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")])],
    )
    org_for = {
        Role.ADMIN: orgs["lead"],
        Role.STAFF: orgs["lead"],
        Role.PARTNER: orgs["lap"],
        Role.LIAISON: orgs["police"],
    }
    users = {
        role: make_user(
            f"b-{role}@test.example",
            programme=prog,
            role=role,
            organisation=org_for.get(role, orgs["donor"] if role == Role.DONOR else None),
            places=[place("TJ-GB-VANJ")] if role in (Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON) else [],
        )
        for role in ROLES
    }
    return {"programme": prog, "users": users}
