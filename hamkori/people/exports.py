"""Exports of people: the row-level sheet for those allowed to see rows, and the donors' aggregate.

Row-level exports start from ``visible_to`` and run a fixed number of queries whatever the number of
rows; names and phones are read from the vault in one audited call, only for the people whose
personal data the user may see. Donors get only counts by district x sex, through disclosure control
(:mod:`hamkori.kit.exports`). The view sends either with :func:`hamkori.kit.exports.send_export`.

**An app above people adds a column** with :func:`register_column` (the groups app: the working
groups each person belongs to now): people never imports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from hamkori.access.policy import decide
from hamkori.kit.exports import aggregate_sheet, district_of, safe_table, sex_index
from hamkori.kit.spreadsheets import Sheet
from hamkori.people.models import AgeBand, Person, Sector, Sex
from hamkori.people.selectors import PEOPLE_FILTERS, filter_people
from hamkori.people.services import programme_places
from hamkori.programmes.models import Programme
from hamkori.vault.services import vault_get_many

EXPORT_FILTERS = PEOPLE_FILTERS


@dataclass(frozen=True)
class PersonColumn:
    """A column another app adds to the row-level export, after the sectors: ``values(actor,
    programme, people, today)`` gives {person pk: cell} in a fixed number of queries."""

    header: Promise
    hxl: str
    values: Callable[[Any, Programme, list[Person], dt.date], dict[int, str]]


_COLUMNS: list[PersonColumn] = []


def register_column(column: PersonColumn) -> None:
    """Called from an app's ``AppConfig.ready`` (once per column)."""
    if column not in _COLUMNS:
        _COLUMNS.append(column)


def people_sheet(
    *, actor: Any, programme: Programme, filters: dict[str, str] | None = None, today: dt.date | None = None
) -> Sheet:
    """Row-level export of the people ``actor`` may see; a fixed number of queries."""
    today = today or timezone.localdate()
    locations = sorted(programme_places(programme), key=lambda p: -len(p.path))
    visible = Person.objects.visible_to(actor).filter(programme=programme, merged_into__isnull=True)
    people = list(
        filter_people(actor=actor, programme=programme, queryset=visible, filters=filters or {}, today=today)
        .select_related("place")
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("order", "code")))
        .order_by("code")
    )
    extra = [column.values(actor, programme, people, today) for column in _COLUMNS]
    allowed = [p for p in people if decide(actor, "person.view_personal_data", p)]
    personal = (
        vault_get_many(actor=actor, subject_keys=[p.vault_key for p in allowed], purpose="export") if allowed else {}
    )
    sexes, bands = dict(Sex.choices), dict(AgeBand.choices)
    rows = []
    for person in people:
        district = district_of(person.place.path, locations)
        data = personal.get(person.vault_key)
        rows.append(
            [
                person.code,
                str(sexes.get(person.sex, person.sex)),
                str(bands.get(person.age_band, person.age_band)),
                district.name if district else "",
                person.place.code,
                person.place.name,
                "; ".join(s.name for s in person.sectors.all()),
                *(values.get(person.pk, "") for values in extra),
                data.full_name if data else "",
                data.phone if data else "",
            ]
        )
    return Sheet(
        title=_("People"),
        header=[
            _("Code"),
            _("Sex"),
            _("Age band"),
            _("District"),
            _("Place code"),
            _("Place"),
            _("Sectors"),
            *(str(column.header) for column in _COLUMNS),
            _("Full name"),
            _("Phone"),
        ],
        hxl=[
            "#person+code",
            "#gender",
            "#age+band",
            "#adm2+name",
            "#loc+code",
            "#loc+name",
            "#sector",
            *(column.hxl for column in _COLUMNS),
            "#contact+name",
            "#contact+phone",
        ],
        rows=rows,
    )


def people_aggregate_sheet(*, programme: Programme) -> Sheet:
    """People by district x sex for donors: never finer than district, small counts suppressed."""
    locations = programme_places(programme)
    by_length = sorted(locations, key=lambda p: -len(p.path))
    counts = [[0, 0] for _ in locations]
    index = {loc.pk: i for i, loc in enumerate(locations)}
    rows = (
        Person.objects.filter(programme=programme, merged_into__isnull=True)
        .values_list("place__path", "sex")
        .order_by()
    )
    for path, sex in rows:
        district = district_of(path, by_length)
        column = sex_index(sex)
        if district is not None and column is not None:
            counts[index[district.pk]][column] += 1
    table = safe_table(counts, [loc.name for loc in locations], [str(label) for _v, label in Sex.choices])
    return aggregate_sheet(_("People by district and sex"), table, "#population")
