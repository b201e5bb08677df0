"""Scoping and sensitivity through the one mechanism (visible_to / get_for_user / decide)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from hamkori.access.policy import decide, get_for_user
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from tests.scopeapp.models import Record


@pytest.fixture
def records(programme: Any, orgs: dict, place: Any) -> dict[str, Record]:
    """Records in Vanj (a jamoat of it, too) and Isfara, of every sensitivity, owned by LAP or ASTI."""

    def make(title: str, code: str, sensitivity: str, owner: str) -> Record:
        return Record.objects.create(
            programme=programme, place=place(code), owner=orgs[owner], sensitivity=sensitivity, title=title
        )

    return {
        "vanj_internal": make("vanj internal", "TJ-GB-VANJ", "internal", "lap"),
        "rovand_internal": make("rovand internal", "TJ-GB-VANJ-ROVAND", "internal", "lap"),
        "vanj_restricted_lap": make("vanj restricted lap", "TJ-GB-VANJ", "restricted", "lap"),
        "vanj_restricted_asti": make("vanj restricted asti", "TJ-GB-VANJ", "restricted", "asti"),
        "vanj_public": make("vanj public", "TJ-GB-VANJ", "public", "lap"),
        "isfara_internal": make("isfara internal", "TJ-SU-ISFARA-VORUKH", "internal", "asti"),
        "isfara_restricted": make("isfara restricted", "TJ-SU-ISFARA", "restricted", "asti"),
    }


def visible(user: Any) -> set[str]:
    return set(Record.objects.visible_to(user).values_list("title", flat=True))


def test_lead_roles_see_everything_in_the_programme(users: dict, records: dict) -> None:
    everything = {r.title for r in records.values()}
    assert visible(users[Role.ADMIN]) == everything
    assert visible(users[Role.STAFF]) == everything


def test_partner_sees_own_districts_and_own_restricted_records_only(users: dict, records: dict) -> None:
    assert visible(users[Role.PARTNER]) == {
        "vanj internal",
        "rovand internal",
        "vanj restricted lap",
        "vanj public",
    }


def test_group_member_liaison_donor_outsider_see_no_records_by_default(users: dict, records: dict) -> None:
    for key in [Role.GROUP_MEMBER, Role.LIAISON, Role.DONOR, "outsider"]:
        assert visible(users[key]) == set(), key


def test_anonymous_sees_nothing(records: dict) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()


def test_other_district_record_by_id_answers_404_and_is_audited(users: dict, records: dict) -> None:
    partner = users[Role.PARTNER]
    target = records["isfara_internal"]
    with pytest.raises(Http404):
        get_for_user(partner, Record, pk=target.pk)
    denied = AuditEvent.objects.filter(actor=partner, outcome="denied", object_type="scopeapp.record")
    assert denied.filter(object_id=str(target.pk)).exists()


def test_other_organisations_restricted_record_answers_404_in_own_district(users: dict, records: dict) -> None:
    with pytest.raises(Http404):
        get_for_user(users[Role.PARTNER], Record, pk=records["vanj_restricted_asti"].pk)


def test_viewing_a_restricted_record_is_audited(users: dict, records: dict) -> None:
    staff = users[Role.STAFF]
    target = records["isfara_restricted"]
    assert get_for_user(staff, Record, pk=target.pk) == target
    assert (
        AuditEvent.objects.filter(actor=staff, action="record.view_restricted", object_id=str(target.pk)).count() == 1
    )
    get_for_user(staff, Record, pk=records["vanj_internal"].pk)
    assert not AuditEvent.objects.filter(
        actor=staff, action="record.view_restricted", object_id=str(records["vanj_internal"].pk)
    ).exists()


def test_locked_user_sees_nothing(users: dict, records: dict) -> None:
    from hamkori.accounts.services import user_lock

    admin = users[Role.ADMIN]
    user_lock(actor=None, user=admin, reason="laptop stolen")  # staff may not lock an admin
    admin.refresh_from_db()
    assert visible(admin) == set()
    assert not decide(admin, "programme.view", None)


def test_unknown_action_is_denied_with_a_reason(users: dict) -> None:
    decision = decide(users[Role.ADMIN], "no.such.action")
    assert not decision and str(decision.reason)


def test_registry_answers_per_role(users: dict, programme: Any) -> None:
    assert decide(users[Role.ADMIN], "programme.change", programme)
    refused = decide(users[Role.STAFF], "programme.change", programme)
    assert not refused and "role" in str(refused.reason)
    for role in Role.values:
        assert decide(users[role], "programme.view", programme), role
    assert not decide(users["outsider"], "programme.view", programme)


def test_visible_to_is_one_query(users: dict, records: dict, django_assert_num_queries: Any) -> None:
    partner = users[Role.PARTNER]
    list(Record.objects.visible_to(partner))  # grants are read once and cached on the user
    with django_assert_num_queries(1):
        list(Record.objects.visible_to(partner))
