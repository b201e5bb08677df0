"""Representation balance of working groups, as of any date: share of women against the programme's
target, coverage of the required sectors, young people, ethnic minorities and labour migrants.

Reads only; a fixed number of queries whatever the number of groups or members."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from hamkori.core.disclosure import DisclosureError, protect
from hamkori.groups.models import BalancePolicy, Membership, WorkingGroup, current_q
from hamkori.people.models import AGE_BANDS, Person, Sector
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

MINORITY = "ethnic_minority"
MIGRANT = "labour_migrant"


@dataclass
class Balance:
    members: int = 0
    women: int = 0
    young: int = 0
    minorities: int = 0
    migrants: int = 0
    sectors: set[str] = field(default_factory=set)
    target_percent: int = 50
    minimum_percent: int = 40
    minimum_members: int = 0
    youth_max_age: int = 30
    required: list[Sector] = field(default_factory=list)

    @property
    def women_percent(self) -> int:
        return round(100 * self.women / self.members) if self.members else 0

    @property
    def young_percent(self) -> int:
        return round(100 * self.young / self.members) if self.members else 0

    @property
    def missing_sectors(self) -> list[Sector]:
        return [s for s in self.required if s.code not in self.sectors]

    @property
    def women_below_minimum(self) -> bool:
        return self.members == 0 or self.women_percent < self.minimum_percent

    @property
    def women_on_target(self) -> bool:
        return self.members > 0 and self.women_percent >= self.target_percent

    @property
    def meets_minimums(self) -> bool:
        return not self.women_below_minimum and not self.missing_sectors and self.members >= self.minimum_members

    def issues(self) -> list[str]:
        """What is missing, in words a facilitator acts on."""
        found = []
        if self.members < self.minimum_members:
            found.append(_("%(n)s members of at least %(min)s") % {"n": self.members, "min": self.minimum_members})
        if self.women_below_minimum:
            found.append(
                _("women %(women)s of %(members)s (below %(min)s%%)")
                % {"women": self.women, "members": self.members, "min": self.minimum_percent}
            )
        elif not self.women_on_target:
            found.append(
                _("women %(women)s of %(members)s (target %(target)s%%)")
                % {"women": self.women, "members": self.members, "target": self.target_percent}
            )
        for sector in self.missing_sectors:
            found.append(_("no %(sector)s") % {"sector": sector.name.lower()})
        if self.members and not self.young:
            found.append(_("no young people (up to %(age)s)") % {"age": self.youth_max_age})
        return found

    def add(self, other: Balance) -> None:
        self.members += other.members
        self.women += other.women
        self.young += other.young
        self.minorities += other.minorities
        self.migrants += other.migrants
        self.sectors |= other.sectors


def policies_for(programme: Programme) -> dict[str, BalancePolicy]:
    """{kind: policy} of the programme, "" being the programme-wide default (unsaved defaults until an
    administrator sets them). One query, plus one for the sectors."""
    found = {p.kind: p for p in BalancePolicy.objects.filter(programme=programme).prefetch_related("required_sectors")}
    found.setdefault("", BalancePolicy(programme=programme))
    return found


def policy_for(programme: Programme, kind: str = "") -> BalancePolicy:
    """The rules for groups of ``kind``: the kind's own, else the programme-wide ones."""
    policies = policies_for(programme)
    return policies.get(kind) or policies[""]


def required_sectors(policy: BalancePolicy) -> list[Sector]:
    return list(policy.required_sectors.all()) if policy.pk else []


def _empty(policy: BalancePolicy) -> Balance:
    return Balance(
        target_percent=policy.women_target_percent,
        minimum_percent=policy.women_minimum_percent,
        minimum_members=policy.minimum_members,
        youth_max_age=policy.youth_max_age,
        required=required_sectors(policy),
    )


def is_young(person: Person, on: dt.date, max_age: int) -> bool:
    return _young(person.birth_year, person.age_band, on, max_age)


def _young(birth_year: int | None, age_band: str | None, on: dt.date, max_age: int) -> bool:
    if birth_year:
        return on.year - birth_year <= max_age
    for band, _low, high in AGE_BANDS:
        if band == age_band:
            return high <= max_age
    return False


