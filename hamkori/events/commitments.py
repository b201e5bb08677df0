"""Commitments made at events (issue 15, item 4): a promise by the authorities or others, with owner
organisations, a due date and follow-up.

A commitment *is* an action of the community security cycle without a concern (``concerns.Action``, linked
by ``Commitment``): progress, status, notes, overdue flags, the district's overdue list and the home items
are the cycle's own (``hamkori/concerns/actions.py``), followed up on the action's page. This module adds
what is particular to events:

* which events take commitments: dialogues, and meetings and workshops (police reporting days, public
  council meetings and lesson-learning sessions also end with promises); not trainings or performances,
  and never a cancelled event;
* the district of the tracking action: the event's district; for a regional or national event (no
  district), one of the programme's locations the user chooses, among those inside the event's place
  (all of the programme's locations when none lies inside it, e.g. a national event held abroad). The
  action's district decides who follows it up and on which district's overdue list it appears;
* the due date cannot be before the event, and at least one owner organisation is named (the working
  group never owns a commitment: ``group`` stays empty, so commitments are not on a group's promises);
* who sees what: the panel on the event's page (``commitment_panels``), the list and an organisation's
  page (``views_commitments``), the origin shown on the action's page and the overdue list
  (``commitment_origins``), and a home item for the organisations that own commitments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hamkori.access.policy import decide, enforce, grant_in, role_in
from hamkori.concerns import actions as action_services
from hamkori.concerns.models import Action, overdue_q
from hamkori.concerns.origins import ActionOrigin
from hamkori.concerns.services import clean_text, programme_districts
from hamkori.core import audit
from hamkori.core.roles import Role
from hamkori.events.models import Category, Commitment, Event, Status
from hamkori.events.panels import EventPanel
from hamkori.events.services import local_date
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.home import HomeItem
from hamkori.programmes.models import Programme

#: The categories of event that take commitments.
COMMITMENT_CATEGORIES = frozenset({Category.DIALOGUE, Category.MEETING, Category.WORKSHOP})
#: A liaison's or partner's home lists the commitments of their organisation due within this many days.
DUE_SOON_DAYS = 30
#: The event's page lists at most this many commitments (the list page has them all).
MAX_PANEL_ROWS = 50


def takes_commitments(event: Event) -> bool:
    return event.kind.category in COMMITMENT_CATEGORIES and event.status != Status.CANCELLED


def event_url(event: Event) -> str:
    """The event's page (built by the event pages module; this app's own commitments page until then)."""
    try:
        return reverse("event_detail", args=[event.programme.code, event.pk])
    except NoReverseMatch:
        return reverse("event_commitments", args=[event.programme.code, event.pk])


def district_choices(event: Event) -> list[Place]:
    """Where the tracking action of a commitment may lie: the event's district, or for a regional or
    national event the programme's locations inside the event's place (all of them when none is)."""
    if event.district_id is not None:
        return [event.district]  # type: ignore[list-item]
    districts = programme_districts(event.programme)
    inside = [d for d in districts if d.path.startswith(event.place.path)]
    return inside or list(districts)


def owner_choices(event: Event, district: Place | None = None) -> QuerySet[Organisation]:
    """The organisations that may own a commitment: as for any action of the district (the lead, its
    partners there, the police and authorities of the district or above it)."""
    return action_services.owner_choices(event.programme, district or event.district)


@transaction.atomic
def commitment_create(
    *,
    actor: Any,
    event: Event,
    title: str,
    owners: Iterable[Organisation],
    due_on: dt.date | None,
    made_by: str = "",
    district: Place | None = None,
) -> Commitment:
    """Record a promise made at ``event``: the tracking action (``concerns.actions.action_create``, no
    concern) and the link, together. Whoever may change the event records it."""
    enforce(actor, "event.change", event)
    event = (
        Event.objects.select_for_update(of=("self",))
        .select_related("kind", "programme", "district", "place")
        .get(pk=event.pk)
    )
    errors: dict[str, list[str]] = {}
    if event.kind.category not in COMMITMENT_CATEGORIES:
        errors["event"] = [
            _("Commitments are recorded at dialogues, meetings and workshops, not at this kind of event.")
        ]
    elif event.status == Status.CANCELLED:
        errors["event"] = [_("This event was cancelled: no commitment was made there.")]
    try:
        made_by = clean_text(made_by, field="made_by", required=False, limit=200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    choices = district_choices(event)
    if event.district_id is not None:
        if district is not None and district.pk != event.district_id:
            errors["district"] = [_("A commitment of a district event belongs to the event's district.")]
        district = event.district
    elif district is None or district.pk not in {d.pk for d in choices}:
        errors["district"] = [_("Choose the programme location where the commitment will be followed up.")]
        district = None
    if isinstance(due_on, dt.date) and due_on < local_date(event.programme, event.starts_at):
        errors["due_on"] = [_("A commitment cannot be due before the event where it was made.")]
    owner_rows = list(dict.fromkeys(owners))
    if not owner_rows:
        errors["owners"] = [_("Choose at least one organisation that owns the commitment.")]
    try:
        # The action's own checks (the title, the owners allowed in the district, the due date, the user's
        # districts); any error of ours is raised with them, and everything is rolled back.
        action = action_services.action_create(
            actor=actor,
            programme=event.programme,
            district=district,
            title=title,
            due_on=due_on,
            owners=owner_rows,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field == "district" and "district" in errors:
                continue
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
        raise ValidationError(errors) from None
    if errors:
        raise ValidationError(errors)
    commitment = Commitment.objects.create(event=event, action=action, made_by=made_by)
    audit.record(
        actor=actor,
        action="event.commitment",
        obj=event,
        programme=event.programme,
        summary={
            "action": action.pk,
            "due_on": action.due_on.isoformat(),
            "owners": [o.pk for o in owner_rows],
            "district": district.code if district else "",
        },
    )
    return commitment


# --- Reads ---------------------------------------------------------------------------------------
def commitment_actions(user: Any, programme: Programme) -> QuerySet[Action]:
    """The tracking actions of the commitments the user may see: the action in their scope (by district,
    or owned by a liaison's organisation) and the event it was made at visible to them too."""
    return (
        Action.objects.visible_to(user)
        .filter(programme=programme, commitment__isnull=False)
        .filter(commitment__event__in=Event.objects.visible_to(user).values("pk"))
    )


def with_details(actions: QuerySet[Action]) -> QuerySet[Action]:
    return actions.select_related("district", "commitment__event").prefetch_related("ownerships__organisation")


def _panel_rows(event: Event) -> list[Commitment]:
    return list(
        Commitment.objects.filter(event=event)
        .select_related("action__district")
        .prefetch_related("action__ownerships__organisation")
        .order_by("action__due_on", "pk")[:MAX_PANEL_ROWS]
    )


def commitment_panels(user: Any, event: Event, **bound: Any) -> list[EventPanel]:
    """The event page's section of commitments: who promised what, who owns it, by when, where it stands
    (overdue in words), and the form to add one for those who may change the event. Anyone who sees
    the event sees its commitments (a liaison sees those of the dialogues where they own one); the link
    to follow one up is shown where the user sees the action. Four queries whatever the number of rows."""
    allowed = event.kind.category in COMMITMENT_CATEGORIES
    rows = _panel_rows(event)
    if not allowed and not rows:
        return []
    followed = set(Action.objects.visible_to(user).filter(commitment__event=event).values_list("pk", flat=True))
    may_add = takes_commitments(event) and bool(decide(user, "event.change", event))
    form = bound.get("form")
    if form is None and may_add:
        from hamkori.events.forms_commitments import CommitmentForm

        form = CommitmentForm(event=event)
    return [
        EventPanel(
            priority=60,
            template="events/_commitments_panel.html",
            context={
                "commitments": rows,
                "commitments_more": len(rows) == MAX_PANEL_ROWS,
                "commitments_followed": followed,
                "commitment_form": form if may_add else None,
                "commitments_cancelled": event.status == Status.CANCELLED,
            },
        )
    ]


def commitment_origins(user: Any, actions: list[Any]) -> dict[int, ActionOrigin]:
    """``concerns.origins`` source: "Commitment made at <event>" for the actions that are commitments,
    linked when the user sees the event (two queries)."""
    commitments = list(
        Commitment.objects.filter(action_id__in=[a.pk for a in actions]).select_related("event__programme")
    )
    if not commitments:
        return {}
    visible = set(
        Event.objects.visible_to(user).filter(pk__in={c.event_id for c in commitments}).values_list("pk", flat=True)
    )
    label = _("Commitment made at")
    found: dict[int, ActionOrigin] = {}
    for c in commitments:
        event = c.event
        if event.pk in visible:
            day = date_format(local_date(event.programme, event.starts_at), "SHORT_DATE_FORMAT")
            detail = f"{day}; {c.made_by}" if c.made_by else day
            found[c.action_id] = ActionOrigin(label=label, title=event.title, url=event_url(event), detail=detail)
        else:
            found[c.action_id] = ActionOrigin(label=label)
    return found


def commitment_home_items(user: Any, programme: Programme) -> list[HomeItem]:
    """A liaison's or partner's home: the commitments their organisation owns that are overdue or due
    within ``DUE_SOON_DAYS`` days, linked to the organisation's page (one query)."""
    role = role_in(user, programme)
    grant = grant_in(user, programme)
    if role not in (Role.LIAISON, Role.PARTNER) or grant is None or not grant.organisation_id:
        return []
    if not decide(user, "event.view", programme):
        return []
    today = timezone.localdate()
    open_states = [Action.State.OPEN, Action.State.IN_PROGRESS]
    counts = (
        commitment_actions(user, programme)
        .filter(ownerships__organisation_id=grant.organisation_id, state__in=open_states)
        .aggregate(
            late=Count("pk", filter=overdue_q(), distinct=True),
            soon=Count(
                "pk",
                filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS)),
                distinct=True,
            ),
        )
    )
    late, soon = counts["late"] or 0, counts["soon"] or 0
    if not late and not soon:
        return []
    details = []
    if late:
        details.append(ngettext("%(n)s overdue", "%(n)s overdue", late) % {"n": late})
    if soon:
        details.append(
            ngettext("%(n)s due within %(days)s days", "%(n)s due within %(days)s days", soon)
            % {"n": soon, "days": DUE_SOON_DAYS}
        )
    n = late + soon
    return [
        HomeItem(
            priority=4,
            text=ngettext(
                "%(n)s commitment your organisation made needs follow-up",
                "%(n)s commitments your organisation made need follow-up",
                n,
            )
            % {"n": n},
            url=reverse("organisation_commitments", args=[programme.code, grant.organisation_id]),
            count=n,
            details=tuple(details),
        )
    ]
