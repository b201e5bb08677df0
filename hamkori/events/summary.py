"""The participation summary of a district (or all the user's districts) for a period: what the donor asks.

What it counts (held events whose day, in the programme's time zone, lies in the period):

* **events held** by kind;
* **participations**: one per named participant of an event, plus everyone counted in its tallies;
* **distinct people reached**: a registered person at five meetings counts once. People counted in
  tallies are anonymous and cannot be told apart: they are reported separately ("people counted in
  tallies", where the same person at two performances counts twice), and "people reached, all told" adds
  both: at least the distinct registered people, at most this total;
* **women** and **young people** among them, and people reached **by age band × sex**. Young people are
  those in the age bands that lie wholly within the programme's youth age (``BalancePolicy.youth_max_age``,
  30 unless an administrator changed it): with 30, the bands under 18 and 18–24, that is under 25 (the
  25–35 band is mostly older than 30). The same rule as the working groups' balance;
* **people trained per topic** (distinct person × topic over held trainings) and **knowledge gain**
  (``trainings.knowledge_gain``: people with both scores only), overall, by sex and by age band.

A person whose sex or age band differs between two of their participations (the band is copied when the
participation is recorded, so it can move on a birthday) is counted once, in one of them.

Who sees what:

* admin and staff: exact counts of the whole programme, national and regional events included when
  no district is chosen;
* a partner: exact counts of the events she can see (``Event.objects.visible_to``): every event in her
  districts, whoever organised it, but not another organisation's restricted events. Counts only: the
  summary never names anyone, so a partner of another organisation covering the same district sees the
  same numbers as the organiser's partner, and no names (those stay on the event's page, behind
  ``event.view_people``);
* a donor (``event.summary``): the same summary under disclosure control (docs/disclosure-control.md):
  counts of people from 1 to 4 show "<5", with complementary suppression; knowledge gain is published
  only for groups of 5 people or more (and never for exactly one group of a split); events are counted
  exactly (they are not people). A donor chooses a year or a quarter, never free dates, so that two
  nearly equal periods cannot be subtracted to single out one day's participants.

The number of queries is fixed (about a dozen), whatever the number of events or people.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Count, Max, QuerySet, Sum
from django.utils.translation import gettext as _

from hamkori.access.policy import grant_in, role_in
from hamkori.concerns.services import programme_districts
from hamkori.core.disclosure import DEFAULT_THRESHOLD, SECONDARY_MARK, Cell, SafeTable, protect_series
from hamkori.core.roles import LEAD_ROLES, Role
from hamkori.events.models import Attendance, Category, Event, EventKind, Status, Tally, TrainingTopic
from hamkori.events.services import local_datetime
from hamkori.events.trainings import Gain, knowledge_gain, people_trained, trained_by_topic
from hamkori.groups.models import BalancePolicy
from hamkori.kit.exports import safe_table
from hamkori.kit.spreadsheets import Sheet
from hamkori.people.models import AGE_BANDS, AgeBand, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

SEXES = [value for value, _label in Sex.choices]
BANDS = [value for value, _label in AgeBand.choices]


def young_bands(max_age: int) -> list[str]:
    """The age bands wholly within the youth age (``u18`` and ``18-24`` for 30)."""
    return [band for band, _low, high in AGE_BANDS if high <= max_age]


def youth_max_age(programme: Programme) -> int:
    value = BalancePolicy.objects.filter(programme=programme, kind="").values_list("youth_max_age", flat=True).first()
    return value if value is not None else BalancePolicy._meta.get_field("youth_max_age").default


# --- where and when ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    def bounds(self, programme: Programme) -> tuple[dt.datetime, dt.datetime]:
        """The period as instants: from the first day's midnight to the midnight after the last day."""
        return (
            local_datetime(programme, self.start, dt.time()),
            local_datetime(programme, self.end + dt.timedelta(days=1), dt.time()),
        )


def in_paths(place: Place, paths: tuple[str, ...]) -> bool:
    return any(place.path.startswith(path) or path.startswith(place.path) for path in paths)


def summary_districts(user: Any, programme: Programme) -> list[Place]:
    """The districts ``user`` may choose: all the programme's for lead roles and donors, a partner's own."""
    districts = programme_districts(programme)
    if role_in(user, programme) == Role.PARTNER:
        grant = grant_in(user, programme)
        paths = grant.place_paths if grant is not None else ()
        return [d for d in districts if in_paths(d, paths)]
    return districts


def is_protected(user: Any, programme: Programme) -> bool:
    """Counts under disclosure control: everyone but the lead roles and partners (donors)."""
    role = role_in(user, programme)
    return role not in LEAD_ROLES and role != Role.PARTNER