# --- Reporting dates --------------------------------------------------------------------------------
#: Quarter ends (month, day): the only dates as of which roles outside the lead organisation see
#: counts, so that two nearby dates cannot be subtracted to single out who joined or left.
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def quarter_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Quarter ends from ``start`` to ``end`` (both included), in order."""
    return [
        day
        for year in range(start.year, end.year + 1)
        for month, mday in QUARTER_ENDS
        if start <= (day := dt.date(year, month, mday)) <= end
    ]


def latest_quarter_end(day: dt.date) -> dt.date:
    return quarter_ends(dt.date(day.year - 1, 1, 1), day)[-1]


def reporting_dates(programme: Programme, today: dt.date) -> list[dt.date]:
    """The programme's reporting dates that have passed: its quarter ends from the start date to
    the end date (or today, if earlier); before the first one, the latest quarter end."""
    dates = quarter_ends(programme.start_date, min(programme.end_date, today))
    return dates or [latest_quarter_end(today)]


def reporting_date(programme: Programme, wanted: dt.date, today: dt.date) -> dt.date:
    """The reporting date that answers a request for ``wanted``: the last one on or before it
    (the first one for a date before them all)."""
    dates = reporting_dates(programme, today)
    earlier = [day for day in dates if day <= wanted]
    return earlier[-1] if earlier else dates[0]


def active_on(on: dt.date) -> Q:
    """Memberships current on ``on``: the one definition, :func:`hamkori.groups.models.current_q`."""
    return current_q(on)


@dataclass(frozen=True)
class _Member:
    """What the balance needs of one membership."""

    group_id: int
    joined_on: dt.date
    left_on: dt.date | None
    sex: str
    birth_year: int | None
    age_band: str | None
    codes: frozenset[str]  # the person's sectors and the one they represent


def _members(memberships: QuerySet[Membership]) -> list[_Member]:
    """The facts of ``memberships``, in two queries and without building model instances."""
    rows = list(
        memberships.values_list(
            "group_id",
            "joined_on",
            "left_on",
            "sector__code",
            "person_id",
            "person__sex",
            "person__birth_year",
            "person__age_band",
        )
    )
    sectors: dict[int, set[str]] = defaultdict(set)
    through = Person.sectors.through.objects.filter(person_id__in=memberships.values("person_id"))
    for person_id, code in through.values_list("person_id", "sector__code"):
        sectors[person_id].add(code)
    return [
        _Member(group, joined, left, sex, year, band, frozenset(sectors[person] | ({sector} if sector else set())))
        for group, joined, left, sector, person, sex, year, band in rows
    ]


def _count(balance: Balance, member: _Member, on: dt.date) -> None:
    balance.members += 1
    balance.women += member.sex == "female"
    balance.young += _young(member.birth_year, member.age_band, on, balance.youth_max_age)
    balance.minorities += MINORITY in member.codes
    balance.migrants += MIGRANT in member.codes
    balance.sectors |= member.codes


def memberships_on(
    groups: Iterable[WorkingGroup] | None, on: dt.date, programme: Programme | None = None
) -> QuerySet[Membership]:
    qs = Membership.objects.filter(active_on(on))
    if groups is not None:
        qs = qs.filter(group_id__in=[g.pk for g in groups])
    if programme is not None:
        qs = qs.filter(group__programme=programme)
    return qs


def balance_by_group(
    programme: Programme, groups: Iterable[WorkingGroup], on: dt.date, policy: BalancePolicy | None = None
) -> dict[int, Balance]:
    """{group id: Balance} for the given groups, in a constant number of queries."""
    groups = list(groups)
    # One policy for every group when given (district and programme totals); else each group's kind's.
    policies = {"": policy} if policy is not None else policies_for(programme)
    result = {g.pk: _empty(policies.get(g.kind) or policies[""]) for g in groups}
    for member in _members(memberships_on(groups, on)):
        _count(result[member.group_id], member, on)
    return result


def balance_of(group: WorkingGroup, on: dt.date) -> Balance:
    return balance_by_group(group.programme, [group], on)[group.pk]


def balance_by_district(
    programme: Programme, groups: Iterable[WorkingGroup], on: dt.date
) -> tuple[dict[int, Balance], Balance]:
    """Balance per district (over the given groups' members) and for the whole set."""
    groups = list(groups)
    policy = policy_for(programme)
    per_group = balance_by_group(programme, groups, on, policy)
    districts: dict[int, Balance] = {}
    total = _empty(policy)
    for group in groups:
        districts.setdefault(group.district_id, _empty(policy)).add(per_group[group.pk])
        total.add(per_group[group.pk])
    return districts, total


def district_rows(
    programme: Programme, groups: Iterable[WorkingGroup], on: dt.date
) -> tuple[list[tuple[Place, Balance]], Balance]:
    """``[(district, Balance)]`` in the place tree's order, and the balance of them all (pass the
    groups with their district loaded: ``select_related("district")``)."""
    group_list = list(groups)
    districts, total = balance_by_district(programme, group_list, on)
    places = {g.district_id: g.district for g in group_list}
    rows = [(places[pk], b) for pk, b in sorted(districts.items(), key=lambda kv: places[kv[0]].path)]
    return rows, total


def history(group: WorkingGroup, until: dt.date) -> list[tuple[dt.date, Balance]]:
    """How the balance moved: the balance on each day the membership changed.

    One sweep over the dates: a member is added on the day they joined and taken away on the day
    they left, so the work grows with the number of memberships, not with memberships × dates."""
    rows = _members(Membership.objects.filter(group=group, joined_on__lte=until))
    # Nobody leaves before joining (``membership_dates_ordered``), so these rows hold every date.
    dates = {m.joined_on for m in rows} | {m.left_on for m in rows if m.left_on and m.left_on <= until} | {until}
    policy = policy_for(group.programme, group.kind)
    # Every join and leave in date order; a member counts on ``day`` when joined_on <= day < left_on,
    # i.e. once their joining has passed and their leaving has not.
    events = sorted(
        [(m.joined_on, 0, i) for i, m in enumerate(rows)]
        + [(m.left_on, 1, i) for i, m in enumerate(rows) if m.left_on is not None]
    )
    passed = [[False, False] for _ in rows]  # [joined, left] per membership
    active = [False] * len(rows)
    members = women = minorities = migrants = 0
    sectors: Counter[str] = Counter()
    ages: Counter[tuple[int | None, str | None]] = Counter()
    points, e = [], 0
    for day in sorted(dates):
        while e < len(events) and events[e][0] <= day:
            _when, kind, i = events[e]
            e += 1
            passed[i][kind] = True
            now = passed[i][0] and not passed[i][1]
            if now == active[i]:
                continue
            active[i], sign, m = now, 1 if now else -1, rows[i]
            members += sign
            women += sign * (m.sex == "female")
            minorities += sign * (MINORITY in m.codes)
            migrants += sign * (MIGRANT in m.codes)
            sectors.update(dict.fromkeys(m.codes, sign))
            ages[(m.birth_year, m.age_band)] += sign
        balance = _empty(policy)
        balance.members, balance.women, balance.minorities, balance.migrants = members, women, minorities, migrants
        balance.young = sum(
            n for (year, band), n in ages.items() if n and _young(year, band, day, balance.youth_max_age)
        )
        balance.sectors = {code for code, n in sectors.items() if n > 0}
        points.append((day, balance))
    return points


# --- Published counts -------------------------------------------------------------------------------


def protected_tables(rows: list[tuple[Place, Balance]]) -> dict[str, Any]:
    """The tables for roles outside the field (donors, liaisons, group members): counts only, with
    disclosure control, nothing finer than a district. Sensitive categories (ethnic minorities,
    labour migrants) are a table of their own: they overlap, so it carries no totals."""
    labels = [p.name for p, _b in rows]
    safe = sensitive = None
    withheld = False
    counts = [[b.women, b.members - b.women] for _place, b in rows]
    columns = [_("Women"), _("Men")]
    try:
        safe = protect(counts, labels, columns)
    except DisclosureError:  # no safe pattern with totals: publish the cells without totals
        try:
            safe = protect(counts, labels, columns, show_totals=False)
        except DisclosureError:
            withheld = True
    try:
        sensitive = protect(
            [[b.minorities, b.migrants] for _place, b in rows],
            labels,
            [_("Ethnic minorities"), _("Labour migrants or returnees")],
            show_totals=False,
        )
    except DisclosureError:
        sensitive = None
    return {"safe": safe, "sensitive": sensitive, "withheld": withheld}
