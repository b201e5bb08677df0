"""The programme overview across districts: concerns by district and stage, by driver, and actions
on time, late and done by district, as charts with their tables (``hamkori.kit.charts``).

Who sees what (``shared/design/domain.md``, data protection):

* admin and staff: exact counts of what they may see (``visible_to``: the whole programme);
* a partner: exact counts in her districts (``visible_to``), and the programme's other districts
  as counts under disclosure control;
* a donor: every district under disclosure control ("<5" and secondary suppression, nothing finer
  than a district), never a row. These counts read every concern of the districts, not
  ``visible_to``: they are aggregates, published only through :mod:`hamkori.core.disclosure`.

Each section costs a fixed number of GROUP BY queries, whatever the number of concerns.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.access.policy import decide, grant_in, role_in
from hamkori.concerns.models import Action, Concern, Driver, Status
from hamkori.concerns.services import programme_districts
from hamkori.core.disclosure import DisclosureError, protect, protect_series
from hamkori.core.roles import LEAD_ROLES, Role
from hamkori.kit.charts import Chart
from hamkori.places.models import Place, place_labels
from hamkori.programmes.home import HomePanel
from hamkori.programmes.models import Programme


@dataclass(frozen=True)
class Stage:
    key: str
    label: Promise
    statuses: tuple[str, ...]
    color: str


#: The stages of the overview (merged concerns are duplicates and are not counted).
STAGES = [
    Stage("new", gettext_lazy("New"), (Status.REPORTED, Status.TRIAGED), "#56B4E9"),
    Stage("prioritised", gettext_lazy("Prioritised"), (Status.PRIORITISED,), "#0072B2"),
    Stage("planned", gettext_lazy("Action planned"), (Status.PLANNED,), "#CC79A7"),
    Stage("in_progress", gettext_lazy("In progress"), (Status.IN_PROGRESS,), "#E69F00"),
    Stage(
        "resolved",
        gettext_lazy("Resolved"),
        (Status.RESOLVED, Status.PARTLY_RESOLVED, Status.REVIEWED),
        "#009E73",
    ),
    Stage(
        "closed",
        gettext_lazy("Closed without action"),
        (Status.NOT_ACTIONABLE, Status.REFERRED_ELSEWHERE, Status.DECLINED),
        "#999999",
    ),
]
STAGE_OF = {status: stage.key for stage in STAGES for status in stage.statuses}

#: Actions by how they stand (dropped actions are not counted).
ACTION_COLUMNS = [
    ("on_time", gettext_lazy("On time"), "#0072B2"),
    ("late", gettext_lazy("Late"), "#D55E00"),
    ("done", gettext_lazy("Done"), "#009E73"),
]


@dataclass
class Section:
    """One block of the overview: exact counts of the user's scope, or protected counts."""

    title: str
    protected: bool
    charts: list[Chart] = field(default_factory=list)
    #: Titles of tables too small to publish at all (shown as a sentence instead).
    withheld: list[str] = field(default_factory=list)


