"""Concerns: the list and a concern's page as data, and the writes a field script needs (record,
triage, move along the lifecycle).

Scoped exactly like the pages: lists from ``Concern.objects.visible_to`` (a liaison sees only what
was referred to their organisation, a group member their groups' concerns), single concerns
through ``get_for_user`` (out of scope: 404; in scope but not allowed: 403 with the reason).
Restricted notes, restricted timeline rows and the reporter's contact details only with
``concern.view_restricted`` (the lead organisation and the organisation that recorded it); every
read of the reporter's details is audited by the vault. Errors in the API's one format
(``hamkori.core.api_errors``, docs/adr/0008-api-errors.md).

No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from hamkori.access.policy import decide, get_for_user
from hamkori.concerns import services
from hamkori.concerns.models import AffectedGroup, Concern, ConcernEvent, Driver
from hamkori.core.api_errors import MAX_ID, MAX_OFFSET, api_errors, responses
from hamkori.core.models import Sensitivity
from hamkori.groups.models import WorkingGroup
from hamkori.people.api import MAX_PAGE, Seen, place_by_code, require_decision
from hamkori.places.models import Place, under_code_q
from hamkori.programmes.models import Programme
from hamkori.vault.services import vault_get

router = Router(tags=["concerns"])

#: Why the API reads the vault (the audit event of each read names it).
VAULT_PURPOSE = "api: the reporter of a concern"
MAX_TERMS = 50


# The models' choices as enums named for this API: the OpenAPI components are named after the
# class, and ``Status`` is also the working groups' (one would hide the other). A test checks that
# they hold exactly the models' values.
class ConcernStatus(StrEnum):
    REPORTED = "reported"
    TRIAGED = "triaged"
    PRIORITISED = "prioritised"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    NOT_ACTIONABLE = "not_actionable"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    REVIEWED = "reviewed"
    DECLINED = "declined"
    MERGED = "merged"


class ConcernSource(StrEnum):
    CONSULTATION = "consultation"
    GROUP_MEETING = "group_meeting"
    PUBLIC = "public"
    SURVEY = "survey"
    MEDIA = "media"
    POLICE = "police"
    OTHER = "other"


class ConcernLanguage(StrEnum):
    TG = "tg"
    RU = "ru"
    EN = "en"
    OTHER = "other"


# --- Schemas -------------------------------------------------------------------------------------
class ConcernOut(Schema):
    """A concern as the lists show it (nothing restricted, nothing about the reporter)."""

    id: int
    reference: str
    programme: str
    district: str
    place: str | None
    location_text: str
    description: str
    language: str
    drivers: list[str]
    affected_groups: list[str]
    source: str
    sensitivity: str
    status: str
    public_status: str
    status_changed_at: dt.datetime
    created_at: dt.datetime
    recorded_by: str | None
    group: int | None
    merged_into: str | None

    @staticmethod
    def resolve_programme(obj: Concern) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_district(obj: Concern) -> str:
        return obj.district.code

    @staticmethod
    def resolve_place(obj: Concern) -> str | None:
        return obj.place.code if obj.place_id and obj.place else None

    @staticmethod
    def resolve_drivers(obj: Concern) -> list[str]:
        return [d.code for d in obj.drivers.all()]

    @staticmethod
    def resolve_affected_groups(obj: Concern) -> list[str]:
        return [a.code for a in obj.affected_groups.all()]

    @staticmethod
    def resolve_recorded_by(obj: Concern) -> str | None:
        return obj.owner.name if obj.owner_id and obj.owner else None

    @staticmethod
    def resolve_group(obj: Concern) -> int | None:
        return obj.group_id

    @staticmethod
    def resolve_merged_into(obj: Concern) -> str | None:
        return obj.merged_into.reference if obj.merged_into_id and obj.merged_into else None


class EventOut(Schema):
    """One row of the concern's timeline."""

    at: dt.datetime
    kind: str
    from_status: str
    to_status: str
    text: str
    restricted: bool


