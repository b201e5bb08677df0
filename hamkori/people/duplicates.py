"""Likely duplicates in the register: pairs of people of one district who are likely the same person.

Two people are a likely pair when they have the same sex and place, names alike across Cyrillic and
Latin (:func:`hamkori.core.text.name_key`, then a fuzzy comparison as on the registration form) and
birth years at most one apart (or no year and the same age band). The work is bounded: one district
at a time, at most :data:`PEOPLE_CAP` people of it (by code), people compared only with those sharing
a name token (at most :data:`BUCKET_CAP` each), at most :data:`PAIR_CAP` pairs shown. The names are
read in one vault call, audited with the purpose "likely duplicates" (like a name search); people
whose names ``actor`` may not see are not compared.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from hamkori.core.text import name_key
from hamkori.people.models import Person
from hamkori.people.selectors import personal_data_for
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

PEOPLE_CAP = 3000
BUCKET_CAP = 200
PAIR_CAP = 100
THRESHOLD = 80  # as on the registration form


@dataclass(frozen=True)
class Pair:
    keep: Person  # the older record (lower code): the merge keeps it
    drop: Person
    keep_name: str
    drop_name: str
    score: int


@dataclass
class Found:
    pairs: list[Pair]
    truncated: bool  # the district holds more people than were compared, or more pairs than shown


def _years_close(a: Person, b: Person) -> bool:
    if a.birth_year is not None and b.birth_year is not None:
        return abs(a.birth_year - b.birth_year) <= 1
    return a.birth_year is None and b.birth_year is None and a.age_band == b.age_band


def likely_duplicate_pairs(*, actor: Any, programme: Programme, district: Place) -> Found:
    people = list(
        Person.objects.visible_to(actor)
        .filter(
            programme=programme,
            merged_into__isnull=True,
            deidentified_at__isnull=True,
            place__path__startswith=district.path,
        )
        .select_related("place")
        .order_by("code")[: PEOPLE_CAP + 1]
    )
    truncated = len(people) > PEOPLE_CAP
    people = people[:PEOPLE_CAP]
    names = personal_data_for(actor, people, "likely duplicates")
    groups: dict[tuple[int, str], list[tuple[Person, str, str]]] = defaultdict(list)
    for person in people:  # by code: the older record comes first
        data = names.get(person.pk)
        if data is not None and data.full_name and (key := name_key(data.full_name)):
            groups[(person.place_id, person.sex)].append((person, data.full_name, key))
    pairs: list[Pair] = []
    for members in groups.values():
        buckets: dict[str, list[int]] = defaultdict(list)
        for index, (person, full_name, key) in enumerate(members):
            tokens = set(key.split())
            compared: set[int] = set()
            for token in tokens:
                for earlier in buckets[token][:BUCKET_CAP]:
                    if earlier in compared:
                        continue
                    compared.add(earlier)
                    other, other_name, other_key = members[earlier]
                    if not _years_close(person, other):
                        continue
                    score = int(fuzz.token_sort_ratio(key, other_key))
                    if score >= THRESHOLD:
                        pairs.append(
                            Pair(keep=other, drop=person, keep_name=other_name, drop_name=full_name, score=score)
                        )
            for token in tokens:
                buckets[token].append(index)
    pairs.sort(key=lambda p: (-p.score, p.keep.code, p.drop.code))
    return Found(pairs=pairs[:PAIR_CAP], truncated=truncated or len(pairs) > PAIR_CAP)
