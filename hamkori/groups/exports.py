"""Exports of working groups: the row-level list of groups, the donors' aggregate of members, and
the "working groups" column of the people export (registered in :class:`GroupsConfig.ready`).

Built on :mod:`hamkori.kit.exports`; the view (``groups_export``) sends them with
:func:`hamkori.kit.exports.send_export`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.groups.balance import active_on, balance_by_group
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.kit.exports import aggregate_sheet, district_of, safe_table, sex_index
from hamkori.kit.spreadsheets import Sheet
from hamkori.people.exports import PersonColumn
from hamkori.people.models import Person, Sex
from hamkori.people.services import programme_places
from hamkori.programmes.models import Programme


def current_groups(actor: Any, programme: Programme, people: list[Person], today: dt.date) -> dict[int, str]:
    """{person pk: the visible working groups the person belongs to on ``today``}, in one query."""
    groups = WorkingGroup.objects.visible_to(actor).filter(programme=programme).values("pk")
    names: dict[int, dict[str, None]] = {}
    memberships = (
        Membership.objects.filter(active_on(today), group__in=groups, person__in=[p.pk for p in people])
        .order_by("group__name")
        .values_list("person_id", "group__name")
    )
    for person_id, name in memberships:
        names.setdefault(person_id, {})[name] = None
    return {pk: "; ".join(found) for pk, found in names.items()}


WORKING_GROUPS_COLUMN = PersonColumn(header=gettext_lazy("Working groups"), hxl="#group+name", values=current_groups)


def groups_sheet(*, actor: Any, programme: Programme, today: dt.date | None = None) -> Sheet:
    today = today or timezone.localdate()
    groups = list(
        WorkingGroup.objects.visible_to(actor)
        .filter(programme=programme)
        .select_related("district")
        .order_by("district__path", "name")
    )
    balances = balance_by_group(programme, groups, today)
    kinds, statuses = dict(WorkingGroup.Kind.choices), dict(WorkingGroup.Status.choices)
    rows = []
    for group in groups:
        balance = balances[group.pk]
        rows.append(
            [
                group.name,
                str(kinds.get(group.kind, group.kind)),
                group.district.name,
                group.district.code,
                str(statuses.get(group.status, group.status)),
                balance.members,
                balance.women,
                "; ".join(s.name for s in balance.missing_sectors),
            ]
        )
    return Sheet(
        title=_("Working groups"),
        header=[
            _("Name"),
            _("Kind"),
            _("District"),
            _("District code"),
            _("Status"),
            _("Members now"),
            _("Women now"),
            _("Missing sectors"),
        ],
        hxl=[
            "#group+name",
            "#group+type",
            "#adm2+name",
            "#adm2+code",
            "#status",
            "#population+members+num",
            "#population+members+f+num",
            "#sector+missing",
        ],
        rows=rows,
    )


def members_aggregate_sheet(*, programme: Programme, today: dt.date | None = None) -> Sheet:
    """Members of working groups now, by the group's district x sex (each person once per district)."""
    today = today or timezone.localdate()
    locations = programme_places(programme)
    by_length = sorted(locations, key=lambda p: -len(p.path))
    index = {loc.pk: i for i, loc in enumerate(locations)}
    seen: list[list[set[int]]] = [[set(), set()] for _ in locations]
    rows = (
        Membership.objects.filter(active_on(today), group__programme=programme, person__merged_into__isnull=True)
        .values_list("group__district__path", "person_id", "person__sex")
        .order_by()
    )
    for path, person_id, sex in rows:
        district = district_of(path, by_length)
        column = sex_index(sex)
        if district is not None and column is not None:
            seen[index[district.pk]][column].add(person_id)
    counts = [[len(s) for s in line] for line in seen]
    table = safe_table(counts, [loc.name for loc in locations], [str(label) for _v, label in Sex.choices])
    return aggregate_sheet(_("Working-group members by district and sex"), table, "#reached")