class ReporterOut(Schema):
    """The reporter's contact details, given with consent (from the vault)."""

    full_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


class ConcernDetailOut(ConcernOut):
    """A concern's page as data. ``restricted_notes`` and ``reporter`` are null unless you may see
    them (``concern.view_restricted``); restricted timeline rows are left out likewise."""

    evidence_links: list[str]
    decline_reason: str
    public_note: str
    restricted_notes: str | None
    reporter: ReporterOut | None
    timeline: list[EventOut]


class ConcernIn(Schema):
    programme: str
    description: str
    district: str
    place: str | None = None
    location_text: str = ""
    language: ConcernLanguage = ConcernLanguage.TG
    drivers: list[str] = Field([], max_length=MAX_TERMS)
    affected_groups: list[str] = Field([], max_length=MAX_TERMS)
    source: ConcernSource = ConcernSource.CONSULTATION
    sensitivity: Sensitivity = Sensitivity.INTERNAL
    evidence_links: list[str] = Field([], max_length=MAX_TERMS)
    restricted_notes: str = ""
    group: int | None = Field(None, ge=1, le=MAX_ID)


class TriageIn(Schema):
    drivers: list[str] = Field(..., max_length=MAX_TERMS)
    affected_groups: list[str] = Field([], max_length=MAX_TERMS)
    sensitivity: Sensitivity
    place: str | None = None
    group: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = ""


class MoveIn(Schema):
    to_status: ConcernStatus
    reason: str = ""


#: A concern's id in a path (a bigint: larger answers 422, never a database error).
ConcernId = Path(..., ge=1, le=MAX_ID)


# --- Helpers -------------------------------------------------------------------------------------
def _concerns(concerns: QuerySet[Concern]) -> QuerySet[Concern]:
    return concerns.select_related("programme", "district", "place", "owner", "merged_into").prefetch_related(
        Prefetch("drivers", queryset=Driver.objects.only("code", "order")),
        Prefetch("affected_groups", queryset=AffectedGroup.objects.only("code", "order")),
    )


