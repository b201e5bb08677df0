"""Reads of the event pages and the API: the list's filters, a page of events, a month of the calendar,
and the places an event may be recorded at. Every read starts from ``Event.objects.visible_to(user)``."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from hamkori.access.policy import decide, grant_in
from hamkori.concerns.selectors import scope_districts
from hamkori.events.models import Event, EventKind, Status
from hamkori.events.services import programme_zone
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: The list's tabs: upcoming (not yet ended, soonest first), past (ended, latest first), all.
WHEN = ("upcoming", "past", "all")
FILTERS = ("when", "district", "kind", "status", "q")


def visible_events(user: Any, programme: Programme) -> QuerySet[Event]:
    """The events of ``programme`` that ``user`` may see."""
    return Event.objects.visible_to(user).filter(programme=programme)


def with_related(events: QuerySet[Event]) -> QuerySet[Event]:
    """What a row of the list or a day of the calendar shows, in the same query."""
    return events.select_related("kind", "place", "district", "organiser")


@dataclass
class ListFilters:
    """The list's filters as asked (``params``, for links and the pager) and as understood."""

    params: dict[str, str] = field(default_factory=dict)
    district: Place | None = None
    kind: EventKind | None = None


def read_filters(data: Any, programme: Programme, districts: Sequence[Place]) -> ListFilters:
    """The filters of a query string; unknown values match nothing (a district or kind) or are ignored."""
    params = {key: str(data.get(key, "")).strip()[:100] for key in FILTERS}
    if params["when"] not in WHEN:
        params["when"] = "upcoming"
    result = ListFilters(params=params)
    if params["district"]:
        result.district = next((d for d in districts if d.code == params["district"]), None)
    if params["kind"]:
        result.kind = EventKind.objects.filter(programme=programme, code=params["kind"][:40]).first()
    return result


def filter_events(events: QuerySet[Event], filters: ListFilters, now: dt.datetime | None = None) -> QuerySet[Event]:
    """``events`` narrowed by ``filters`` and ordered for its tab."""
    params = filters.params
    now = now or timezone.now()
    if params["district"]:
        events = events.filter(district=filters.district) if filters.district else events.none()
    if params["kind"]:
        events = events.filter(kind=filters.kind) if filters.kind else events.none()
    if params["status"] in Status.values:
        events = events.filter(status=params["status"])
    if query := params["q"]:
        events = events.filter(title__icontains=query)
    if params["when"] == "upcoming":
        return events.filter(ends_at__gte=now).order_by("starts_at", "pk")
    if params["when"] == "past":
        return events.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return events.order_by("-starts_at", "-pk")


# --- The calendar ------------------------------------------------------------------------------------
@dataclass
class Day:
    day: dt.date
    events: list[Event]
    today: bool = False


@dataclass
class Month:
    first: dt.date
    previous: dt.date
    next: dt.date
    days: list[Day]
    count: int


def parse_month(value: str, today: dt.date) -> dt.date:
    """``2026-10`` as its first day; anything else is this month."""
    try:
        year, month = (int(part) for part in value[:7].split("-"))
        return dt.date(year, month, 1) if 1900 <= year <= 2200 and 1 <= month <= 12 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def month_of(user: Any, programme: Programme, first: dt.date, *, district: Place | None = None) -> Month:
    """The days of one month (in the programme's time zone) that have events the user may see, each
    with its events by start time. One query, whatever the number of events."""
    zone = programme_zone(programme)
    last_day = calendar.monthrange(first.year, first.month)[1]
    following = first + dt.timedelta(days=last_day)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(following, dt.time(0), tzinfo=zone)
    events = visible_events(user, programme).filter(starts_at__lt=end, ends_at__gte=start)
    if district is not None:
        events = events.filter(district=district)
    by_day: dict[dt.date, list[Event]] = {}
    for event in with_related(events).order_by("starts_at", "pk"):
        local_start = timezone.localtime(event.starts_at, zone)
        # An event that began last month shows on the first day of this one.
        day = max(local_start.date(), first)
        by_day.setdefault(day, []).append(event)
    today = timezone.localtime(timezone.now(), zone).date()
    days = [Day(day, by_day[day], today=day == today) for day in sorted(by_day)]
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return Month(first, previous, following, days, sum(len(d.events) for d in days))


# --- Places -----------------------------------------------------------------------------------------
def offered_districts(programme: Programme, user: Any) -> list[Place]:
    """The programme locations where ``user`` may record an event."""
    return scope_districts(programme, user)


def wider_places(programme: Programme, user: Any) -> list[Place]:
    """The regions holding the programme's locations, and the country: where regional and national events
    take place. Only for those who record events across the whole programme (the lead organisation)."""
    if not decide(user, "event.create", programme) or not _whole_programme(user, programme):
        return []
    codes: set[str] = set()
    for district in offered_districts(programme, user):
        codes.update(district.path.strip("/").split("/")[:-1])
    return list(Place.objects.filter(code__in=codes).order_by("depth", "path"))


def _whole_programme(user: Any, programme: Programme) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    grant = grant_in(user, programme)
    return bool(grant is not None and grant.whole_programme)


def places_under(district: Place | None) -> QuerySet[Place]:
    """The jamoats, towns and villages of ``district`` (none for a region or the country)."""
    if district is None:
        return Place.objects.none()
    return Place.objects.filter(path__startswith=district.path).exclude(pk=district.pk).order_by("path")


def events_this_week(user: Any, programme: Programme) -> QuerySet[Event]:
    """Planned or held events of the user's scope from today to six days from now (programme time)."""
    zone = programme_zone(programme)
    today = timezone.localtime(timezone.now(), zone).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=zone)
    end = start + dt.timedelta(days=7)
    return visible_events(user, programme).filter(Q(starts_at__lt=end, ends_at__gte=start), ~Q(status=Status.CANCELLED))
