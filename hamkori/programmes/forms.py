from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.kit.forms import ISODateField
from hamkori.orgs.models import Organisation
from hamkori.places.forms import PlaceMultipleChoiceField
from hamkori.places.models import Place
from hamkori.programmes.models import Currency


class ProgrammeForm(forms.Form):
    title_tg = forms.CharField(label=_("Title (Tajik)"), max_length=200, required=False)
    title_ru = forms.CharField(label=_("Title (Russian)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    summary_tg = forms.CharField(label=_("Summary (Tajik)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    summary_ru = forms.CharField(label=_("Summary (Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    summary_en = forms.CharField(label=_("Summary (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.filter(kind=Organisation.Kind.LEAD)
    )
    donors = forms.ModelMultipleChoiceField(
        label=_("Donors"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.DONOR),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    budget = forms.DecimalField(label=_("Budget"), min_value=0, max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    start_date = ISODateField(label=_("Start date"))
    end_date = ISODateField(label=_("End date"))
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Dushanbe")
    public_reports = forms.BooleanField(
        label=_("Accept concerns from the public"),
        required=False,
        help_text=_("Anyone may then report a concern in the programme's locations at /report/, without an account."),
    )
    locations = PlaceMultipleChoiceField(
        label=_("Locations"),
        queryset=Place.objects.filter(level__in=["district", "city", "town"]).order_by("path"),
        help_text=_("Districts, cities or towns the programme works in."),
    )


class NewProgrammeForm(ProgrammeForm):
    code = forms.SlugField(
        label=_("Short code"), max_length=40, help_text=_("Used in addresses, e.g. tj-community-security.")
    )
    field_order = ["code"]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if code in {"new"}:
            raise forms.ValidationError(_("This code is reserved."))
        return code


class PartnerForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Partner organisation"), queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER)
    )
    places = PlaceMultipleChoiceField(label=_("Locations it covers"), queryset=Place.objects.none(), required=False)

    def __init__(self, *args: Any, programme: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["places"].queryset = Place.objects.filter(pk__in=programme.locations.values("place_id"))  # type: ignore[attr-defined]


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    name_tg = forms.CharField(label=_("Name (Tajik)"), max_length=200, required=False)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=40, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


class SectorForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Lower-case letters, digits and _; never changes.")
    )
    name_tg = forms.CharField(label=_("Name (Tajik)"), max_length=200)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
