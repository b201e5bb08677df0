"""Actions and referrals: the action plans, and what was referred to authorities (scoped like the pages).

A liaison lists the referrals to their organisation and the actions it owns; a referral shows the
message and the concern's reference, district, drivers and description, never the reporter, restricted
notes or the timeline (and no description once the concern is restricted). Lists from ``visible_to``,
single records through ``get_for_user``, every error in the API's one format.
No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from hamkori.access.policy import get_for_user
from hamkori.concerns import actions as services
from hamkori.concerns.models import Action, Concern, Referral, overdue_q, referral_late_q
from hamkori.concerns.plan import INBOX_ORDER
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.people.api import MAX_PAGE, Page, RecordId, Seen
from hamkori.places.models import under_code_q
from hamkori.programmes.models import Programme

actions_router = Router(tags=["actions"])
referrals_router = Router(tags=["referrals"])


# The models' choices under names of their own: both are called ``State`` in the models, and the
# schema holds one component per name (tests/concerns/test_actions.py checks they stay the same).
class ActionState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class ReferralState(StrEnum):
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"


# --- Schemas -------------------------------------------------------------------------------------
class OrganisationOut(Schema):
    id: int
    name: str
    kind: str


class ActionOut(Schema):
    id: int
    programme: str
    district: str
    concern: str | None = Field(None, description="The concern's reference (empty for a commitment made elsewhere).")
    group: int | None
    title: str
    due_on: dt.date
    state: ActionState
    progress: int
    completed_on: dt.date | None
    overdue: bool
    owners: list[OrganisationOut]
    group_owns: bool
    public_text: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: Action) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_district(obj: Action) -> str:
        return obj.district.code

    @staticmethod
    def resolve_concern(obj: Action) -> str | None:
        return obj.concern.reference if obj.concern_id and obj.concern else None

    @staticmethod
    def resolve_group(obj: Action) -> int | None:
        return obj.group_id

    @staticmethod
    def resolve_overdue(obj: Action) -> bool:
        return obj.is_overdue

    @staticmethod
    def resolve_owners(obj: Action) -> list[dict[str, Any]]:
        return [
            {"id": o.organisation.pk, "name": o.organisation.name, "kind": o.organisation.kind}
            for o in obj.ownerships.all()
        ]


class NoteOut(Schema):
    at: dt.datetime
    text: str
    progress: int | None
    state: str


class ActionDetailOut(ActionOut):
    notes: list[NoteOut]


class ProgressIn(Schema):
    state: ActionState | None = None
    progress: int | None = Field(None, ge=0, le=100)
    note: str = Field("", max_length=2000)


class ReferralOut(Schema):
    """A referral as its liaison sees it: nothing here identifies the person who raised the concern."""

    id: int
    programme: str
    concern: str
    district: str
    drivers: list[str]
    description: str | None = Field(None, description="Null when the concern is no longer shared with you.")
    organisation: OrganisationOut
    action: int | None
    message: str
    respond_by: dt.date
    state: ReferralState
    overdue: bool
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    responded_at: dt.datetime | None
    response: str

    @staticmethod
    def resolve_programme(obj: Referral) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_concern(obj: Referral) -> str:
        return obj.concern.reference

    @staticmethod
    def resolve_district(obj: Referral) -> str:
        return obj.district.code

    @staticmethod
    def resolve_organisation(obj: Referral) -> dict[str, Any]:
        return {"id": obj.organisation.pk, "name": obj.organisation.name, "kind": obj.organisation.kind}

    @staticmethod
    def resolve_action(obj: Referral) -> int | None:
        return obj.action_id

    @staticmethod
    def resolve_overdue(obj: Referral) -> bool:
        return obj.is_overdue


class RespondIn(Schema):
    response: str = Field(..., max_length=2000)


# --- Helpers -------------------------------------------------------------------------------------
def _actions(actions: QuerySet[Action]) -> QuerySet[Action]:
    return actions.select_related("programme", "district", "concern").prefetch_related("ownerships__organisation")


def _action_detail(action: Action) -> Seen:
    action = _actions(Action.objects.all()).get(pk=action.pk)
    return Seen(action, notes=list(action.notes.all()[:200]))


def _referral_rows(user: Any, referrals: list[Referral]) -> list[Seen]:
    """Each referral with the concern's drivers and description when the user still sees the concern
    (two queries, whatever the number of referrals)."""
    ids = {r.concern_id for r in referrals}
    shared = {
        c.pk: c
        for c in Concern.objects.visible_to(user)
        .filter(pk__in=ids)
        .prefetch_related("drivers")
        .only("pk", "description")
    }
    rows = []
    for referral in referrals:
        concern = shared.get(referral.concern_id)
        rows.append(
            Seen(
                referral,
                drivers=[d.code for d in concern.drivers.all()] if concern else [],
                description=concern.description if concern else None,
            )
        )
    return rows


def _referrals(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.select_related("programme", "district", "organisation", "concern")


def _programme(user: Any, code: str) -> Programme | None:
    return get_for_user(user, Programme, code=code) if code else None


# --- Actions -------------------------------------------------------------------------------------
@actions_router.get("/", response=responses({200: list[ActionOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_actions(
    request: HttpRequest,
    programme: str = "",
    district: str = "",
    state: ActionState | None = None,
    overdue: bool | None = None,
    concern: str = "",
    group: int | None = Query(None, ge=1, le=MAX_ID),
) -> QuerySet[Action]:
    """The actions you may see, by due date: the field's in its districts, a group member's groups', a
    liaison's organisation's. Filter by programme code, a place code (``district``: places under it
    count), ``state``, ``overdue`` (open or in progress and past the due date), a concern's reference
    or a working group's id."""
    user = request.user
    actions = Action.objects.visible_to(user)
    prog = _programme(user, programme)
    if prog is not None:
        actions = actions.filter(programme=prog)
    if district:
        actions = actions.filter(under_code_q("district", district))
    if state:
        actions = actions.filter(state=state.value)
    if overdue is True:
        actions = actions.filter(overdue_q())
    elif overdue is False:
        actions = actions.exclude(overdue_q())
    if concern:
        actions = actions.filter(concern__reference=concern[:20])
    if group is not None:
        actions = actions.filter(group_id=group)
    return _actions(actions.order_by("due_on", "pk"))


