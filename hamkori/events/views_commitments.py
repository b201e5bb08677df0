"""Pages of commitments: adding one to an event (posted from the event's page), an event's commitments on
their own, the programme's commitments, and an organisation's page in the programme (what it owns).
Following one up is the action's page of the community security cycle (``concerns.views_actions``).
Thin views: fetch through ``get_for_user`` or ``visible_to``, one service, a page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import get_for_user
from hamkori.concerns.models import Action, ActionOwner, overdue_q
from hamkori.concerns.origins import action_origins
from hamkori.concerns.services import programme_districts
from hamkori.events import commitments as services
from hamkori.events.forms_commitments import CommitmentForm
from hamkori.events.models import Event
from hamkori.kit.pages import form_then_service, render_page
from hamkori.orgs.models import Organisation
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50
SHOW = {"open", "late", "done", "all"}


def _event(request: ProgrammeRequest, event_id: int, action: str = "view") -> Event:
    return get_for_user(request.user, Event, action, pk=event_id, programme=request.programme)


def _event_page(request: ProgrammeRequest, event: Event, *, status: int = 200, **bound: Any) -> HttpResponse:
    event = Event.objects.select_related("kind", "programme", "place", "district").get(pk=event.pk)
    panels = services.commitment_panels(request.user, event, **bound)
    context: dict[str, Any] = {"event": event, "event_link": services.event_url(event), "panels": panels}
    for panel in panels:  # this page holds only this module's panel: its context is the page's
        context.update(panel.context)
    return render_page(request, "events/commitments.html", context, status=status)


@programme_view(action="event.view")
def event_commitments(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    """An event's commitments on their own (the event's page shows the same section)."""
    return _event_page(request, _event(request, event_id))


@require_POST
@programme_view(action="event.change")
def commitment_add(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id, "change")
    form = CommitmentForm(request.POST, event=event)
    done = form_then_service(
        form,
        lambda data: services.commitment_create(
            actor=request.user,
            event=event,
            title=data["title"],
            made_by=data["made_by"],
            owners=list(data["owners"]),
            due_on=data["due_on"],
            district=data.get("district"),
        ),
    )
    if done:
        messages.success(request, _("The commitment was recorded: %(title)s.") % {"title": done.value.action.title})
        return redirect(f"{services.event_url(event)}#commitments")
    return _event_page(request, event, status=422, form=form)


def _filters(request: ProgrammeRequest, *keys: str) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:40] for key in keys}


def _shown(actions: Any, show: str) -> Any:
    if show == "late":
        return actions.filter(overdue_q())
    if show == "done":
        return actions.filter(state=Action.State.DONE)
    if show == "all":
        return actions
    return actions.filter(state__in=[Action.State.OPEN, Action.State.IN_PROGRESS])


def _counts(actions: Any) -> dict[str, int]:
    return actions.aggregate(
        open=Count("pk", filter=Q(state__in=[Action.State.OPEN, Action.State.IN_PROGRESS]), distinct=True),
        late=Count("pk", filter=overdue_q(), distinct=True),
        done=Count("pk", filter=Q(state=Action.State.DONE), distinct=True),
    )


@programme_view(action="event.view")
def commitment_list(request: ProgrammeRequest) -> HttpResponse:
    """The commitments made at the programme's events that the user may see, open ones first by due date;
    filters by district, owner organisation and status; the organisations that own them, each linked to
    its page."""
    programme = request.programme
    base = services.commitment_actions(request.user, programme)
    filters = _filters(request, "district", "organisation", "show")
    if filters["show"] not in SHOW:
        filters["show"] = "open"
    districts = programme_districts(programme)
    actions = base
    if filters["district"] in {d.code for d in districts}:
        actions = actions.filter(district__code=filters["district"])
    organisation = None
    if filters["organisation"].isdigit() and len(filters["organisation"]) < 12:
        organisation = Organisation.objects.filter(pk=int(filters["organisation"])).first()
        actions = actions.filter(ownerships__organisation_id=int(filters["organisation"]))
    owners = _owner_counts(base)
    counts = _counts(actions)
    page = Paginator(
        services.with_details(_shown(actions, filters["show"]).distinct()).order_by("due_on", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render_page(
        request,
        "events/commitment_list.html",
        {
            "page": page,
            "rows": _rows(request, list(page.object_list)),
            "filters": filters,
            "params": filters,
            "districts": districts,
            "owners": owners,
            "organisation": organisation,
            "counts": counts,
        },
        partial="rows",
    )


def _owner_counts(actions: Any) -> list[dict[str, Any]]:
    """The organisations owning the given commitments, with how many are open and overdue (two queries)."""
    rows = (
        ActionOwner.objects.filter(action__in=actions.values("pk"))
        .values("organisation_id")
        .annotate(
            open=Count("pk", filter=Q(action__state__in=[Action.State.OPEN, Action.State.IN_PROGRESS])),
            late=Count("pk", filter=overdue_q("action__")),
            total=Count("pk"),
        )
    )
    counts = {r["organisation_id"]: r for r in rows}
    organisations = Organisation.objects.filter(pk__in=counts).order_by("kind", "name_en")
    return [{"organisation": o, **counts[o.pk]} for o in organisations]


def _rows(request: ProgrammeRequest, actions: list[Action]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    origins = action_origins(request.user, actions)
    return [
        {
            "action": a,
            "origin": origins.get(a.pk),
            "owners": [o.organisation for o in a.ownerships.all()],
            "days_late": (today - a.due_on).days if a.is_overdue else 0,
        }
        for a in actions
    ]


def _programme_organisations(programme: Any) -> Any:
    """The organisations of a programme: its lead, partners and donors, and any that owns one of its
    actions. (Organisations are not personal data, but a programme's page of an organisation that has
    nothing to do with it would only tell that the organisation exists: 404.)"""
    return Organisation.objects.filter(
        Q(pk=programme.lead_organisation_id)
        | Q(pk__in=programme.partnerships.values("organisation_id"))
        | Q(pk__in=programme.donors.values("pk"))
        | Q(pk__in=ActionOwner.objects.filter(action__programme=programme).values("organisation_id"))
    )


@programme_view(action="event.view")
def organisation_commitments(request: ProgrammeRequest, organisation_id: int) -> HttpResponse:
    """An organisation's page in the programme: the commitments and actions it owns that the user may see
    (commitments with the event they were made at, actions with their concern), with their status."""
    programme = request.programme
    organisation = get_object_or_404(_programme_organisations(programme), pk=organisation_id)
    filters = _filters(request, "show")
    if filters["show"] not in SHOW:
        filters["show"] = "open"
    owned = Action.objects.visible_to(request.user).filter(programme=programme, ownerships__organisation=organisation)
    # A commitment of an event the user may not see stays out (the action's title would tell of it).
    owned = owned.filter(Q(commitment__isnull=True) | Q(commitment__event__in=Event.objects.visible_to(request.user)))
    counts = _counts(owned)
    page = Paginator(
        services.with_details(_shown(owned, filters["show"]).distinct())
        .select_related("concern")
        .order_by("due_on", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render_page(
        request,
        "events/organisation.html",
        {
            "organisation": organisation,
            "page": page,
            "rows": _rows(request, list(page.object_list)),
            "filters": filters,
            "params": filters,
            "counts": counts,
        },
        partial="rows",
    )
