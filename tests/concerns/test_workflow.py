"""The concern's state machine and its core services: who may move it where, and why not."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hamkori.concerns import services
from hamkori.concerns.models import Concern, ConcernEvent, Status
from hamkori.concerns.workflow import check_move, moves_for
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role

from .conftest import make_concern


def test_a_partner_records_a_concern_her_organisation_owns(concern: Concern, orgs: dict) -> None:
    assert concern.reference == f"C-{concern.pk:06d}"
    assert concern.owner == orgs["lap"]
    assert concern.status == Status.REPORTED
    assert list(concern.events.values_list("kind", flat=True)) == [ConcernEvent.Kind.CREATED]
    assert AuditEvent.objects.filter(action="concern.create", object_id=str(concern.pk)).exists()


@pytest.mark.parametrize("description", ["", "   ", "x" * 100_000])
def test_empty_or_huge_descriptions_are_refused(programme: Any, place: Any, description: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_concern(programme, place("TJ-GB-VANJ"), description=description)
    assert "description" in error.value.message_dict
    assert not Concern.objects.exists()


def test_unknown_places_and_other_programmes_terms_are_refused(programme: Any, place: Any, vocabulary: dict) -> None:
    with pytest.raises(ValidationError) as error:
        make_concern(programme, place("TJ-KT-HAMADONI"))
    assert "district" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_concern(programme, place("TJ-GB-VANJ"), drivers=[999999])
    assert "drivers" in error.value.message_dict
    assert not Concern.objects.exists()


def test_a_partner_cannot_record_outside_her_districts(programme: Any, place: Any, users: dict) -> None:
    with pytest.raises(ValidationError) as error:
        make_concern(programme, place("TJ-SU-ISFARA"), actor=users[Role.PARTNER])
    assert "district" in error.value.message_dict


def test_triage_needs_a_driver_then_moves_to_triaged(concern: Concern, users: dict, vocabulary: dict) -> None:
    with pytest.raises(ValidationError) as error:
        services.concern_triage(actor=users[Role.STAFF], concern=concern, drivers=[], sensitivity="internal")
    assert "drivers" in error.value.message_dict
    services.concern_triage(
        actor=users[Role.STAFF],
        concern=concern,
        drivers=[vocabulary["drivers"]["recruitment"]],
        sensitivity="restricted",
    )
    concern.refresh_from_db()
    assert concern.status == Status.TRIAGED
    assert concern.sensitivity == "restricted"


def test_resolving_needs_the_sign_offs_and_says_whose(concern: Concern, users: dict) -> None:
    Concern.objects.filter(pk=concern.pk).update(status=Status.IN_PROGRESS)
    concern.refresh_from_db()
    decision = check_move(users[Role.STAFF], concern, Status.RESOLVED)
    assert not decision
    assert "sign-off" in str(decision.reason)
    with pytest.raises(ValidationError) as error:
        services.concern_move(actor=users[Role.STAFF], concern=concern, to_status=Status.RESOLVED)
    assert "sign-off" in str(error.value.message_dict["to_status"])
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS


def test_illegal_moves_are_refused_with_a_reason(concern: Concern, users: dict) -> None:
    with pytest.raises(ValidationError) as error:
        services.concern_move(actor=users[Role.STAFF], concern=concern, to_status=Status.RESOLVED)
    assert "cannot become" in str(error.value.message_dict["to_status"])
    with pytest.raises(ValidationError):
        services.concern_move(actor=users[Role.STAFF], concern=concern, to_status="nonsense")
    with pytest.raises(ValidationError) as error:  # prioritising is a round's decision, not a button
        services.concern_move(actor=users[Role.STAFF], concern=concern, to_status=Status.MERGED)
    with pytest.raises(ValidationError) as error:
        services.concern_move(actor=users[Role.STAFF], concern=concern, to_status=Status.DECLINED)
    assert "reason" in error.value.message_dict


def test_other_roles_cannot_move_a_concern(
    concern: Concern, users: dict, orgs: dict, make_user: Any, programme: Any, place: Any
) -> None:
    asti_in_vanj = make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )
    for user in (users[Role.LIAISON], users[Role.DONOR], users[Role.GROUP_MEMBER], asti_in_vanj):
        with pytest.raises(PermissionDenied):
            services.concern_move(actor=user, concern=concern, to_status=Status.DECLINED, reason="spam")
        assert moves_for(user, concern) == []
    concern.refresh_from_db()
    assert concern.status == Status.REPORTED


def test_scopes_liaison_donor_member_and_other_partner(concern: Concern, users: dict, vanj_group: Any) -> None:
    assert Concern.objects.visible_to(users[Role.STAFF]).filter(pk=concern.pk).exists()
    assert Concern.objects.visible_to(users[Role.PARTNER]).filter(pk=concern.pk).exists()
    for role in (Role.LIAISON, Role.DONOR, Role.GROUP_MEMBER, "outsider"):
        assert not Concern.objects.visible_to(users[role]).filter(pk=concern.pk).exists(), role
    services.concern_update(actor=users[Role.PARTNER], concern=concern, group=vanj_group)
    assert Concern.objects.visible_to(users[Role.GROUP_MEMBER]).filter(pk=concern.pk).exists()


def test_merge_closes_the_duplicate(concern: Concern, programme: Any, place: Any, users: dict) -> None:
    twin = make_concern(programme, place("TJ-GB-VANJ"), actor=users[Role.PARTNER], description="Роҳи мактаб торик")
    services.concern_merge(actor=users[Role.STAFF], duplicate=twin, into=concern)
    twin.refresh_from_db()
    assert twin.status == Status.MERGED and twin.merged_into == concern
    assert services.resolve_merged(twin) == concern
    other = make_concern(programme, place("TJ-SU-ISFARA"))
    with pytest.raises(ValidationError):
        services.concern_merge(actor=users[Role.STAFF], duplicate=other, into=concern)
