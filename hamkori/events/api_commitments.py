"""Commitments made at events, scoped like the pages: listed when the user sees both the tracking action
and the event; recorded by whoever may change the event. Progress is recorded through the actions API
(``POST /api/actions/{action}/progress``): a commitment *is* an action of the cycle.
No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from hamkori.access.policy import get_for_user
from hamkori.concerns.api_actions import ActionState, OrganisationOut
from hamkori.concerns.models import Action, overdue_q
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.events import commitments as services
from hamkori.events.models import Commitment, Event
from hamkori.orgs.models import Organisation
from hamkori.people.api import MAX_PAGE, Page, RecordId, place_by_code
from hamkori.programmes.models import Programme

router = Router(tags=["commitments"])


class CommitmentEventOut(Schema):
    id: int
    title: str
    starts_at: dt.datetime


class CommitmentOut(Schema):
    id: int
    action: int = Field(..., description="The tracking action: record progress at /api/actions/{action}/progress.")
    programme: str
    event: CommitmentEventOut
    made_by: str
    title: str
    district: str
    due_on: dt.date
    state: ActionState
    progress: int
    completed_on: dt.date | None
    overdue: bool
    owners: list[OrganisationOut]

    @staticmethod
    def resolve_action(obj: Commitment) -> int:
        return obj.action_id

    @staticmethod
    def resolve_programme(obj: Commitment) -> str:
        return obj.event.programme.code

    @staticmethod
    def resolve_event(obj: Commitment) -> dict[str, Any]:
        return {"id": obj.event.pk, "title": obj.event.title, "starts_at": obj.event.starts_at}

    @staticmethod
    def resolve_title(obj: Commitment) -> str:
        return obj.action.title

    @staticmethod
    def resolve_district(obj: Commitment) -> str:
        return obj.action.district.code

    @staticmethod
    def resolve_due_on(obj: Commitment) -> dt.date:
        return obj.action.due_on

    @staticmethod
    def resolve_state(obj: Commitment) -> str:
        return obj.action.state

    @staticmethod
    def resolve_progress(obj: Commitment) -> int:
        return obj.action.progress

    @staticmethod
    def resolve_completed_on(obj: Commitment) -> dt.date | None:
        return obj.action.completed_on

    @staticmethod
    def resolve_overdue(obj: Commitment) -> bool:
        return obj.action.is_overdue

    @staticmethod
    def resolve_owners(obj: Commitment) -> list[dict[str, Any]]:
        return [
            {"id": o.organisation.pk, "name": o.organisation.name, "kind": o.organisation.kind}
            for o in obj.action.ownerships.all()
        ]


class CommitmentIn(Schema):
    event: int = Field(..., ge=1, le=MAX_ID, description="The event's id (a dialogue, meeting or workshop).")
    title: str = Field(..., max_length=300, description="What was promised.")
    owners: list[int] = Field(..., max_length=20, description="Ids of the organisations that own it (one at least).")
    due_on: dt.date
    made_by: str = Field("", max_length=200, description="Who made the promise in the room, by position.")
    district: str = Field(
        "",
        max_length=40,
        description="For a regional or national event: the code of the programme location that follows it up.",
    )


def _visible(user: Any) -> QuerySet[Commitment]:
    return Commitment.objects.filter(
        action__in=Action.objects.visible_to(user).values("pk"),
        event__in=Event.objects.visible_to(user).values("pk"),
    )


def _rows(commitments: QuerySet[Commitment]) -> QuerySet[Commitment]:
    return commitments.select_related("event__programme", "action__district").prefetch_related(
        "action__ownerships__organisation"
    )


def _one(pk: int) -> Commitment:
    return _rows(Commitment.objects.filter(pk=pk)).get()


@router.get("/", response=responses({200: list[CommitmentOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_commitments(
    request: HttpRequest,
    programme: str = "",
    event: int | None = Query(None, ge=1, le=MAX_ID),
    organisation: int | None = Query(None, ge=1, le=MAX_ID),
    state: ActionState | None = None,
    overdue: bool | None = None,
) -> QuerySet[Commitment]:
    """Commitments you may see, by due date: filter by programme code, an event's id, an owner
    organisation's id, ``state`` or ``overdue`` (open or in progress and past the due date)."""
    user = request.user
    commitments = _visible(user)
    if programme:
        commitments = commitments.filter(event__programme=get_for_user(user, Programme, code=programme[:40]))
    if event is not None:
        commitments = commitments.filter(event_id=event)
    if organisation is not None:
        commitments = commitments.filter(action__ownerships__organisation_id=organisation)
    if state:
        commitments = commitments.filter(action__state=state.value)
    if overdue is True:
        commitments = commitments.filter(overdue_q("action__"))
    elif overdue is False:
        commitments = commitments.exclude(overdue_q("action__"))
    return _rows(commitments.distinct().order_by("action__due_on", "pk"))


@router.get("/{int:commitment_id}", response=responses({200: CommitmentOut}))
@api_errors
def get_commitment(request: HttpRequest, commitment_id: int = RecordId) -> Commitment:
    """One commitment (its progress notes are the action's: ``GET /api/actions/{action}``)."""
    found = _visible(request.user).filter(pk=commitment_id).values_list("pk", flat=True).first()
    if found is None:
        raise Http404
    return _one(commitment_id)


@router.post("/", response=responses({201: CommitmentOut}))
@api_errors
def create_commitment(request: HttpRequest, payload: CommitmentIn) -> Status[Commitment]:
    """Record a commitment made at an event (whoever may change the event): what, who owns it (one or
    more organisations of the district: the lead, a partner, the police, an authority), by when."""
    user = request.user
    event = get_for_user(user, Event, "change", pk=payload.event)
    ids = list(dict.fromkeys(payload.owners))
    owners = list(Organisation.objects.filter(pk__in=ids))
    if len(owners) != len(ids):
        raise ValidationError({"owners": [_("Choose owners among the organisations that exist.")]})
    district = place_by_code(payload.district.strip(), "district") if payload.district.strip() else None
    commitment = services.commitment_create(
        actor=user,
        event=event,
        title=payload.title,
        owners=owners,
        due_on=payload.due_on,
        made_by=payload.made_by,
        district=district,
    )
    return Status(201, _one(commitment.pk))
