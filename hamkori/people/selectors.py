"""Reads of people that several callers share (the people list, the API, exports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from hamkori.access.policy import decide, place_q
from hamkori.core import audit
from hamkori.groups.balance import active_on
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.people.models import Person, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import vault_search

#: The filters of the people list (``?district=&sector=&sex=&group=&q=``), honoured by exports and the API.
PEOPLE_FILTERS = ("district", "sector", "sex", "group", "q")


def filter_people(
    *, actor: Any, programme: Programme, queryset: QuerySet[Person], filters: Mapping[str, Any], today: dt.date
) -> QuerySet[Person]:
    """Narrow ``queryset`` (already ``visible_to(actor)``) by the list's filters, in SQL.

    ``group`` keeps the group's current members (of a group the actor may see). ``q`` matches a code
    exactly, or a name through the vault's blind index, but a name only finds people whose name the
    actor may see (else a search would tell a partner the name of someone another organisation
    recorded). A name search is audited, without the query text.
    """
    if code := filters.get("district"):
        district = Place.objects.filter(code=code).first()
        queryset = queryset.filter(place_q("place", [district.path])) if district else queryset.none()
    if code := filters.get("sector"):
        queryset = queryset.filter(pk__in=Person.sectors.through.objects.filter(sector__code=code).values("person_id"))
    if (sex := filters.get("sex")) in Sex.values:
        queryset = queryset.filter(sex=sex)
    if str(group := filters.get("group") or "").isdigit():
        groups = WorkingGroup.objects.visible_to(actor).filter(pk=int(group))
        current = Membership.objects.filter(active_on(today), group__in=groups).values("person_id")
        queryset = queryset.filter(pk__in=current)
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
