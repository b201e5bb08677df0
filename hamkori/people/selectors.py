"""Reads of people that several callers share (the people list, the API, exports), and the
registries through which domain apps extend them without ``people`` importing those apps.

``people`` is a leaf (ADR 0007): groups, and later attendance, concerns and grants, build on it.
What the people list, the API and the exports show of those apps comes through two registries,
filled from the apps' ``AppConfig.ready``:

- :func:`register_person_filter`: a filter of the people list (``?key=value``), honoured by the
  page, the API and the exports (the ``group`` filter comes from ``groups``);
- :func:`register_person_column`: a column of the people list (the ``groups`` app's current groups).

Reading personal data (names, contacts) for people goes through :func:`personal_data_for` /
:func:`personal_data_of`: the permission, the de-identification check, the vault read and its audit
event in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import QuerySet

from hamkori.access.policy import decide, place_q
from hamkori.core import audit
from hamkori.people.models import Consent, Person, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData, vault_get, vault_get_many, vault_search

# --- Contributed filters and columns -------------------------------------------------------------

#: ``apply(*, actor, programme, queryset, value, today) -> queryset``: narrow (in SQL) to ``value``,
#: which is whatever the caller received (a string from a page, maybe an int from the API, or empty).
FilterApply = Callable[..., QuerySet[Person]]
#: ``choices(*, actor, programme, filters) -> [(value, label), ...] | None``: the options of the
#: list's select (values as strings), or None when there are too many to offer (then ``hint`` shows).
FilterChoices = Callable[..., list[tuple[str, str]] | None]
#: ``values(*, actor, programme, people, today) -> {person pk: text}``: one cell per person, for a page.
ColumnValues = Callable[..., Mapping[int, str]]


@dataclass(frozen=True)
class PersonFilter:
    key: str
    label: Any  # a (lazy) translated string
    apply: FilterApply
    choices: FilterChoices
    hint: Any = ""


@dataclass(frozen=True)
class PersonColumn:
    key: str
    label: Any
    values: ColumnValues


_filters: dict[str, PersonFilter] = {}
_columns: dict[str, PersonColumn] = {}

#: The people list's own filters (before the contributed ones; ``q`` comes last).
BASE_FILTERS = ("district", "sector", "sex", "consent")
#: The values of the ``consent`` filter: a live (not withdrawn) participation consent, or none.
CONSENT_GIVEN, CONSENT_MISSING = "given", "missing"


def register_person_filter(
    key: str, label: Any, apply_fn: FilterApply, choices_fn: FilterChoices, *, hint: Any = ""
) -> None:
    """Offer a filter of the people (``?key=``) on the list, in the API and in exports. Registering
    a key again replaces it (``ready`` may run more than once in tests)."""
    if key in (*BASE_FILTERS, "q", "page"):
        raise ValueError(f"The people list already has a filter {key!r}")
    _filters[key] = PersonFilter(key=key, label=label, apply=apply_fn, choices=choices_fn, hint=hint)


def person_filters() -> list[PersonFilter]:
    """The contributed filters, in the order they were registered."""
    return list(_filters.values())


def register_person_column(key: str, label: Any, values_fn: ColumnValues) -> None:
    """Add a column to the people list: ``values_fn`` answers for a page of people at once."""
    _columns[key] = PersonColumn(key=key, label=label, values=values_fn)


def person_columns() -> list[PersonColumn]:
    return list(_columns.values())


def column_values(
    *, actor: Any, programme: Programme, people: list[Person], today: dt.date
) -> list[tuple[PersonColumn, Mapping[int, str]]]:
    """Each contributed column with its cells for ``people`` (one call per column)."""
    return [(c, c.values(actor=actor, programme=programme, people=people, today=today)) for c in _columns.values()]


class _FilterKeys(Sequence[str]):
    """The filter keys in order: the list's own, the contributed ones, then ``q``. Read on every
    use, so it includes filters registered after import."""

    def _keys(self) -> tuple[str, ...]:
        return (*BASE_FILTERS, *_filters, "q")

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._keys()[index]

    def __len__(self) -> int:
        return len(self._keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __repr__(self) -> str:
        return repr(self._keys())


#: The filters of the people list (``?district=&sector=&sex=&consent=&group=&q=`` once ``groups`` has
#: registered ``group``), honoured by exports and the API.
PEOPLE_FILTERS: Sequence[str] = _FilterKeys()


#: ``?consent=missing``: people with no live (given, not withdrawn) consent to take part.
NO_CONSENT = CONSENT_MISSING


def without_participation_consent(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """People still on record (not de-identified) with no live consent to take part: the
    facilitator's to-do list for consent (a de-identified person has nothing left to ask)."""
    live = Consent.objects.filter(purpose=Consent.Purpose.PARTICIPATION, withdrawn_on__isnull=True)
    return queryset.filter(deidentified_at__isnull=True).exclude(pk__in=live.values("person_id"))


