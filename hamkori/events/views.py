"""The event pages, mounted under ``/p/<code>/events/`` (``hamkori/config/urls.py``): the list with its
tabs and filters, the month calendar, an event's page (with the panels other modules register: attendance,
scores, commitments, files), recording and editing, holding and cancelling, and the events vocabulary.

Thin views: parse, fetch through the scope (``get_for_user`` / ``selectors``), one service, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, require
from hamkori.concerns.selectors import visible_concerns
from hamkori.concerns.views import vocabulary_page
from hamkori.core.roles import FIELD_ROLES
from hamkori.events import selectors, services
from hamkori.events.forms import CancelForm, EventForm, initial_from_post, service_errors
from hamkori.events.models import Event, EventKind, Status
from hamkori.events.panels import event_panels
from hamkori.events.vocabulary import EVENT_TERM_KINDS
from hamkori.groups.models import WorkingGroup
from hamkori.kit.pages import form_then_service, render_page
from hamkori.people.selectors import names_for
from hamkori.people.views import picker_context
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50


def _event(request: ProgrammeRequest, event_id: int, action: str = "view") -> Event:
    event = get_for_user(request.user, Event, action, pk=event_id, programme=request.programme)
    return Event.objects.select_related("programme", "kind", "place", "district", "organiser").get(pk=event.pk)


def _detail_url(event: Event) -> str:
    return reverse("event_detail", args=[event.programme.code, event.pk])


# --- The list and the calendar ----------------------------------------------------------------------
@programme_view(action="event.view")
def event_list(request: ProgrammeRequest) -> HttpResponse:
    """Events in the user's scope: upcoming (soonest first), past (latest first) or all, fifty to a page."""
    programme, user = request.programme, request.user
    districts = selectors.offered_districts(programme, user)
    filters = selectors.read_filters(request.GET, programme, districts)
    events = selectors.with_related(selectors.filter_events(selectors.visible_events(user, programme), filters))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page.object_list),
        "params": filters.params,
        "filters": filters.params,
        "tabs": [("upcoming", _("Upcoming")), ("past", _("Past")), ("all", _("All"))],
        "districts": districts,
        "kinds": EventKind.objects.filter(programme=programme).only("pk", "code", "name_tg", "name_ru", "name_en"),
        "statuses": Status.choices,
        "zone": services.programme_zone(programme),
        "may_create": bool(decide(user, "event.create", programme)),
        "may_vocabulary": bool(decide(user, "event.vocabulary", programme)),
        "may_summary": bool(decide(user, "event.summary", programme)),
    }
    return render_page(request, "events/list.html", context, partial="rows")


@programme_view(action="event.view")
def event_calendar(request: ProgrammeRequest) -> HttpResponse:
    """One month (``?month=2026-10``) as a list of the days that have events, in the programme's time zone."""
    programme, user = request.programme, request.user
    zone = services.programme_zone(programme)
    today = timezone.localtime(timezone.now(), zone).date()
    first = selectors.parse_month(request.GET.get("month", ""), today)
    districts = selectors.offered_districts(programme, user)
    code = request.GET.get("district", "")[:80]
    district = next((d for d in districts if d.code == code), None)
    month = selectors.month_of(user, programme, first, district=district)
    return render(
        request,
        "events/calendar.html",
        {
            "month": month,
            "zone": zone,
            "districts": districts,
            "district": district,
            "params": {"district": district.code if district else ""},
            "may_create": bool(decide(user, "event.create", programme)),
        },
    )


# --- An event's page ---------------------------------------------------------------------------------
def _detail_context(request: ProgrammeRequest, event: Event, **extra: Any) -> dict[str, Any]:
    user = request.user
    change = decide(user, "event.change", event)
    facilitators = list(event.facilitators.all())
    started = event.starts_at <= timezone.now()
    may_change = bool(change)
    return {
        "event": event,
        "zone": services.programme_zone(event.programme),
        "facilitators": facilitators,
        "names": names_for(user, facilitators, f"event {event.pk}: facilitators")
        if facilitators and decide(user, "event.view_people", event)
        else {},
        "groups": list(WorkingGroup.objects.visible_to(user).filter(events=event).order_by("name")),
        "concerns": list(visible_concerns(user, event.programme).filter(discussed_at=event).order_by("reference")),
        "topics": list(event.topics.all()),
        "may_change": may_change,
        "change_refusal": "" if may_change or request.role not in FIELD_ROLES else str(change.reason),
        "may_hold": may_change and event.status == Status.PLANNED and started,
        "may_cancel": may_change and event.status == Status.PLANNED,
        "cancel_form": CancelForm(),
        "status_errors": [],
        "panels": [
            render_to_string(panel.template, {**panel.context, "event": event}, request=request)
            for panel in event_panels(user, event)
        ],
    } | extra


@programme_view(action="event.view")
def event_detail(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)
    return render(request, "events/detail.html", _detail_context(request, event))


