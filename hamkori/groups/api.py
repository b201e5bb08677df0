"""Working groups, their memberships (pseudonymous codes only) and their representation balance.

Same conventions as the people API: lists from ``visible_to``, single records through
``get_for_user``, 403 with the reason on a refusal, 422 from the services, every error in the
API's one format (``hamkori.core.api_errors``).
No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status

from hamkori.access.policy import get_for_user
from hamkori.core.api_errors import MAX_ID, MAX_OFFSET, responses
from hamkori.groups.balance import Balance, balance_by_group
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import group_create, group_transition, membership_add
from hamkori.orgs.models import Organisation
from hamkori.people.api import (
    MAX_PAGE,
    Seen,
    api_errors,
    place_by_code,
    require_decision,
    sectors_by_code,
)
from hamkori.people.models import Person
from hamkori.places.models import under_code_q
from hamkori.programmes.models import Programme

router = Router(tags=["groups"])


# --- Schemas -------------------------------------------------------------------------------------
class BalanceOut(Schema):
    """Today's balance of the group's current members against the programme's policy."""

    members: int
    women: int
    women_percent: int
    young: int
    missing_sectors: list[str]
    meets_minimums: bool
    issues: list[str]

    @staticmethod
    def resolve_missing_sectors(obj: Balance) -> list[str]:
        return [s.code for s in obj.missing_sectors]

    @staticmethod
    def resolve_issues(obj: Balance) -> list[str]:
        return [str(issue) for issue in obj.issues()]


class GroupOut(Schema):
    id: int
    programme: str
    kind: str
    name: str
    district: str
    host_organisation: str | None
    facilitated_by: str | None
    status: str
    status_changed_at: dt.datetime

    @staticmethod
    def resolve_programme(obj: WorkingGroup) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_district(obj: WorkingGroup) -> str:
        return obj.district.code

    @staticmethod
    def resolve_host_organisation(obj: WorkingGroup) -> str | None:
        return obj.host_organisation.name if obj.host_organisation else None

    @staticmethod
    def resolve_facilitated_by(obj: WorkingGroup) -> str | None:
        return obj.owner.name if obj.owner else None


class GroupListOut(GroupOut):
    balance: BalanceOut


class MembershipOut(Schema):
    """A membership, by the person's pseudonymous code (never a name)."""

    id: int
    person: str
    role: str
    sector: str | None
    joined_on: dt.date
    left_on: dt.date | None

    @staticmethod
    def resolve_person(obj: Membership) -> str:
        return obj.person.code

    @staticmethod
    def resolve_sector(obj: Membership) -> str | None:
        return obj.sector.code if obj.sector else None


class GroupDetailOut(GroupListOut):
    memberships: list[MembershipOut]


class GroupIn(Schema):
    programme: str
    name: str
    district: str
    kind: WorkingGroup.Kind = WorkingGroup.Kind.CWG
    host_organisation: int | None = None


class MembershipIn(Schema):
    person: str
    joined_on: dt.date
    left_on: dt.date | None = None
    role: Membership.Role = Membership.Role.MEMBER
    sector: str | None = None


class TransitionIn(Schema):
    to_status: WorkingGroup.Status
    justification: str = ""


#: A group's id in a path (a bigint: larger answers 422, never a database error).
GroupId = Path(..., ge=1, le=MAX_ID)


# --- Helpers -------------------------------------------------------------------------------------
def _groups(groups: QuerySet[WorkingGroup]) -> QuerySet[WorkingGroup]:
    return groups.select_related("programme", "district", "host_organisation", "owner")


def _with_balances(programme: Programme, groups: list[WorkingGroup]) -> list[Seen]:
    """Each group with its current balance, in a constant number of queries."""
    balances = balance_by_group(programme, groups, timezone.localdate())
    return [Seen(g, balance=balances[g.pk]) for g in groups]