def filter_people(
    *, actor: Any, programme: Programme, queryset: QuerySet[Person], filters: Mapping[str, Any], today: dt.date
) -> QuerySet[Person]:
    """Narrow ``queryset`` (already ``visible_to(actor)``) by the list's filters, in SQL.

    Contributed filters (``group``: the group's current members, of a group the actor may see)
    apply as their app defines. ``q`` matches a code exactly, or a name through the vault's blind
    index, but a name only finds people whose name the actor may see (else a search would tell a
    partner the name of someone another organisation recorded). A name search is audited, without
    the query text.
    """
    if code := filters.get("district"):
        district = Place.objects.filter(code=code).first()
        queryset = queryset.filter(place_q("place", [district.path])) if district else queryset.none()
    if code := filters.get("sector"):
        queryset = queryset.filter(pk__in=Person.sectors.through.objects.filter(sector__code=code).values("person_id"))
    if (sex := filters.get("sex")) in Sex.values:
        queryset = queryset.filter(sex=sex)
    if (consent := filters.get("consent")) == CONSENT_GIVEN:
        queryset = queryset.filter(pk__in=live_participation_consents().values("person_id"))
    elif consent == CONSENT_MISSING:
        queryset = without_participation_consent(queryset)
    for contributed in _filters.values():
        if value := filters.get(contributed.key):
            queryset = contributed.apply(actor=actor, programme=programme, queryset=queryset, value=value, today=today)
    if query := str(filters.get("q") or "").strip()[:200]:
        audit.record(actor=actor, action="person.search", programme=programme, summary={"programme": programme.code})
        keys = vault_search(query, programme_id=programme.pk)
        # Resolve the matches to (id, code) first, each through its own unique index (vault key; programme
        # and code): filtered through ``queryset``, SQLite (without ANALYZE statistics) would walk every
        # person of the programme instead. ``queryset`` below still decides who is listed.
        candidates = Person.objects.filter(vault_key__in=keys).only("pk", "code", "programme", "owner") if keys else []
        named = [
            p for p in candidates if p.programme_id == programme.pk and decide(actor, "person.view_personal_data", p)
        ]
        by_code = list(Person.objects.filter(programme=programme, code=query.upper()).only("pk", "code")[:1])
        found = [*by_code, *named]
        # The codes too, though the ids decide: "code IN (...)" lets SQLite count and order the page through
        # the (programme, merged_into, code) index; by ids alone it walks the whole programme for both.
        queryset = queryset.filter(pk__in=[p.pk for p in found], code__in=[p.code for p in found])
    return queryset


def live_participation_consents() -> QuerySet[Consent]:
    """Participation consents not withdrawn: a person has one, or their consent is missing."""
    return Consent.objects.filter(purpose=Consent.Purpose.PARTICIPATION, withdrawn_on__isnull=True)


