"""The filters of the participation summary: a district (or all the user's districts) and a period (a
year, a quarter of it, or — not for donors — from and to dates)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.events.summary import Period
from hamkori.kit.forms import ISODateField
from hamkori.places.models import Place

#: The longest period one summary covers.
MAX_DAYS = 366 * 5

QUARTERS = [
    ("", _("The whole year")),
    ("1", _("January–March")),
    ("2", _("April–June")),
    ("3", _("July–September")),
    ("4", _("October–December")),
]


class SummaryForm(forms.Form):
    district = forms.ChoiceField(label=_("District"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    quarter = forms.ChoiceField(label=_("Quarter"), choices=QUARTERS, required=False)
    start = ISODateField(label=_("From"), required=False)
    end = ISODateField(label=_("To"), required=False)

    def __init__(
        self, data: Any, *, districts: list[Place], years: list[int], free_dates: bool, all_label: str
    ) -> None:
        super().__init__(data)
        self.districts = {d.code: d for d in districts}
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            ("", all_label),
            *((d.code, d.name) for d in districts),
        ]
        cast(forms.ChoiceField, self.fields["year"]).choices = [(y, str(y)) for y in years]
        self.years = years
        self.free_dates = free_dates
        if not free_dates:
            del self.fields["start"], self.fields["end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if self.free_dates and (start or end):
            if not (start and end):
                raise forms.ValidationError(_("Give both dates, or choose a year."))
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most five years."))
        return data

    def chosen_district(self) -> Place | None:
        return self.districts.get(self.cleaned_data.get("district") or "") if self.is_valid() else None

    def period(self, today: dt.date) -> Period:
        """The chosen period; the current year (or the latest of the list) when nothing valid was chosen."""
        default_year = today.year if today.year in self.years else self.years[-1]
        if not self.is_valid():
            return Period(dt.date(default_year, 1, 1), dt.date(default_year, 12, 31))
        data = self.cleaned_data
        if self.free_dates and data.get("start") and data.get("end"):
            return Period(data["start"], data["end"])
        year = data.get("year") or default_year
        quarter = int(data.get("quarter") or 0)
        if quarter:
            first = dt.date(year, 3 * quarter - 2, 1)
            last = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
            return Period(first, last - dt.timedelta(days=1))
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