def scoped(
    user: Any, programme: Programme, district: Place | None, period: Period
) -> tuple[QuerySet[Event], QuerySet[Attendance], QuerySet[Tally]]:
    """The held events, named participations and tallies the summary counts, scoped for ``user``.

    Participations carry the event's district and day (copied by the services) and are read by their own
    index; for a partner they are also limited to the events she can see."""
    role = role_in(user, programme)
    lo, hi = period.bounds(programme)
    if is_protected(user, programme):
        events = Event.objects.filter(programme=programme)  # aggregates only, under disclosure control
    else:
        events = Event.objects.visible_to(user).filter(programme=programme)
    events = events.filter(status=Status.HELD, starts_at__gte=lo, starts_at__lt=hi)
    attendances = Attendance.objects.filter(programme=programme, held_on__gte=period.start, held_on__lte=period.end)
    if district is not None:
        events = events.filter(district=district)
        attendances = attendances.filter(district=district)
    if role not in LEAD_ROLES and not is_protected(user, programme):
        attendances = attendances.filter(event_id__in=events.values("pk"))
    tallies = Tally.objects.filter(event_id__in=events.values("pk"))
    return events, attendances, tallies


# --- counting (GROUP BY) --------------------------------------------------------------------------------
Grid = dict[tuple[str, str], int]  # (sex, band) -> n


def people_grid(attendances: QuerySet[Attendance]) -> tuple[Grid, Grid]:
    """Distinct registered people and their participations by sex × age band, in one query: the
    participations grouped by person inside (each person once, in one of their cells, with the number of
    their participations), counted by cell outside. Reads only the columns of the participation index."""
    inner = (
        attendances.order_by()
        .values("person_id")
        .annotate(p_sex=Max("sex"), p_band=Max("age_band"), p_n=Count("person_id"))
    )
    sql, params = inner.query.sql_with_params()
    # The inner SQL is Django's own compilation of a queryset (values are parameters, not text).
    outer = f"SELECT t.p_sex, t.p_band, COUNT(*), SUM(t.p_n) FROM ({sql}) t GROUP BY t.p_sex, t.p_band"  # noqa: S608
    people: Grid = {}
    participations: Grid = {}
    with connections[attendances.db].cursor() as cursor:
        cursor.execute(outer, params)
        for sex, band, n, total in cursor.fetchall():
            people[(sex, band)] = int(n)
            participations[(sex, band)] = int(total)
    return people, participations


def tally_grid(tallies: QuerySet[Tally]) -> Grid:
    rows = tallies.order_by().values_list("sex", "age_band").annotate(n=Sum("count"))
    return {(sex, band): n or 0 for sex, band, n in rows}


def events_by_kind(events: QuerySet[Event], kinds: list[EventKind]) -> list[tuple[str, int]]:
    counts = dict(events.order_by().values_list("kind").annotate(n=Count("pk", distinct=True)))
    return [(kind.name or kind.code, counts[kind.pk]) for kind in kinds if counts.get(kind.pk)]


# --- what the page shows ----------------------------------------------------------------------------------
def shown(value: int) -> Cell:
    return Cell(value, False)


def hidden(value: int, threshold: int = DEFAULT_THRESHOLD) -> Cell:
    """A count hidden as a consequence of another: "<5" when it is itself small, else "x"."""
    small = 1 <= value < threshold
    return Cell(None, True, small, f"<{threshold}" if small else SECONDARY_MARK)


def exact_table(counts: list[list[int]], rows: list[str], columns: list[str]) -> SafeTable:
    """A table with every count and its totals shown (the field's own scope)."""
    row_totals = [sum(line) for line in counts]
    column_totals = [sum(line[j] for line in counts) for j in range(len(columns))]
    return SafeTable(
        rows=rows,
        columns=columns,
        cells=[[shown(v) for v in line] for line in counts],
        row_totals=[shown(v) for v in row_totals],
        column_totals=[shown(v) for v in column_totals],
        grand_total=shown(sum(row_totals)),
    )


@dataclass
class GainRow:
    label: str
    people: Cell
    gain: Gain | None  # None when hidden

    @property
    def hidden(self) -> bool:
        return self.gain is None


def gain_rows(groups: list[tuple[str, Gain]], protected: bool) -> list[GainRow]:
    """Rows of a split (by sex, by age band). Protected: a group of 1 to 4 people is hidden, and if that
    leaves exactly one hidden group beside a published overall figure, the next smallest group is hidden
    too (else it would be the overall figure minus the others)."""
    hide = {i for i, (_label, g) in enumerate(groups) if protected and 0 < g.people < DEFAULT_THRESHOLD}
    if len(hide) == 1:
        others = sorted((g.people, i) for i, (_label, g) in enumerate(groups) if i not in hide and g.people)
        if others:
            hide.add(others[0][1])
    rows = []
    for i, (label, gain) in enumerate(groups):
        if i in hide:
            rows.append(GainRow(label, hidden(gain.people), None))
        else:
            rows.append(GainRow(label, shown(gain.people), gain))
    return rows


