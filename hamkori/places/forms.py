"""Form fields for places: a multiple choice of places is a list of checkboxes grouped by region, so
that one tap ticks or unticks one place and never clears the others (as a ``<select multiple>`` does
when tapped without Ctrl)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator

from hamkori.places.models import Place

#: Places shown under the district or city they belong to, with a dash.
SUB_DISTRICT_LEVELS = ("jamoat", "town", "village", "mahalla")


def region_code(place: Place) -> str:
    """The code of the region a place lies in (its own code for a country or a region)."""
    codes = place.path.strip("/").split("/")
    return codes[1] if len(codes) > 1 else codes[0]


class RegionGroupedIterator(ModelChoiceIterator):
    """The choices as (region name, [(value, label), ...]), in the order of the place tree."""

    def __iter__(self) -> Iterator[Any]:
        places = list(self.queryset.order_by("path"))
        regions = {p.code: p.name for p in Place.objects.filter(code__in={region_code(p) for p in places})}
        groups: dict[str, list[Any]] = {}
        for place in places:
            groups.setdefault(region_code(place), []).append(self.choice(place))
        for code, choices in groups.items():
            yield (regions.get(code, code), choices)


class GroupedCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Checkboxes with one fieldset (legend: the region) per group of choices."""

    template_name = "places/widgets/grouped_checkboxes.html"


class PlaceMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several places, as checkboxes grouped by region; towns and jamoats under their district."""

    iterator = RegionGroupedIterator
    widget = GroupedCheckboxSelectMultiple

    def label_from_instance(self, obj: Place) -> str:
        return ("— " if obj.level in SUB_DISTRICT_LEVELS else "") + obj.name
