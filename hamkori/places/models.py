from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hamkori.core.models import TimeStampedModel, TrilingualName


class PlaceQuerySet(models.QuerySet["Place"]):
    def within(self, place: Place) -> PlaceQuerySet:
        """The place and everything under it (one SQL condition over the materialised path)."""
        return self.filter(path__startswith=place.path)

    def current(self) -> PlaceQuerySet:
        return self.filter(valid_to__isnull=True)

    def districts(self) -> PlaceQuerySet:
        """Units of district rank: districts and cities under a region."""
        return self.filter(level__in=[Place.Level.DISTRICT, Place.Level.CITY])


def under_code_q(lookup: str, code: str) -> Q:
    """Records whose place at ``lookup`` (a foreign key to Place) is the place coded ``code`` or lies
    under it; an unknown code matches nothing. For the APIs' ``district=`` filters."""
    area = Place.objects.filter(code=code.strip()[:100]).only("path").first()
    return Q(**{f"{lookup}__path__startswith": area.path}) if area else Q(pk__in=[])


class Place(TrilingualName, TimeStampedModel):
    """An administrative unit: country → region → district or city → jamoat or town → village.

    Places are reference data, public to everyone. ``path`` holds the codes from the root
    (``/TJ/TJ-KT/TJ-KT-HAMADONI/``) so that "district X" includes its jamoats and villages
    in one ``startswith`` condition.
    """

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        DISTRICT = "district", _("District")
        CITY = "city", _("City")
        JAMOAT = "jamoat", _("Jamoat")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village")
        MAHALLA = "mahalla", _("Mahalla")

    class Precision(models.TextChoices):
        DAY = "day", _("day")
        YEAR = "year", _("year")

    code = models.CharField(_("code"), max_length=80, unique=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=600, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    aliases = models.JSONField(_("other names"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_from_precision = models.CharField(max_length=4, choices=Precision.choices, default=Precision.DAY)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    search_text = models.TextField(editable=False, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def ancestors(self) -> list[Place]:
        codes = self.path.strip("/").split("/")[:-1]
        by_code = {p.code: p for p in Place.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    @property
    def valid_from_display(self) -> str:
        if not self.valid_from:
            return ""
        return str(self.valid_from.year) if self.valid_from_precision == "year" else self.valid_from.isoformat()


def place_labels(places: Sequence[Place]) -> list[str]:
    """Each place's name in the active language, with its level where two share a name (Isfara the city
    and Isfara the town are both "Исфара" in Tajik and Russian): for lists and charts a person picks from."""
    names = [p.name for p in places]
    return [
        f"{name} ({p.get_level_display().lower()})" if names.count(name) > 1 else name
        for name, p in zip(names, places, strict=True)
    ]