# --- counting (GROUP BY) ---------------------------------------------------------------------------
def stage_counts(concerns: QuerySet[Concern]) -> dict[int, Counter[str]]:
    """``{district id: {stage key: n}}`` in one query."""
    rows = (
        concerns.exclude(status=Status.MERGED)
        .order_by()
        .values_list("district_id", "status")
        .annotate(n=Count("pk", distinct=True))
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for district_id, status, n in rows:
        out[district_id][STAGE_OF.get(status, "closed")] += n
    return out


def driver_counts(concerns: QuerySet[Concern]) -> Counter[int | None]:
    """``{driver id or None (not yet categorised): n}`` in one query; a concern with several drivers
    counts once for each."""
    rows = (
        concerns.exclude(status=Status.MERGED).order_by().values_list("drivers").annotate(n=Count("pk", distinct=True))
    )
    return Counter(dict(rows))


def action_counts(actions: QuerySet[Action], today: dt.date) -> dict[int, Counter[str]]:
    """``{district id: {"on_time"|"late"|"done": n}}`` in one query."""
    rows = (
        actions.exclude(state=Action.State.DROPPED)
        .order_by()
        .values_list("district_id", "state")
        .annotate(n=Count("pk", distinct=True), late=Count("pk", distinct=True, filter=Q(due_on__lt=today)))
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for district_id, state, n, late in rows:
        if state == Action.State.DONE:
            out[district_id]["done"] += n
        else:
            out[district_id]["late"] += late
            out[district_id]["on_time"] += n - late
    return out


def driver_labels(drivers: Sequence[Driver]) -> dict[int | None, str]:
    """Each driver's name (unique: a repeated name gets its code), and "not yet categorised"."""
    labels: dict[int | None, str] = {}
    seen: set[str] = set()
    for driver in drivers:
        name = driver.name or driver.code
        labels[driver.pk] = f"{name} ({driver.code})" if name in seen else name
        seen.add(name)
    labels[None] = _("Not yet categorised")
    return labels


# --- charts ----------------------------------------------------------------------------------------
def _titles() -> dict[str, str]:
    return {
        "stages": _("Concerns by district and stage"),
        "drivers": _("Concerns by driver of insecurity"),
        "actions": _("Actions on time, late and done, by district"),
    }


DRIVER_NOTE = gettext_lazy("A concern with several drivers counts once for each.")


def _grids(
    districts: Sequence[Place], stages: dict[int, Counter[str]], actions: dict[int, Counter[str]]
) -> tuple[list[list[int]], list[list[int]]]:
    stage_grid = [[stages.get(d.pk, Counter())[s.key] for s in STAGES] for d in districts]
    action_grid = [[actions.get(d.pk, Counter())[key] for key, _label, _c in ACTION_COLUMNS] for d in districts]
    return stage_grid, action_grid


def _driver_items(drivers: Sequence[Driver], counts: Counter[int | None]) -> list[tuple[str, int]]:
    labels = driver_labels(drivers)
    items = [(labels[d.pk], counts.get(d.pk, 0)) for d in drivers]
    if counts.get(None):
        items.append((labels[None], counts[None]))
    return items


def exact_section(
    title: str,
    prefix: str,
    districts: Sequence[Place],
    concerns: QuerySet[Concern],
    actions: QuerySet[Action],
    drivers: Sequence[Driver],
    today: dt.date,
) -> Section:
    """Exact counts (the field's own scope)."""
    titles = _titles()
    stage_grid, action_grid = _grids(districts, stage_counts(concerns), action_counts(actions, today))
    names = place_labels(districts)
    driver_items = _driver_items(drivers, driver_counts(concerns))
    district = _("District")
    return Section(
        title=title,
        protected=False,
        charts=[
            Chart.from_counts(
                id=f"{prefix}-stages",
                title=titles["stages"],
                corner=district,
                labels=names,
                columns=[str(s.label) for s in STAGES],
                counts=stage_grid,
                stacked=True,
                colors=[s.color for s in STAGES],
            ),
            Chart.from_counts(
                id=f"{prefix}-drivers",
                title=titles["drivers"],
                corner=_("Driver"),
                labels=[label for label, _n in driver_items],
                columns=[_("Concerns")],
                counts=[[n] for _label, n in driver_items],
                totals=False,
                note=str(DRIVER_NOTE),
            ),
            Chart.from_counts(
                id=f"{prefix}-actions",
                title=titles["actions"],
                corner=district,
                labels=names,
                columns=[str(label) for _k, label, _c in ACTION_COLUMNS],
                counts=action_grid,
                stacked=True,
                colors=[c for _k, _l, c in ACTION_COLUMNS],
            ),
        ],
    )


def _protected_table(
    section: Section,
    *,
    id: str,
    title: str,
    corner: str,
    labels: list[str],
    columns: list[str],
    counts: Any,
    **opts: Any,
) -> None:
    """Protect a district table with its totals; without them if that is impossible; else withhold it."""
    if not labels:
        return
    for show_totals in (True, False):
        try:
            table = protect(counts, labels, columns, show_totals=show_totals)
        except DisclosureError:
            continue
        section.charts.append(Chart.from_table(id=id, title=title, corner=corner, table=table, **opts))
        return
    section.withheld.append(title)


def protected_section(
    title: str,
    prefix: str,
    districts: Sequence[Place],
    concerns: QuerySet[Concern],
    actions: QuerySet[Action],
    drivers: Sequence[Driver],
    today: dt.date,
) -> Section:
    """Counts under disclosure control: "<5" and secondary suppression, nothing finer than a district."""
    titles = _titles()
    section = Section(title=title, protected=True)
    stage_grid, action_grid = _grids(districts, stage_counts(concerns), action_counts(actions, today))
    names = place_labels(districts)
    district = _("District")
    _protected_table(
        section,
        id=f"{prefix}-stages",
        title=titles["stages"],
        corner=district,
        labels=names,
        columns=[str(s.label) for s in STAGES],
        counts=stage_grid,
        stacked=True,
        colors=[s.color for s in STAGES],
    )
    # Drivers overlap (a concern may have several), so their sum is no total worth showing; the
    # pattern is still chosen as if it were published, since with one driver a concern it equals
    # the number of concerns, which the stage table may publish.
    items = _driver_items(drivers, driver_counts(concerns))
    try:
        series = protect_series(dict(items))
    except DisclosureError:
        section.withheld.append(titles["drivers"])
    else:
        section.charts.append(
            Chart.from_series(
                id=f"{prefix}-drivers",
                title=titles["drivers"],
                corner=_("Driver"),
                column=_("Concerns"),
                series=series,
                show_total=False,
                note=str(DRIVER_NOTE),
            )
        )
    _protected_table(
        section,
        id=f"{prefix}-actions",
        title=titles["actions"],
        corner=district,
        labels=names,
        columns=[str(label) for _k, label, _c in ACTION_COLUMNS],
        counts=action_grid,
        stacked=True,
        colors=[c for _k, _l, c in ACTION_COLUMNS],
    )
    return section


def in_paths(place: Place, paths: Sequence[str]) -> bool:
    return any(place.path.startswith(path) for path in paths)


def overview_sections(user: Any, programme: Programme) -> list[Section]:
    """The sections ``user`` sees (the page's view has already checked ``concern.view_overview``)."""
    role = role_in(user, programme)
    today = timezone.localdate()
    districts = programme_districts(programme)
    drivers = list(Driver.objects.filter(programme=programme).order_by("order", "code"))
    visible = Concern.objects.visible_to(user).filter(programme=programme)
    visible_actions = Action.objects.visible_to(user).filter(programme=programme)
    everything = Concern.objects.filter(programme=programme)
    all_actions = Action.objects.filter(programme=programme)
    if role in LEAD_ROLES:
        return [exact_section(_("Across the programme"), "all", districts, visible, visible_actions, drivers, today)]
    if role == Role.PARTNER:
        grant = grant_in(user, programme)
        paths = grant.place_paths if grant is not None else ()
        mine = [d for d in districts if in_paths(d, paths)]
        others = [d for d in districts if not in_paths(d, paths)]
        sections = []
        if mine:
            sections.append(exact_section(_("Your districts"), "mine", mine, visible, visible_actions, drivers, today))
        if others:
            ids = [d.pk for d in others]
            sections.append(
                protected_section(
                    _("The programme's other districts"),
                    "others",
                    others,
                    everything.filter(district_id__in=ids),
                    all_actions.filter(district_id__in=ids),
                    drivers,
                    today,
                )
            )
        return sections
    return [protected_section(_("Across the programme"), "all", districts, everything, all_actions, drivers, today)]


# --- the home page -----------------------------------------------------------------------------------
def overview_panels(user: Any, programme: Programme) -> list[HomePanel]:
    """A link to the overview for those who may open it (donors first of all); staff also get the
    public pages. No query: the grants are already loaded."""
    if not decide(user, "concern.view_overview", programme):
        return []
    code = programme.code
    return [
        HomePanel(
            priority=20,
            template="concerns/_home_overview.html",
            context={
                "overview_url": reverse("concern_overview", args=[code]),
                "publish_url": reverse("concern_publish", args=[code])
                if decide(user, "concern.publish", programme)
                else "",
                "is_donor": role_in(user, programme) == Role.DONOR,
            },
        )
    ]