@require_POST
@programme_view(action="event.change")
def event_hold(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id, "change")
    try:
        services.event_hold(actor=request.user, event=event)
    except ValidationError as exc:
        return render(
            request, "events/detail.html", _detail_context(request, event, status_errors=exc.messages), status=422
        )
    messages.success(request, _("The event is marked as held."))
    return redirect(_detail_url(event))


@require_POST
@programme_view(action="event.change")
def event_cancel(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id, "change")
    form = CancelForm(request.POST)
    if form_then_service(
        form, lambda data: services.event_cancel(actor=request.user, event=event, reason=data["reason"])
    ):
        messages.success(request, _("The event is cancelled."))
        return redirect(_detail_url(event))
    return render(
        request,
        "events/detail.html",
        _detail_context(request, event, cancel_form=form, status_errors=form.non_field_errors()),
        status=422,
    )


# --- Recording and editing ---------------------------------------------------------------------------
def _event_form_page(request: ProgrammeRequest, *, event: Event | None, initial: dict[str, Any]) -> HttpResponse:
    programme = request.programme
    options: dict[str, Any] = {"programme": programme, "user": request.user, "event": event}
    picker = picker_context(request, field="facilitator", label=_("Add a facilitator"))
    context: dict[str, Any] = {"event": event, "picker": picker}
    if request.method == "POST" and "_refresh" in request.POST:
        # A place or a kind was chosen: show the form again with what they offer, nothing saved.
        form = EventForm(initial=initial_from_post(request.POST), **options)
        return render_page(request, "events/form.html", {**context, "form": form}, partial="form")
    form = EventForm(request.POST if request.method == "POST" else None, initial=initial, **options)
    if request.method != "POST":
        return render_page(request, "events/form.html", {**context, "form": form}, partial="form")

    def save(data: dict[str, Any]) -> Event:
        values = form.service_values()
        try:
            if event is None:
                return services.event_create(actor=request.user, programme=programme, **values)
            return services.event_update(actor=request.user, event=event, **values)
        except ValidationError as exc:
            raise service_errors(exc) from exc

    done = form_then_service(form, save)
    if done:
        messages.success(request, _("The event was recorded.") if event is None else _("The changes were saved."))
        return redirect(_detail_url(done.value))
    return render_page(request, "events/form.html", {**context, "form": form}, partial="form", status=422)


@programme_view(action="event.create")
def event_create(request: ProgrammeRequest) -> HttpResponse:
    require(request.user, "event.create", request.programme)
    initial: dict[str, Any] = {}
    kind = request.GET.get("kind", "")[:40]
    if kind:
        found = EventKind.objects.filter(programme=request.programme, code=kind, active=True).first()
        initial["kind"] = found.pk if found else None
    day = request.GET.get("day", "")[:10]
    if day:
        initial["starts_on"] = day
    return _event_form_page(request, event=None, initial=initial)


@programme_view(action="event.change")
def event_edit(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id, "change")
    zone = services.programme_zone(event.programme)
    starts, ends = timezone.localtime(event.starts_at, zone), timezone.localtime(event.ends_at, zone)
    initial = {
        "kind": event.kind_id,
        "title": event.title,
        "level": event.level,
        "starts_on": starts.date(),
        "starts_time": starts.time().replace(second=0, microsecond=0),
        "ends_time": ends.time().replace(second=0, microsecond=0),
        "ends_on": ends.date() if ends.date() != starts.date() else None,
        "where": event.district_id or event.place_id,
        "place": event.place_id if event.district_id and event.place_id != event.district_id else None,
        "venue": event.venue,
        "language": event.language,
        "organiser": event.organiser_id,
        "facilitators": [p.code for p in event.facilitators.all()],
        "groups": [g.pk for g in event.groups.all()],
        "concerns": [c.pk for c in event.concerns.all()],
        "topics": [t.pk for t in event.topics.all()],
        "test_max_score": event.test_max_score,
        "agenda": event.agenda,
        "minutes": event.minutes,
        "decisions": event.decisions,
        "sensitivity": event.sensitivity,
    }
    return _event_form_page(request, event=event, initial=initial)


# --- Vocabulary --------------------------------------------------------------------------------------
@programme_view(action="event.vocabulary")
def event_vocabulary(request: ProgrammeRequest) -> HttpResponse:
    """The programme's kinds of event (each with its category), training topics and attendee roles."""
    return vocabulary_page(
        request,
        kinds=EVENT_TERM_KINDS,
        url_name="event_vocabulary",
        title=_("Kinds of event, training topics and attendee roles"),
        lead=_(
            "The programme's own words for its events, in Tajik, Russian and English. The category of a kind "
            "decides what its events record: trainings have topics and test scores, dialogues have commitments. "
            "An entry is never deleted: take it out of use, and events that carry it keep it."
        ),
    )
