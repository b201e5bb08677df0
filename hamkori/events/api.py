"""Events: the list and an event as data, and the writes a field script needs (record, change, mark as
held, cancel).

Scoped exactly like the pages: lists from ``Event.objects.visible_to`` (a partner sees her districts, a
group member the events of her groups, a liaison what her organisation organised or owns a commitment of),
single events through ``get_for_user`` (out of scope: 404; in scope but not allowed: 403 with the reason).
Facilitators are given by their pseudonymous codes, never by name. Times are answered in the programme's
time zone; a time without an offset in a request is read in it too. Errors in the API's one format
(``hamkori.core.api_errors``, docs/adr/0008-api-errors.md).

No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from hamkori.access.policy import get_for_user
from hamkori.concerns.models import Concern
from hamkori.core.api_errors import MAX_ID, MAX_OFFSET, api_errors, responses
from hamkori.core.models import Sensitivity
from hamkori.events import services
from hamkori.events.models import Event, EventKind, TrainingTopic
from hamkori.events.selectors import visible_events
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people.api import MAX_PAGE, place_by_code, require_decision
from hamkori.people.models import Person
from hamkori.places.models import under_code_q
from hamkori.programmes.models import Programme

router = Router(tags=["events"])

MAX_LINKS = 100


# The models' choices as enums named for this API: OpenAPI components are named after the class, and
# ``Status``/``Level`` are other apps' too. A test checks that they hold exactly the models' values.
class EventStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class EventLevel(StrEnum):
    COMMUNITY = "community"
    DISTRICT = "district"
    REGIONAL = "regional"
    NATIONAL = "national"


class EventLanguageCode(StrEnum):
    TG = "tg"
    RU = "ru"
    EN = "en"


# --- Schemas -------------------------------------------------------------------------------------
class EventRowOut(Schema):
    """An event as the lists show it."""

    id: int
    programme: str
    kind: str
    category: str
    level: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    district: str | None
    venue: str
    language: str
    organiser: str
    status: str
    sensitivity: str

    @staticmethod
    def resolve_programme(obj: Event) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_kind(obj: Event) -> str:
        return obj.kind.code

    @staticmethod
    def resolve_category(obj: Event) -> str:
        return obj.kind.category

    @staticmethod
    def resolve_starts_at(obj: Event) -> dt.datetime:
        return timezone.localtime(obj.starts_at, services.programme_zone(obj.programme))

    @staticmethod
    def resolve_ends_at(obj: Event) -> dt.datetime:
        return timezone.localtime(obj.ends_at, services.programme_zone(obj.programme))

    @staticmethod
    def resolve_place(obj: Event) -> str:
        return obj.place.code

    @staticmethod
    def resolve_district(obj: Event) -> str | None:
        return obj.district.code if obj.district_id and obj.district else None

    @staticmethod
    def resolve_organiser(obj: Event) -> str:
        return obj.organiser.name


class EventDetailOut(EventRowOut):
    """An event's page as data (attendance, scores, commitments and files have their own endpoints)."""

    facilitators: list[str]
    groups: list[int]
    concerns: list[str]
    topics: list[str]
    test_max_score: int | None
    agenda: str
    minutes: str
    decisions: str
    cancel_reason: str

    @staticmethod
    def resolve_facilitators(obj: Event) -> list[str]:
        return [p.code for p in obj.facilitators.all()]

    @staticmethod
    def resolve_groups(obj: Event) -> list[int]:
        return [g.pk for g in obj.groups.all()]

    @staticmethod
    def resolve_concerns(obj: Event) -> list[str]:
        return [c.reference for c in obj.concerns.all()]

    @staticmethod
    def resolve_topics(obj: Event) -> list[str]:
        return [t.code for t in obj.topics.all()]


class EventCreateIn(Schema):
    programme: str
    kind: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    level: EventLevel = EventLevel.DISTRICT
    venue: str = ""
    language: EventLanguageCode = EventLanguageCode.TG
    organiser: int | None = Field(None, ge=1, le=MAX_ID)
    facilitators: list[str] = Field([], max_length=MAX_LINKS)
    groups: list[int] = Field([], max_length=MAX_LINKS)
    concerns: list[str] = Field([], max_length=MAX_LINKS)
    topics: list[str] = Field([], max_length=MAX_LINKS)
    test_max_score: int | None = Field(None, ge=1, le=1000)
    agenda: str = ""
    minutes: str = ""
    decisions: str = ""
    sensitivity: Sensitivity = Sensitivity.INTERNAL


