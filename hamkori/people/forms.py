from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
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
    # Consent, recorded with the person. Participation consent is an explicit choice (given, or
    # "not yet"): nothing is pre-ticked, so a consent is never recorded by a click-through.
    participation_consent = forms.ChoiceField(
        label=_("Consent to take part"),
        choices=[("given", _("Given")), ("not_yet", _("Not yet: I will record it later"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the person gave consent to take part, or choose “not yet”.")},
    )
    consent_method = forms.ChoiceField(
        label=_("How consent was given"), choices=[("", "—"), *Consent.Method.choices], required=False
    )
    consent_given_on = ISODateField(label=_("Consent given on"), initial=timezone.localdate, required=False)
    consent_language = forms.ChoiceField(
        label=_("Consent given in which language"), choices=Language.choices, required=False
    )
    contact_consent = forms.BooleanField(label=_("They also agree to be contacted (phone, messages)."), required=False)
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
        "participation_consent",
        "consent_method",
        "consent_given_on",
        "consent_language",
        "contact_consent",
        "confirm_new",
    ]
    #: Headings ``_form_fields.html`` shows before these fields.
    headings = {"participation_consent": _("Consent")}

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, user=user, **kwargs)
        if not self.is_bound and not self.initial.get("place"):
            district = only_district(programme, user)
            if district is not None:
                self.initial["place"] = district.pk  # a partner with one district starts there
        language = (get_language() or "").split("-")[0]
        if language in Language.values:
            self.fields["consent_language"].initial = language

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("participation_consent") == "given":
            if not data.get("consent_method"):
                self.add_error("consent_method", _("Say how the consent was given."))
            given_on = data.get("consent_given_on")
            if given_on is None and "consent_given_on" not in self.errors:
                self.add_error("consent_given_on", _("Give the date of the consent."))
            elif given_on is not None and given_on > timezone.localdate():
                self.add_error("consent_given_on", _("Consent cannot be given in the future."))
            if not data.get("consent_language"):
                self.add_error("consent_language", _("Say in which language the consent was given."))
        elif data.get("contact_consent"):
            self.add_error("contact_consent", _("Record consent to take part before consent to be contacted."))
        return data


def consents_given(data: dict[str, Any]) -> list[tuple[str, Any, str, str]]:
    """The consents of a :class:`PersonCreateForm`'s cleaned data, as ``services.person_create(consents=...)``
    takes them: ``(purpose, given_on, method, language)``."""
    if data.get("participation_consent") != "given":
        return []
    purposes = [Consent.Purpose.PARTICIPATION] + ([Consent.Purpose.CONTACT] if data.get("contact_consent") else [])
    return [(p, data["consent_given_on"], data["consent_method"], data["consent_language"]) for p in purposes]


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