def with_participation_consent(people: Iterable[Person]) -> set[int]:
    """The pks of those of ``people`` with a live participation consent (one query)."""
    pks = [p.pk for p in people]
    return set(live_participation_consents().filter(person_id__in=pks).values_list("person_id", flat=True))


# --- Personal data ---------------------------------------------------------------------------------


def may_see_personal_data(actor: Any, person: Person) -> bool:
    """Whether ``actor`` may read ``person``'s name and contacts: not de-identified (nothing to
    read) and allowed by ``person.view_personal_data``."""
    return person.deidentified_at is None and bool(decide(actor, "person.view_personal_data", person))


def personal_data_for(actor: Any, people: Iterable[Person], purpose: str) -> dict[int, PersonalData]:
    """{person pk: personal data} for those of ``people`` whose data ``actor`` may see: one vault
    read, audited once with ``purpose`` (none when nobody may be seen)."""
    allowed = [p for p in people if may_see_personal_data(actor, p)]
    if not allowed:
        return {}
    data = vault_get_many(actor=actor, subject_keys=[p.vault_key for p in allowed], purpose=purpose)
    return {p.pk: data[p.vault_key] for p in allowed if p.vault_key in data}


def names_for(actor: Any, people: Iterable[Person], purpose: str) -> dict[int, str]:
    """Full names of the people ``actor`` may see names of: one vault read, one audit event."""
    return {pk: data.full_name for pk, data in personal_data_for(actor, people, purpose).items()}


def personal_data_of(actor: Any, person: Person, purpose: str) -> PersonalData | None:
    """One person's personal data if ``actor`` may see it (audited with ``purpose``), else None."""
    if not may_see_personal_data(actor, person):
        return None
    return vault_get(actor=actor, subject_key=person.vault_key, purpose=purpose)


# --- The person picker -----------------------------------------------------------------------------

#: How many people the picker offers at most (type more of the name to narrow).
PICK_LIMIT = 10


@dataclass(frozen=True)
class Pick:
    """One person offered by the picker: the record, and the name when the actor may see it."""

    person: Person
    name: str = ""


class Picks(list[Pick]):
    """The people offered; ``more`` when there were more than the limit (type more to narrow)."""

    def __init__(self, picks: Iterable[Pick] = (), *, more: bool = False) -> None:
        super().__init__(picks)
        self.more = more


def pick_people(
    *,
    actor: Any,
    programme: Programme,
    query: str,
    excluding: Mapping[str, Any] | None = None,
    selected: str = "",
    today: dt.date,
    limit: int = PICK_LIMIT,
) -> Picks:
    """People of ``programme`` that ``actor`` may see whose code is ``query`` or whose name holds
    its words (only names the actor may see; audited as a search, see :func:`filter_people`), at
    most ``limit``, with names where allowed (one vault read, audited).

    ``excluding`` leaves out the people a registered person filter selects (``{"group": 12}``: the
    group's current members). ``selected`` (a code) is offered first even without a query, so a
    page shown again after an error keeps the choice."""
    base = Person.objects.visible_to(actor).filter(programme=programme, merged_into__isnull=True)
    found: list[Person] = []
    if selected:
        found = list(base.filter(code=selected.strip().upper()[:20]).select_related("place")[:1])
    if query.strip():
        matching = filter_people(actor=actor, programme=programme, queryset=base, filters={"q": query}, today=today)
        for key, value in (excluding or {}).items():
            if key in _filters and value not in (None, ""):
                members = _filters[key].apply(actor=actor, programme=programme, queryset=base, value=value, today=today)
                matching = matching.exclude(pk__in=members.values("pk"))
        found += [p for p in matching.select_related("place").order_by("code")[: limit + 1] if p not in found]
    more = len(found) > limit
    found = found[:limit]
    names = names_for(actor, found, "pick a person")
    return Picks([Pick(person=p, name=names.get(p.pk, "")) for p in found], more=more)