def _terms(model: type[Driver] | type[AffectedGroup], programme: Programme, codes: list[str], field: str) -> list[Any]:
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    found = {t.code: t for t in model.objects.filter(programme=programme, code__in=wanted)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationError(
            {field: [_("Not in the programme's list: %(codes)s.") % {"codes": ", ".join(c[:40] for c in unknown[:5])}]}
        )
    return [found[code] for code in wanted]


def _group(user: Any, programme: Programme, group_id: int | None) -> WorkingGroup | None:
    if group_id is None:
        return None
    group = WorkingGroup.objects.visible_to(user).filter(programme=programme, pk=group_id).first()
    if group is None:
        raise ValidationError({"group": [_("No working group with this id in the programme.")]})
    return group


def _place(code: str | None, field: str) -> Place | None:
    return place_by_code(code.strip(), field) if code and code.strip() else None


def _detail(user: Any, concern: Concern) -> Seen:
    """The concern with what ``user`` may see of it: restricted notes, the reporter and restricted
    timeline rows only with ``concern.view_restricted``."""
    concern = _concerns(Concern.objects.all()).get(pk=concern.pk)
    restricted = bool(decide(user, "concern.view_restricted", concern))
    events = ConcernEvent.objects.filter(concern=concern)
    if not restricted:
        events = events.filter(restricted=False)
    reporter = None
    if restricted and concern.reporter_key:
        data = vault_get(actor=user, subject_key=concern.reporter_key, purpose=VAULT_PURPOSE)
        if data is not None:
            reporter = ReporterOut(full_name=data.full_name, phone=data.phone, email=data.email, address=data.address)
    return Seen(
        concern,
        restricted_notes=concern.restricted_notes if restricted else None,
        reporter=reporter,
        timeline=list(events.order_by("-at", "-id")),
        evidence_links=[str(link) for link in (concern.evidence_links or [])],
    )


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/", response=responses({200: list[ConcernOut]}))
@api_errors
def list_concerns(
    request: HttpRequest,
    programme: str,
    district: str = "",
    status: ConcernStatus | None = None,
    driver: str = "",
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[Concern]:
    """The programme's concerns that you may see, newest first, ``limit`` (at most 500) from
    ``offset``. Filter by a place code (``district``; places under it count), ``status`` or a
    driver's code (``driver``)."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme)
    require_decision(user, "concern.view", prog)
    concerns = Concern.objects.visible_to(user).filter(programme=prog)
    if district:
        concerns = concerns.filter(under_code_q("district", district))
    if status:
        concerns = concerns.filter(status=status.value)
    if driver:
        concerns = concerns.filter(drivers__code=driver.strip())
    # The page's ids first (the scoped query may be DISTINCT), then the rows with what they show.
    ids = list(concerns.order_by("-created_at", "-pk").values_list("pk", flat=True)[offset : offset + limit])
    found = {c.pk: c for c in _concerns(Concern.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids]


@router.get("/{int:concern_id}", response=responses({200: ConcernDetailOut}))
@api_errors
def get_concern(request: HttpRequest, concern_id: int = ConcernId) -> Seen:
    """One concern with its timeline; restricted notes, restricted timeline rows and the
    reporter's contact details only for the lead organisation and the organisation that recorded it."""
    return _detail(request.user, get_for_user(request.user, Concern, pk=concern_id))


@router.post("/", response=responses({201: ConcernDetailOut}))
@api_errors
def create_concern(request: HttpRequest, payload: ConcernIn) -> Status[Seen]:
    """Record a concern raised in the field (admin, staff, partners in their own districts).
    Drivers and affected groups by the programme's codes; the group by its id."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme)
    require_decision(user, "concern.create", prog)
    concern = services.concern_create(
        actor=user,
        programme=prog,
        description=payload.description,
        district=place_by_code(payload.district.strip(), "district"),
        place=_place(payload.place, "place"),
        location_text=payload.location_text,
        language=payload.language.value,
        drivers=_terms(Driver, prog, payload.drivers, "drivers"),
        affected_groups=_terms(AffectedGroup, prog, payload.affected_groups, "affected_groups"),
        source=payload.source.value,
        sensitivity=payload.sensitivity,
        evidence_links=payload.evidence_links,
        restricted_notes=payload.restricted_notes,
        group=_group(user, prog, payload.group),
    )
    return Status(201, _detail(user, concern))


@router.post("/{int:concern_id}/triage", response=responses({200: ConcernDetailOut}))
@api_errors
def triage_concern(request: HttpRequest, payload: TriageIn, concern_id: int = ConcernId) -> Seen:
    """Verify a new concern: its drivers (at least one), affected groups, sensitivity, and where
    and which working group; it moves from reported to triaged."""
    user = request.user
    concern = get_for_user(user, Concern, "change", pk=concern_id)
    prog = concern.programme
    concern = services.concern_triage(
        actor=user,
        concern=concern,
        drivers=_terms(Driver, prog, payload.drivers, "drivers"),
        affected_groups=_terms(AffectedGroup, prog, payload.affected_groups, "affected_groups"),
        sensitivity=payload.sensitivity,
        place=_place(payload.place, "place"),
        group=_group(user, prog, payload.group),
        note=payload.note,
    )
    return _detail(user, concern)


@router.post("/{int:concern_id}/move", response=responses({200: ConcernDetailOut}))
@api_errors
def move_concern(request: HttpRequest, payload: MoveIn, concern_id: int = ConcernId) -> Seen:
    """Move a concern along its lifecycle (reported → triaged → prioritised → planned → in progress
    → resolved | partly resolved | not actionable | referred elsewhere → reviewed; declined). Some
    moves need a ``reason``; some are made elsewhere (a round prioritises, a review reviews, a merge
    merges) and are refused here with the reason."""
    user = request.user
    concern = get_for_user(user, Concern, "change", pk=concern_id)
    concern = services.concern_move(
        actor=user, concern=concern, to_status=payload.to_status.value, reason=payload.reason
    )
    return _detail(user, concern)