@dataclass
class Summary:
    protected: bool
    youth_max_age: int
    young_band_labels: list[str]
    events: list[tuple[str, int]]
    events_total: int
    participations: Cell
    named_participations: Cell | None
    reached_named: Cell
    reached_tallies: Cell
    reached_total: Cell
    women: Cell
    young: Cell
    table: SafeTable
    trained: list[tuple[str, Cell]]
    people_trained: Cell
    gain_overall: GainRow
    gain_by_sex: list[GainRow]
    gain_by_band: list[GainRow]
    has_suppressed: bool = False

    @property
    def gain_table(self) -> list[GainRow]:
        """All, then by sex and by age band: the groups with someone in them (or hidden)."""
        rows = [self.gain_overall, *self.gain_by_sex, *self.gain_by_band]
        return [row for row in rows if row.people.suppressed or row.people.value]


def build_summary(user: Any, programme: Programme, district: Place | None, period: Period) -> Summary:
    """The summary ``user`` sees (the view has checked ``event.summary``); a fixed number of queries."""
    protected = is_protected(user, programme)
    events, attendances, tallies = scoped(user, programme, district, period)
    max_age = youth_max_age(programme)
    young = young_bands(max_age)
    kinds = list(EventKind.objects.filter(programme=programme).order_by("order", "code"))
    topics = list(TrainingTopic.objects.filter(programme=programme).order_by("order", "code"))

    by_kind = events_by_kind(events, kinds)
    people, named = people_grid(attendances)
    counted = tally_grid(tallies)
    # Trainings are a fraction of the events: their participations are read by event (the unique index
    # on event and person), not by scanning the district's year again.
    trainings = Attendance.objects.filter(event_id__in=events.filter(kind__category=Category.TRAINING).values("pk"))
    trained = trained_by_topic(trainings, topics)
    trained_people = people_trained(trainings)
    gain = knowledge_gain(trainings)

    n_named = sum(people.values())
    n_tallied = sum(counted.values())
    n_participations = sum(named.values()) + n_tallied
    reached = Counter(people)
    reached.update(counted)
    band_labels = [str(label) for _v, label in AgeBand.choices]
    sex_labels = [str(label) for _v, label in Sex.choices]
    counts = [[reached.get((sex, band), 0) for sex in SEXES] for band in BANDS]
    women = sum(v for (sex, _b), v in reached.items() if sex == Sex.FEMALE)
    n_young = sum(v for (_s, band), v in reached.items() if band in young)
    young_labels = [str(label) for value, label in AgeBand.choices if value in young]

    if not protected:
        return Summary(
            protected=False,
            youth_max_age=max_age,
            young_band_labels=young_labels,
            events=by_kind,
            events_total=sum(n for _k, n in by_kind),
            participations=shown(n_participations),
            named_participations=shown(sum(named.values())),
            reached_named=shown(n_named),
            reached_tallies=shown(n_tallied),
            reached_total=shown(n_named + n_tallied),
            women=shown(women),
            young=shown(n_young),
            table=exact_table(counts, band_labels, sex_labels),
            trained=[(topic.name or topic.code, shown(n)) for topic, n in trained if n],
            people_trained=shown(trained_people),
            gain_overall=GainRow(_("All"), shown(gain.overall.people), gain.overall),
            gain_by_sex=gain_rows(gain.sex_rows(), False),
            gain_by_band=gain_rows(gain.band_rows(), False),
        )

    table = safe_table(counts, band_labels, sex_labels)
    total = n_named + n_tallied
    if table.grand_total is not None:
        reached_total = table.grand_total
        women_cell = table.column_totals[SEXES.index(Sex.FEMALE)]
        young_rows = [table.row_totals[BANDS.index(band)] for band in young]
        young_cell = shown(n_young) if not any(c.suppressed for c in young_rows) else hidden(n_young)
    else:
        reached_total, women_cell, young_cell = hidden(total), hidden(women), hidden(n_young)
    # Registered and tallied people add up to the table's grand total: published only when the split's own
    # protection agrees with the table's on that total.
    split = protect_series({"named": n_named, "tallies": n_tallied})
    if split.total is not None and split.total.suppressed == reached_total.suppressed:
        reached_named, reached_tallies = split.cells
    else:
        reached_named, reached_tallies = hidden(n_named), hidden(n_tallied)
    trained_series = protect_series({topic.name or topic.code: n for topic, n in trained if n})
    overall = gain_rows([(_("All"), gain.overall)], True)[0]
    by_sex = gain_rows(gain.sex_rows(), True) if not overall.hidden else []
    by_band = gain_rows(gain.band_rows(), True) if not overall.hidden else []
    summary = Summary(
        protected=True,
        youth_max_age=max_age,
        young_band_labels=young_labels,
        events=by_kind,
        events_total=sum(n for _k, n in by_kind),
        participations=hidden(n_participations)
        if 0 < n_participations < DEFAULT_THRESHOLD
        else shown(n_participations),
        named_participations=None,
        reached_named=reached_named,
        reached_tallies=reached_tallies,
        reached_total=reached_total,
        women=women_cell,
        young=young_cell,
        table=table,
        trained=trained_series.items(),
        people_trained=hidden(trained_people) if 0 < trained_people < DEFAULT_THRESHOLD else shown(trained_people),
        gain_overall=overall,
        gain_by_sex=by_sex,
        gain_by_band=by_band,
    )
    cells = [
        summary.participations,
        summary.reached_named,
        summary.reached_tallies,
        summary.reached_total,
        summary.women,
        summary.young,
        summary.people_trained,
        *(c for _l, c in summary.trained),
        overall.people,
        *(r.people for r in by_sex + by_band),
    ]
    summary.has_suppressed = table.has_suppressed or any(c.suppressed for c in cells)
    return summary