@actions_router.get("/{int:action_id}", response=responses({200: ActionDetailOut}))
@api_errors
def get_action(request: HttpRequest, action_id: int = RecordId) -> Seen:
    """One action with its progress notes (newest first)."""
    return _action_detail(get_for_user(request.user, Action, pk=action_id))


@actions_router.post("/{int:action_id}/progress", response=responses({200: ActionDetailOut}))
@api_errors
def record_progress(request: HttpRequest, payload: ProgressIn, action_id: int = RecordId) -> Seen:
    """Record progress: ``state``, ``progress`` (0–100) and/or a ``note`` (one of them at least; a note
    is needed to drop an action). Done sets the completion date and 100 %."""
    action = get_for_user(request.user, Action, "change", pk=action_id)
    action = services.action_update(
        actor=request.user,
        action=action,
        state=payload.state.value if payload.state else None,
        progress=payload.progress,
        note=payload.note,
    )
    return _action_detail(action)


# --- Referrals -----------------------------------------------------------------------------------
@referrals_router.get("/", response=responses({200: list[ReferralOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_referrals(
    request: HttpRequest,
    programme: str = "",
    district: str = "",
    state: ReferralState | None = None,
    overdue: bool | None = None,
) -> list[Seen]:
    """Referrals you may see (a liaison: those to their organisation), awaiting acknowledgement first,
    then by the date an answer is due. Filter by programme code, a place code, ``state`` or ``overdue``."""
    user = request.user
    referrals = Referral.objects.visible_to(user)
    prog = _programme(user, programme)
    if prog is not None:
        referrals = referrals.filter(programme=prog)
    if district:
        referrals = referrals.filter(under_code_q("district", district))
    if state:
        referrals = referrals.filter(state=state.value)
    late = referral_late_q()
    if overdue is True:
        referrals = referrals.filter(late)
    elif overdue is False:
        referrals = referrals.exclude(late)
    return _LazyReferrals(user, _referrals(referrals.order_by(INBOX_ORDER, "respond_by", "pk")))  # type: ignore[return-value]


class _LazyReferrals:
    """Sliced by the paginator first, then the page's concerns are read in one query."""

    def __init__(self, user: Any, queryset: QuerySet[Referral]) -> None:
        self.user, self.queryset = user, queryset

    def __getitem__(self, key: slice) -> list[Seen]:
        return _referral_rows(self.user, list(self.queryset[key]))

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()


@referrals_router.get("/{int:referral_id}", response=responses({200: ReferralOut}))
@api_errors
def get_referral(request: HttpRequest, referral_id: int = RecordId) -> Seen:
    """One referral: the message and the concern's non-identifying details."""
    referral = get_for_user(request.user, Referral, pk=referral_id)
    return _referral_rows(request.user, [_referrals(Referral.objects.all()).get(pk=referral.pk)])[0]


@referrals_router.post("/{int:referral_id}/acknowledge", response=responses({200: ReferralOut}))
@api_errors
def acknowledge_referral(request: HttpRequest, referral_id: int = RecordId) -> Seen:
    """Say that your organisation has received the referral."""
    referral = get_for_user(request.user, Referral, "respond", pk=referral_id)
    services.referral_acknowledge(actor=request.user, referral=referral)
    return _referral_rows(request.user, [_referrals(Referral.objects.all()).get(pk=referral.pk)])[0]


@referrals_router.post("/{int:referral_id}/respond", response=responses({200: ReferralOut}))
@api_errors
def respond_to_referral(request: HttpRequest, payload: RespondIn, referral_id: int = RecordId) -> Seen:
    """Answer the referral (this acknowledges it too)."""
    referral = get_for_user(request.user, Referral, "respond", pk=referral_id)
    services.referral_respond(actor=request.user, referral=referral, response=payload.response)
    return _referral_rows(request.user, [_referrals(Referral.objects.all()).get(pk=referral.pk)])[0]
