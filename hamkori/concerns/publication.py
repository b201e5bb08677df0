"""The public accountability page of a district: what the working group and the authorities agreed
and did, by driver, with progress; published by staff after a do-no-harm check, never naming anyone.

What the page shows, and only this:

* the introduction staff wrote when publishing;
* actions whose public wording was published (``Action.public_text`` with ``published_at``; each
  checked by whoever published it), with their status, progress, due month and the *kinds* of
  their owners ("police", "local authority", "working group"), never an organisation's or a
  person's name;
* the published "what was done" notes of concerns (``Concern.public_note``), never a
  description, a place finer than the district or anything about the reporter; notes of
  restricted concerns are left out;
* how many concerns were raised, are in progress and resolved, by driver, under disclosure control.

Nothing is shown until staff publish the page (``district_page_publish``) and nothing after they
withdraw it. The readers here run a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.access.policy import enforce
from hamkori.concerns.models import Action, ActionOwner, Concern, DistrictPage, Driver, PublicStatus, Status
from hamkori.concerns.overview import driver_labels
from hamkori.concerns.services import clean_text, programme_districts
from hamkori.core import audit
from hamkori.core.disclosure import Cell, DisclosureError, SafeSeries, protect_series
from hamkori.core.models import Sensitivity
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

MAX_INTRODUCTION = 2000

#: How an owner organisation is named in public: its kind, never its name.
OWNER_KIND: dict[str, Promise] = {
    Organisation.Kind.POLICE: gettext_lazy("police"),
    Organisation.Kind.AUTHORITY: gettext_lazy("local authority"),
    Organisation.Kind.PUBLIC_COUNCIL: gettext_lazy("public council"),
    Organisation.Kind.COMMUNITY_GROUP: gettext_lazy("community group"),
    Organisation.Kind.LEAD: gettext_lazy("civil society organisation"),
    Organisation.Kind.PARTNER: gettext_lazy("civil society organisation"),
    Organisation.Kind.MEDIA: gettext_lazy("media"),
}
OTHER_OWNER = gettext_lazy("other organisation")
WORKING_GROUP = gettext_lazy("working group")

#: An action's status in public words.
ACTION_STATUS: dict[str, Promise] = {
    Action.State.OPEN: gettext_lazy("Agreed, not started yet"),
    Action.State.IN_PROGRESS: gettext_lazy("In progress"),
    Action.State.DONE: gettext_lazy("Done"),
    Action.State.DROPPED: gettext_lazy("Dropped"),
}

#: The public counts' columns: (key, label, statuses). Merged (duplicates) and declined concerns
#: are not counted; "raised" is their total.
PUBLIC_STAGES: list[tuple[str, Promise, tuple[str, ...]]] = [
    ("new", gettext_lazy("New"), (Status.REPORTED, Status.TRIAGED)),
    ("in_progress", gettext_lazy("In progress"), (Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS)),
    ("resolved", gettext_lazy("Resolved"), (Status.RESOLVED, Status.PARTLY_RESOLVED, Status.REVIEWED)),
    ("closed", gettext_lazy("Closed without action"), (Status.NOT_ACTIONABLE, Status.REFERRED_ELSEWHERE)),
]
NOT_COUNTED = (Status.MERGED, Status.DECLINED)


# --- services ----------------------------------------------------------------------------------------
def _programme_district(programme: Programme, district: Place | None) -> Place:
    if district is None or district.pk not in {p.pk for p in programme_districts(programme)}:
        raise ValidationError({"district": [_("Choose one of the programme's locations.")]})
    return district


@transaction.atomic
def district_page_publish(
    *, actor: Any, programme: Programme, district: Place | None, introduction: str, do_no_harm_confirmed: bool
) -> DistrictPage:
    """Publish (or update) the district's public page. Staff confirm the do-no-harm check: the page
    names no one, shows no village finer than the district and nothing a reporter said verbatim."""
    enforce(actor, "concern.publish", programme)
    errors: dict[str, list[str]] = {}
    try:
        district = _programme_district(programme, district)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        introduction = clean_text(introduction, field="introduction", required=False, limit=MAX_INTRODUCTION)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if do_no_harm_confirmed is not True:
        errors["do_no_harm_confirmed"] = [
            _("Confirm the do-no-harm check: the page names no one and cannot identify anyone.")
        ]
    if errors or district is None:
        raise ValidationError(errors)
    page, _created = DistrictPage.objects.select_for_update().get_or_create(programme=programme, district=district)
    was_published = page.published_at is not None
    page.introduction = introduction
    page.published_at = timezone.now()
    page.published_by = actor if getattr(actor, "pk", None) else None
    page.do_no_harm_confirmed = True
    page.save()
    audit.record(
        actor=actor,
        action="concern.district_page_publish",
        obj=page,
        programme=programme,
        object_repr=f"{programme.code}/{district.code}",
        summary={"district": district.code, "updated": was_published, "do_no_harm_confirmed": True},
    )
    return page


@transaction.atomic
def district_page_withdraw(*, actor: Any, programme: Programme, district: Place | None) -> DistrictPage | None:
    """Take the district's public page down (it answers 404 from then on). Withdrawing a page that
    is not published changes nothing."""
    enforce(actor, "concern.publish", programme)
    district = _programme_district(programme, district)
    page = DistrictPage.objects.select_for_update().filter(programme=programme, district=district).first()
    if page is None or page.published_at is None:
        return page
    page.published_at = None
    page.do_no_harm_confirmed = False
    page.save(update_fields=["published_at", "do_no_harm_confirmed"])
    audit.record(
        actor=actor,
        action="concern.district_page_withdraw",
        obj=page,
        programme=programme,
        object_repr=f"{programme.code}/{district.code}",
        summary={"district": district.code},
    )
    return page


# --- what the page shows -----------------------------------------------------------------------------
@dataclass
class PublicAction:
    text: str
    status: str
    state: str
    progress: int
    due_on: dt.date
    overdue: bool
    owners: list[str]
    also: list[str]  # the concern's other drivers


@dataclass
class PublicNote:
    text: str
    status: str  # the concern's public status
    also: list[str]


@dataclass
class DriverBlock:
    """One driver's part of the page: the published actions and "what was done" notes of the
    concerns it is the first driver of (each shown once, with the concern's other drivers)."""

    label: str
    actions: list[PublicAction] = field(default_factory=list)
    notes: list[PublicNote] = field(default_factory=list)


@dataclass
class PublicCounts:
    """Concerns raised by driver: per row the protected series (stages) and its total (raised)."""

    columns: list[str]
    rows: list[tuple[str, Cell, list[Cell]]]
    withheld: bool = False

    @property
    def has_suppressed(self) -> bool:
        return any(raised.suppressed or any(c.suppressed for c in cells) for _label, raised, cells in self.rows)


@dataclass
class PublicDistrict:
    programme: Programme
    district: Place
    page: DistrictPage | None
    blocks: list[DriverBlock]
    counts: PublicCounts

    @property
    def action_count(self) -> int:
        return sum(len(b.actions) for b in self.blocks)

    @property
    def note_count(self) -> int:
        return sum(len(b.notes) for b in self.blocks)


def published_actions_in(programme: Programme) -> QuerySet[Action]:
    """Actions whose public wording was published."""
    return Action.objects.filter(programme=programme, published_at__isnull=False).exclude(public_text="")


def published_notes_in(programme: Programme) -> QuerySet[Concern]:
    """Concerns with a published "what was done" note (restricted and merged ones left out)."""
    return (
        Concern.objects.filter(programme=programme, public_note_published_at__isnull=False)
        .exclude(public_note="")
        .exclude(status=Status.MERGED)
        .exclude(sensitivity=Sensitivity.RESTRICTED)
    )


def published_actions(programme: Programme, district: Place) -> QuerySet[Action]:
    return published_actions_in(programme).filter(district=district).order_by("due_on", "pk")


def published_notes(programme: Programme, district: Place) -> QuerySet[Concern]:
    return published_notes_in(programme).filter(district=district).order_by("-public_note_published_at", "pk")


def _owner_kinds(action_ids: Sequence[int]) -> dict[int, set[str]]:
    kinds: dict[int, set[str]] = defaultdict(set)
    for action_id, kind in ActionOwner.objects.filter(action_id__in=action_ids).values_list(
        "action_id", "organisation__kind"
    ):
        kinds[action_id].add(kind)
    return kinds


def _public_counts(
    programme: Programme, district: Place, labels: dict[int | None, str], order: list[int]
) -> PublicCounts:
    stage_of = {status: key for key, _label, statuses in PUBLIC_STAGES for status in statuses}
    rows = (
        Concern.objects.filter(programme=programme, district=district)
        .exclude(status__in=NOT_COUNTED)
        .order_by()
        .values_list("drivers", "status")
        .annotate(n=Count("pk", distinct=True))
    )
    counts: dict[int | None, Counter[str]] = defaultdict(Counter)
    for term_id, status, n in rows:
        counts[term_id][stage_of[status]] += n
    columns = [str(label) for _key, label, _s in PUBLIC_STAGES]
    out = PublicCounts(columns=columns, rows=[])
    for row_id in [*order, None]:
        tally = counts.get(row_id)
        if not tally:
            continue
        values = {str(label): tally[key] for key, label, _s in PUBLIC_STAGES}
        try:
            # Rows overlap (a concern may have several drivers) and no programme or district total is
            # published here: each driver's row is protected on its own, with its total ("raised").
            series: SafeSeries = protect_series(values)
        except DisclosureError:
            out.withheld = True
            continue
        if series.total is not None:
            out.rows.append((labels[row_id], series.total, series.cells))
    return out


def public_district(programme: Programme, district: Place, page: DistrictPage | None = None) -> PublicDistrict:
    """Everything the district's public page shows (also the staff's preview before publishing)."""
    drivers = list(Driver.objects.filter(programme=programme).order_by("order", "code"))
    labels = driver_labels(drivers)
    labels[None] = _("Other concerns")
    order = [d.pk for d in drivers]
    actions = list(published_actions(programme, district))
    notes = list(published_notes(programme, district).only("pk", "status", "public_note"))
    concern_ids = {a.concern_id for a in actions if a.concern_id} | {c.pk for c in notes}
    drivers_of: dict[int, list[int]] = defaultdict(list)
    for concern_id, driver_id in Concern.drivers.through.objects.filter(concern_id__in=concern_ids).values_list(
        "concern_id", "driver_id"
    ):
        drivers_of[concern_id].append(driver_id)
    kinds = _owner_kinds([a.pk for a in actions])
    blocks: dict[int | None, DriverBlock] = {}

    def placed(concern_id: int | None) -> tuple[DriverBlock, list[str]]:
        """The block of the concern's first driver, and the names of its other drivers."""
        ids: list[int | None] = [pk for pk in order if pk in drivers_of.get(concern_id or 0, ())] or [None]
        first = ids[0]
        block = blocks.setdefault(first, DriverBlock(labels.get(first, labels[None])))
        return block, [labels[pk] for pk in ids[1:]]

    for action in actions:
        owners = sorted({str(OWNER_KIND.get(kind, OTHER_OWNER)) for kind in kinds.get(action.pk, set())})
        if action.group_owns:
            owners.insert(0, str(WORKING_GROUP))
        block, also = placed(action.concern_id)
        block.actions.append(
            PublicAction(
                text=action.public_text,
                status=str(ACTION_STATUS.get(action.state, action.state)),
                state=action.state,
                progress=100 if action.state == Action.State.DONE else action.progress,
                due_on=action.due_on,
                overdue=action.is_overdue,
                owners=owners,
                also=also,
            )
        )
    for concern in notes:
        block, also = placed(concern.pk)
        block.notes.append(PublicNote(concern.public_note, str(PublicStatus(concern.public_status).label), also))
    ordered = [blocks[pk] for pk in [*order, None] if pk in blocks]
    return PublicDistrict(
        programme=programme,
        district=district,
        page=page,
        blocks=ordered,
        counts=_public_counts(programme, district, labels, order),
    )
