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
from hamkori.people.models import Consent, Person, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import vault_search

#: The filters of the people list (``?district=&sector=&sex=&group=&consent=&q=``), honoured by exports and the API.
PEOPLE_FILTERS = ("district", "sector", "sex", "group", "consent", "q")

#: ``?consent=none``: people with no live (given, not withdrawn) consent to take part.
NO_CONSENT = "none"


def without_participation_consent(queryset: QuerySet[Person]) -> QuerySet[Person]:
    """People still on record (not de-identified) with no live consent to take part: the
    facilitator's to-do list for consent (a de-identified person has nothing left to ask)."""
    live = Consent.objects.filter(purpose=Consent.Purpose.PARTICIPATION, withdrawn_on__isnull=True)
    return queryset.filter(deidentified_at__isnull=True).exclude(pk__in=live.values("person_id"))


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
    if filters.get("consent") == NO_CONSENT:
        queryset = without_participation_consent(queryset)
    if str(group := filters.get("group") or "").isdigit():
        groups = WorkingGroup.objects.visible_to(actor).filter(pk=int(group))
        current = Membership.objects.filter(active_on(today), group__in=groups).values("person_id")
        queryset = queryset.filter(pk__in=current)
    if query := str(filters.get("q") or "").strip()[:200]:
        audit.record(actor=actor, action="person.search", programme=programme, summary={"programme": programme.code})
        keys = vault_search(query, programme_id=programme.pk)
        bare = queryset.select_related(None).prefetch_related(None)
        candidates = bare.filter(vault_key__in=keys).only("pk", "programme", "owner") if keys else []
        named = [p.pk for p in candidates if decide(actor, "person.view_personal_data", p)]
        # Resolve both matches to ids first: "code = x OR id IN (...)" makes SQLite scan the programme.
        by_code = list(bare.filter(code=query.upper()).values_list("pk", flat=True)[:1])
        queryset = queryset.filter(pk__in=[*by_code, *named])
    return queryset