# --- the export ---------------------------------------------------------------------------------------------
def _value(cell: Cell) -> Any:
    return cell.value if not cell.suppressed else cell.label


def _number(value: float | None) -> Any:
    return value if value is not None else ""


def summary_sheet(summary: Summary, *, where: str, period: Period) -> Sheet:
    """The summary as one long sheet (section, item, measure, value): the same cells as the page, so a
    donor's file carries the same "<5" and "x" marks and never a hidden number."""
    rows: list[list[Any]] = []

    def add(section: str, item: str, measure: str, value: Any) -> None:
        rows.append([section, item, measure, value])

    period_text = f"{period.start.isoformat()} – {period.end.isoformat()}"
    add(_("Scope"), where, _("Period"), period_text)
    section = _("Events held")
    for kind, n in summary.events:
        add(section, kind, _("Events"), n)
    add(section, _("Total"), _("Events"), summary.events_total)
    section = _("People")
    add(section, _("Participations"), _("Number"), _value(summary.participations))
    if summary.named_participations is not None:
        add(section, _("Participations of registered people"), _("Number"), _value(summary.named_participations))
    add(section, _("Distinct registered people reached"), _("Number"), _value(summary.reached_named))
    add(section, _("People counted in tallies"), _("Number"), _value(summary.reached_tallies))
    add(section, _("People reached, all told"), _("Number"), _value(summary.reached_total))
    add(section, _("Women"), _("Number"), _value(summary.women))
    add(section, _("Young people"), _("Number"), _value(summary.young))
    section = _("People reached by age band and sex")
    total_label = _("Total")
    for label, cells in summary.table.lines(total_label=total_label):
        columns = [*summary.table.columns, total_label] if summary.table.has_totals else summary.table.columns
        for column, cell in zip(columns, cells, strict=True):
            add(section, label, column, _value(cell))
    section = _("People trained, once per topic")
    for topic, cell in summary.trained:
        add(section, topic, _("People"), _value(cell))
    add(section, _("Distinct people trained (any topic)"), _("People"), _value(summary.people_trained))
    section = _("Knowledge gain")
    for row in summary.gain_table:
        add(section, row.label, _("Participants with both scores"), _value(row.people))
        if row.gain is not None and row.gain.people:
            add(section, row.label, _("Mean pre-test, percent of the scale"), _number(row.gain.pre_percent))
            add(section, row.label, _("Mean post-test, percent of the scale"), _number(row.gain.post_percent))
            add(section, row.label, _("Mean gain, percentage points"), _number(row.gain.gain_percent))
            add(section, row.label, _("Mean gain, points"), _number(row.gain.mean_gain))
    notes = [
        _("Distinct registered people count each person once, however many events they attended."),
        _("People counted in tallies are anonymous: the same person at two events is counted twice."),
        _("Young people: the age bands %(bands)s (wholly within the programme's youth age, up to %(age)s).")
        % {"bands": ", ".join(summary.young_band_labels), "age": summary.youth_max_age},
    ]
    if summary.protected:
        notes.append(
            _("<5: a count from 1 to 4, hidden to protect the people counted. x: hidden to protect another cell.")
        )
    return Sheet(
        title=_("Participation summary"),
        header=[_("Section"), _("Item"), _("Measure"), _("Value")],
        hxl=["#meta+section", "#meta+item", "#indicator+name", "#indicator+value"],
        rows=rows,
        notes=notes,
    )