def _detail(group: WorkingGroup) -> Seen:
    group = _groups(WorkingGroup.objects.all()).get(pk=group.pk)
    memberships = list(group.memberships.select_related("person", "sector").order_by("joined_on", "id"))
    balance = balance_by_group(group.programme, [group], timezone.localdate())[group.pk]
    return Seen(group, balance=balance, memberships=memberships)


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/", response=responses({200: list[GroupListOut]}))
@api_errors
def list_groups(
    request: HttpRequest,
    programme: str,
    district: str = "",
    status: WorkingGroup.Status | None = None,
    kind: WorkingGroup.Kind | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[Seen]:
    """The programme's working groups that you may see, each with its current balance, ordered by
    district and name, ``limit`` (at most 500) from ``offset``. Filter by a place code (``district``;
    places under it count), ``status`` or ``kind``."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme)
    groups = _groups(WorkingGroup.objects.visible_to(user).filter(programme=prog))
    if district:
        groups = groups.filter(under_code_q("district", district))
    if status:
        groups = groups.filter(status=status)
    if kind:
        groups = groups.filter(kind=kind)
    # The page's ids first: sorting the joined rows of every group (DISTINCT, wide) costs more than the page.
    ids = list(groups.order_by("district__path", "name", "pk").values_list("pk", flat=True)[offset : offset + limit])
    found = {g.pk: g for g in _groups(WorkingGroup.objects.filter(pk__in=ids))}
    return _with_balances(prog, [found[pk] for pk in ids])


@router.get("/{int:group_id}", response=responses({200: GroupDetailOut}))
@api_errors
def get_group(request: HttpRequest, group_id: int = GroupId) -> Seen:
    """One working group: its balance and its memberships (person codes, no names)."""
    return _detail(get_for_user(request.user, WorkingGroup, pk=group_id))


@router.post("/", response=responses({201: GroupDetailOut}))
@api_errors
def create_group(request: HttpRequest, payload: GroupIn) -> Status[Seen]:
    """Set up a working group (admin, staff, partners in their own districts)."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme)
    require_decision(user, "workinggroup.change", prog)
    district = place_by_code(payload.district, "district")
    host = None
    if payload.host_organisation is not None:
        host = Organisation.objects.filter(pk=payload.host_organisation).first()
        if host is None:
            raise ValidationError({"host_organisation": [_("Unknown organisation.")]})
    group = group_create(
        actor=user,
        programme=prog,
        name=payload.name,
        district=district,
        kind=payload.kind,
        host_organisation=host,
    )
    return Status(201, _detail(group))


@router.post("/{int:group_id}/members", response=responses({201: MembershipOut}))
@api_errors
def add_member(request: HttpRequest, payload: MembershipIn, group_id: int = GroupId) -> Status[Membership]:
    """Add a person (by code) to the group."""
    user = request.user
    group = get_for_user(user, WorkingGroup, "change", pk=group_id)
    person = (
        Person.objects.visible_to(user).filter(programme_id=group.programme_id, code=payload.person.strip()).first()
    )
    if person is None:
        raise ValidationError({"person": [_("No person with this code in the programme.")]})
    sector = sectors_by_code([payload.sector], "sector")[0] if payload.sector else None
    membership = membership_add(
        actor=user,
        group=group,
        person=person,
        joined_on=payload.joined_on,
        left_on=payload.left_on,
        role=payload.role,
        sector=sector,
    )
    return Status(201, membership)


@router.post("/{int:group_id}/status", response=responses({200: GroupDetailOut}))
@api_errors
def change_status(request: HttpRequest, payload: TransitionIn, group_id: int = GroupId) -> Seen:
    """Move the group along its lifecycle (proposed → forming → active ⇄ suspended → closed).
    Activating a group below the programme's minimums needs a justification by programme staff."""
    user = request.user
    group = get_for_user(user, WorkingGroup, "change", pk=group_id)
    group = group_transition(actor=user, group=group, to_status=payload.to_status, justification=payload.justification)
    return _detail(group)