class EventPatchIn(Schema):
    """Only the fields given change (lists replace the event's)."""

    kind: str | None = None
    title: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    place: str | None = None
    level: EventLevel | None = None
    venue: str | None = None
    language: EventLanguageCode | None = None
    organiser: int | None = Field(None, ge=1, le=MAX_ID)
    facilitators: list[str] | None = Field(None, max_length=MAX_LINKS)
    groups: list[int] | None = Field(None, max_length=MAX_LINKS)
    concerns: list[str] | None = Field(None, max_length=MAX_LINKS)
    topics: list[str] | None = Field(None, max_length=MAX_LINKS)
    test_max_score: int | None = Field(None, ge=1, le=1000)
    agenda: str | None = None
    minutes: str | None = None
    decisions: str | None = None
    sensitivity: Sensitivity | None = None


class EventCancelIn(Schema):
    reason: str


#: The ``from`` and ``to`` days of the list (query parameters named like Python keywords).
DateFrom = Query(None, alias="from")
DateTo = Query(None, alias="to")

#: An event's id in a path (a bigint: larger answers 422, never a database error).
EventId = Path(..., ge=1, le=MAX_ID)


# --- Helpers -------------------------------------------------------------------------------------
def _events(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("programme", "kind", "place", "district", "organiser")


def _detail(event: Event) -> Event:
    related: list[Any] = [
        Prefetch("facilitators", queryset=Person.objects.only("code")),
        Prefetch("groups", queryset=WorkingGroup.objects.only("pk")),
        Prefetch("concerns", queryset=Concern.objects.only("reference")),
        Prefetch("topics", queryset=TrainingTopic.objects.only("code", "order")),
    ]
    return _events(Event.objects.filter(pk=event.pk)).prefetch_related(*related).get()


def _aware(programme: Programme, moment: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the programme's time zone."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return moment.replace(tzinfo=services.programme_zone(programme))


def _kind(programme: Programme, code: str) -> EventKind:
    kind = EventKind.objects.filter(programme=programme, code=code.strip()[:40]).first()
    if kind is None:
        raise ValidationError({"kind": [_("Choose a kind of event from the programme's list.")]})
    return kind


def _by_code(model: Any, programme: Programme, codes: list[str], field: str, attr: str = "code") -> list[Any]:
    wanted = list(dict.fromkeys(str(code).strip()[:40] for code in codes))
    source = model.objects if hasattr(model, "objects") else model  # a model, a manager or a scoped queryset
    found = {getattr(o, attr): o for o in source.filter(programme=programme, **{f"{attr}__in": wanted})}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationError(
            {field: [_("Not in the programme's list: %(codes)s.") % {"codes": ", ".join(unknown[:5])}]}
        )
    return [found[code] for code in wanted]


def _visible_groups(user: Any, programme: Programme, ids: list[int]) -> list[WorkingGroup]:
    wanted = set(ids)
    groups = list(WorkingGroup.objects.visible_to(user).filter(programme=programme, pk__in=wanted))
    if len(groups) != len(wanted):
        raise ValidationError({"groups": [_("Choose working groups of the programme.")]})
    return groups


def _organiser(pk: int | None) -> Organisation | None:
    if pk is None:
        return None
    organisation = Organisation.objects.filter(pk=pk).first()
    if organisation is None:
        raise ValidationError({"organiser": [_("Choose the organisation that organises the event.")]})
    return organisation


def _links(user: Any, programme: Programme, payload: Any, given: set[str]) -> dict[str, Any]:
    """The linked records named in ``payload`` (only the fields ``given``)."""
    values: dict[str, Any] = {}
    if "facilitators" in given and payload.facilitators is not None:
        people = Person.objects.visible_to(user)
        values["facilitators"] = _by_code(people, programme, [c.upper() for c in payload.facilitators], "facilitators")
    if "groups" in given and payload.groups is not None:
        values["groups"] = _visible_groups(user, programme, payload.groups)
    if "concerns" in given and payload.concerns is not None:
        concerns = Concern.objects.visible_to(user)
        values["concerns"] = _by_code(
            concerns, programme, [c.upper() for c in payload.concerns], "concerns", attr="reference"
        )
    if "topics" in given and payload.topics is not None:
        values["topics"] = _by_code(TrainingTopic, programme, payload.topics, "topics")
    return values


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/", response=responses({200: list[EventRowOut]}))
@api_errors
def list_events(
    request: HttpRequest,
    programme: str,
    district: str = "",
    kind: str = "",
    status: EventStatus | None = None,
    date_from: dt.date | None = DateFrom,
    date_to: dt.date | None = DateTo,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[Event]:
    """The programme's events that you may see, by start (latest first), ``limit`` (at most 500) from
    ``offset``. Filter by a place code (``district``: events at places under it), a kind's code,
    ``status``, and the days ``from`` and ``to`` (inclusive, in the programme's time zone)."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme)
    require_decision(user, "event.view", prog)
    events = visible_events(user, prog)
    if district:
        events = events.filter(under_code_q("place", district.strip()[:80]))
    if kind:
        events = events.filter(kind__code=kind.strip()[:40])
    if status:
        events = events.filter(status=status.value)
    zone = services.programme_zone(prog)
    if date_from:
        events = events.filter(ends_at__gte=dt.datetime.combine(date_from, dt.time(0), tzinfo=zone))
    if date_to:
        events = events.filter(
            starts_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        )
    # The page's ids first (the scoped query may be DISTINCT), then the rows with what they show.
    ids = list(events.order_by("-starts_at", "-pk").values_list("pk", flat=True)[offset : offset + limit])
    found = {e.pk: e for e in _events(Event.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids]


@router.get("/{int:event_id}", response=responses({200: EventDetailOut}))
@api_errors
def get_event(request: HttpRequest, event_id: int = EventId) -> Event:
    """One event with its facilitators (codes), working groups, concerns (references) and topics."""
    return _detail(get_for_user(request.user, Event, pk=event_id))


@router.post("/", response=responses({201: EventDetailOut}))
@api_errors
def create_event(request: HttpRequest, payload: EventCreateIn) -> Status[Event]:
    """Record an event (admin, staff, partners in their own districts). The kind, topics and places by
    their codes, facilitators by their person codes, concerns by their references, groups by id. A
    partner's events are organised by her organisation; the lead organisation may name another."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme)
    require_decision(user, "event.create", prog)
    event = services.event_create(
        actor=user,
        programme=prog,
        kind=_kind(prog, payload.kind),
        title=payload.title,
        starts_at=_aware(prog, payload.starts_at),
        ends_at=_aware(prog, payload.ends_at),
        place=place_by_code(payload.place.strip()[:80], "place"),
        level=payload.level.value,
        venue=payload.venue,
        language=payload.language.value,
        organiser=_organiser(payload.organiser),
        test_max_score=payload.test_max_score,
        agenda=payload.agenda,
        minutes=payload.minutes,
        decisions=payload.decisions,
        sensitivity=payload.sensitivity,
        **_links(user, prog, payload, {"facilitators", "groups", "concerns", "topics"}),
    )
    return Status(201, _detail(event))


@router.patch("/{int:event_id}", response=responses({200: EventDetailOut}))
@api_errors
def update_event(request: HttpRequest, payload: EventPatchIn, event_id: int = EventId) -> Event:
    """Change an event's details: only the fields given (a list replaces the event's). Its status moves
    through ``hold`` and ``cancel``."""
    user = request.user
    event = get_for_user(user, Event, "change", pk=event_id)
    prog = event.programme
    given = {name for name in payload.model_fields_set if getattr(payload, name) is not None}
    changes: dict[str, Any] = {}
    for name in ("title", "venue", "test_max_score", "agenda", "minutes", "decisions", "sensitivity"):
        if name in given:
            changes[name] = getattr(payload, name)
    for name in ("level", "language"):
        if name in given:
            changes[name] = getattr(payload, name).value
    if "kind" in given:
        changes["kind"] = _kind(prog, payload.kind or "")
    if "place" in given:
        changes["place"] = place_by_code((payload.place or "").strip()[:80], "place")
    if "organiser" in given:
        changes["organiser"] = _organiser(payload.organiser)
    for name in ("starts_at", "ends_at"):
        if name in given:
            changes[name] = _aware(prog, getattr(payload, name))
    changes.update(_links(user, prog, payload, given))
    return _detail(services.event_update(actor=user, event=event, **changes))


@router.post("/{int:event_id}/hold", response=responses({200: EventDetailOut}))
@api_errors
def hold_event(request: HttpRequest, event_id: int = EventId) -> Event:
    """Mark a planned event that has started as held."""
    user = request.user
    event = get_for_user(user, Event, "change", pk=event_id)
    return _detail(services.event_hold(actor=user, event=event))


@router.post("/{int:event_id}/cancel", response=responses({200: EventDetailOut}))
@api_errors
def cancel_event(request: HttpRequest, payload: EventCancelIn, event_id: int = EventId) -> Event:
    """Cancel a planned event, with the reason (one with attendance recorded was held)."""
    user = request.user
    event = get_for_user(user, Event, "change", pk=event_id)
    return _detail(services.event_cancel(actor=user, event=event, reason=payload.reason))
