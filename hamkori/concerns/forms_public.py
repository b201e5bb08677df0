"""The forms of public intake (``/report/`` and ``/report/status/``): few fields, no JavaScript.

Only what a person may set is a field here: a forged ``sensitivity`` or ``status`` in the POST is
never read. Lengths, the district's programme and the contact's consent are checked by the service
(``hamkori.concerns.intake``), so the page and the API give the same errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.intake import CODE_LENGTH, LOCATION_LIMIT, client_id_from
from hamkori.concerns.models import MAX_TEXT
from hamkori.places.models import Place, place_labels
from hamkori.programmes.models import Programme


def district_choices(programmes: list[Programme]) -> tuple[list[Any], dict[str, tuple[Programme, Place]]]:
    """``(choices, lookup)``: the locations of the programmes accepting reports, as
    ``programme_id:place_id`` values; grouped by programme (``<optgroup>``) when there are several."""
    lookup: dict[str, tuple[Programme, Place]] = {}
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for programme in programmes:
        options = []
        locations = list(getattr(programme, "public_locations", None) or programme.locations.select_related("place"))
        for location, label in zip(locations, place_labels([loc.place for loc in locations]), strict=True):
            value = f"{programme.pk}:{location.place_id}"
            lookup[value] = (programme, location.place)
            options.append((value, label))
        if options:
            groups.append((programme.title, options))
    blank: list[Any] = [("", _("Choose…"))]
    if len(groups) == 1:
        return blank + groups[0][1], lookup
    return blank + groups, lookup


class ReportForm(forms.Form):
    district = forms.ChoiceField(
        label=_("District"),
        help_text=_("Where the problem is."),
        error_messages={"required": _("Choose the district where the problem is.")},
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        help_text=_(
            "In your own words, in any language. What happens, where, since when, who is affected. "
            "Please do not write anyone's name."
        ),
        required=False,  # the service says what is missing or too long, as the API does
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": MAX_TEXT}),
    )
    location_text = forms.CharField(
        label=_("Where exactly? (optional)"),
        help_text=_("A village, a street, a place people know."),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": LOCATION_LIMIT}),
    )
    contact_name = forms.CharField(
        label=_("Your name"), required=False, widget=forms.TextInput(attrs={"maxlength": 200, "autocomplete": "name"})
    )
    contact_phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "maxlength": 40, "autocomplete": "tel"}),
    )
    contact_email = forms.CharField(
        label=_("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"maxlength": 254, "autocomplete": "email"}),
    )
    contact_consent = forms.BooleanField(
        label=_(
            "I agree that the programme keeps my contact details, sees them only among its own staff, "
            "and uses them only to contact me about this concern."
        ),
        required=False,
    )
    #: Made by the server for each form it renders: sending the same form twice makes one concern.
    client_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    #: The honeypot: hidden from sight by the stylesheet, its label asks anyone who meets it (a
    #: screen reader, a text browser) to leave it empty. Spam robots fill every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices, self.lookup = district_choices(programmes)
        self.fields["district"].choices = choices  # type: ignore[attr-defined]
        if len(self.lookup) == 1:
            self.initial.setdefault("district", next(iter(self.lookup)))
        self.fields["district"].error_messages["invalid_choice"] = _("Choose a district from the list.")

    def clean_district(self) -> tuple[Programme, Place]:
        return self.lookup[self.cleaned_data["district"]]

    def clean_client_id(self) -> Any:
        value = client_id_from(self.cleaned_data["client_id"])
        if value is None:
            raise forms.ValidationError(_("The form has expired: please send it again."))
        return value


class StatusForm(forms.Form):
    code = forms.CharField(
        label=_("Your receipt code"),
        help_text=_("Eight letters and digits, as on your receipt, for example K7Q4-9MXP."),
        max_length=40,
        error_messages={"required": _("Type the code from your receipt.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "size": CODE_LENGTH + 4,
            }
        ),
    )
