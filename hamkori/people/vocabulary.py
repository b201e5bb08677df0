"""What the people import checks a row against: sexes, age bands, languages (in tg, ru and en, and
common short forms), sectors and the programme's places, each read once per import."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from hamkori.kit.spreadsheets import choice_map, norm
from hamkori.people.models import AgeBand, Language, Sector, Sex
from hamkori.people.services import programme_places
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

SEX_WORDS = {
    # English, Russian (женский/мужской, ж/м) and Tajik (зан/мард, з/м) short forms.
    "f": Sex.FEMALE, "m": Sex.MALE, "w": Sex.FEMALE,
    "ж": Sex.FEMALE, "жен": Sex.FEMALE, "женщина": Sex.FEMALE, "женский": Sex.FEMALE,
    "з": Sex.FEMALE, "зан": Sex.FEMALE, "занона": Sex.FEMALE,
    "м": Sex.MALE, "муж": Sex.MALE, "мужчина": Sex.MALE, "мужской": Sex.MALE,
    "мард": Sex.MALE, "мардона": Sex.MALE, "woman": Sex.FEMALE, "man": Sex.MALE,
}  # fmt: skip


@dataclass
class Vocabulary:
    """Everything a row is checked against, read once per import."""

    programme: Programme
    sexes: dict[str, str]
    age_bands: dict[str, str]
    languages: dict[str, str]
    sectors: dict[str, Sector]
    places: dict[str, list[Place]]

    @classmethod
    def load(cls, programme: Programme) -> Vocabulary:
        sectors: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            for name in (sector.code, sector.name_tg, sector.name_ru, sector.name_en):
                if name:
                    sectors.setdefault(norm(name), sector)
        places: dict[str, list[Place]] = defaultdict(list)
        for place in programme_place_tree(programme):
            for name in dict.fromkeys([place.code, place.name_tg, place.name_ru, place.name_en, *place.aliases]):
                if name and place not in places[norm(name)]:
                    places[norm(name)].append(place)
        return cls(
            programme=programme,
            sexes={**choice_map(Sex.choices), **SEX_WORDS},
            age_bands=choice_map(AgeBand.choices),
            languages=choice_map(Language.choices),
            sectors=sectors,
            places=dict(places),
        )

    def place(self, value: str) -> Place:
        """The place named ``value`` (code, name in any language, or alias). Several places of one
        name along one branch (district Vanj and its jamoat Vanj) give the broader one; names
        shared by places on different branches must be written as a code."""
        found = self.places.get(norm(value), [])
        if not found:
            raise ValueError(_("Unknown place, or not one of the programme's places: %(value)s.") % {"value": value})
        found = sorted(found, key=lambda p: p.depth)
        top = found[0]
        if all(p.path.startswith(top.path) for p in found):
            return top
        raise ValueError(
            _("Several places are called %(value)s: write the code instead (%(codes)s).")
            % {"value": value, "codes": ", ".join(p.code for p in found)}
        )


def programme_place_tree(programme: Programme) -> list[Place]:
    """The programme's locations and every current place under them, in one query (plus the
    locations' own)."""
    roots = programme_places(programme)
    if not roots:
        return []
    under = Q(pk__in=[])
    for root in roots:
        under |= Q(path__startswith=root.path)
    return list(Place.objects.filter(under).filter(Q(valid_to__isnull=True) | Q(pk__in=[r.pk for r in roots])))
