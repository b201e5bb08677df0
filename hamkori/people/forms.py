from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import grant_in
from hamkori.core.models import Sensitivity
from hamkori.kit.forms import ISODateField
from hamkori.people.models import AgeBand, Consent, Language, Sector, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme


def places_for(programme: Programme, user: Any) -> Any:
    """The programme's locations and the units directly under them, limited to the user's districts."""
    q = Q(pk__in=[])
    for loc in programme.locations.select_related("place"):
        q |= Q(path__startswith=loc.place.path, depth__lte=loc.place.depth + 1)
    places = Place.objects.filter(q)
    grant = grant_in(user, programme)
    if grant is not None and not grant.whole_programme and not user.is_superuser:
        scope = Q(pk__in=[])
        for path in grant.place_paths:
            scope |= Q(path__startswith=path)
        places = places.filter(scope)
    return places.order_by("path")


def only_district(programme: Programme, user: Any) -> Place | None:
    """The user's district when they may work in exactly one of the programme's locations, else None."""
    districts = list(places_for(programme, user).filter(pk__in=programme.locations.values("place_id"))[:2])
    return districts[0] if len(districts) == 1 else None


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return ("— " if obj.level in ("jamoat", "town", "village", "mahalla") else "") + obj.name


class ProfileForm(forms.Form):
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        min_value=1900,
        max_value=2100,
        help_text=_("Or leave empty and choose an age band."),
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=[("", "—"), *AgeBand.choices], required=False)
    place = PlaceChoiceField(label=_("Place"), queryset=Place.objects.none())
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors represented"),
        queryset=Sector.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=Language.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Sensitivity.choices,
        initial=Sensitivity.INTERNAL,
        help_text=_("Restricted: only the lead organisation and your organisation see this person."),
    )

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places_for(programme, user)  # type: ignore[attr-defined]


class PersonalDataForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)


class PersonCreateForm(ProfileForm, PersonalDataForm):
    confirm_new = forms.BooleanField(
        label=_("This is a new person, not one of the people listed above."), required=False
    )
    field_order = [
        "full_name",
        "sex",
        "birth_year",
        "age_band",
        "place",
        "sectors",
        "languages",
        "phone",
        "email",
        "address",
        "sensitivity",
        "confirm_new",
    ]

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, user=user, **kwargs)
        if not self.is_bound and not self.initial.get("place"):
            district = only_district(programme, user)
            if district is not None:
                self.initial["place"] = district.pk  # a partner with one district starts there


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    given_on = ISODateField(label=_("Given on"), initial=timezone.localdate)
    method = forms.ChoiceField(label=_("How"), choices=Consent.Method.choices)
    language = forms.ChoiceField(label=_("In which language"), choices=Language.choices)


class MergeForm(forms.Form):
    other = forms.CharField(
        label=_("Code of the duplicate record"),
        max_length=20,
        help_text=_(
            "Its memberships, attendance and consents move to this record; the duplicate is then de-identified."
        ),
    )
    confirm = forms.BooleanField(label=_("I checked that both records are the same person."))


class AccountLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of their account"),
        required=False,
        help_text=_(
            "A working-group member's sign-in account: it then sees the groups this person is a member of. "
            "Leave empty to unlink."
        ),
    )
