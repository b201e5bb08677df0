"""The form of a commitment (the service checks everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.forms_actions import OrganisationsField
from hamkori.events.commitments import district_choices, owner_choices
from hamkori.events.models import Event
from hamkori.kit.forms import ISODateField
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CommitmentForm(forms.Form):
    title = forms.CharField(label=_("What was promised"), max_length=300)
    made_by = forms.CharField(
        label=_("Promised by"),
        max_length=200,
        required=False,
        help_text=_("Who made the promise in the room, by position (for example: deputy chairman of the district)."),
    )
    owners = OrganisationsField(
        label=_("Organisations that own it"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose several for a joint commitment."),
    )
    due_on = ISODateField(label=_("Due"))
    district = PlaceChoiceField(
        label=_("Followed up in"),
        queryset=Place.objects.none(),
        required=False,
        help_text=_("The programme location whose overdue list and field staff follow it up."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "commitment")
        super().__init__(*args, **kwargs)
        owners: Any = self.fields["owners"]
        if event.district_id is not None:
            del self.fields["district"]
            owners.queryset = owner_choices(event)
        else:
            choices = district_choices(event)
            district: Any = self.fields["district"]
            district.queryset = Place.objects.filter(pk__in=[d.pk for d in choices]).order_by("name_en")
            district.required = True
            # Every organisation that may own an action in one of these locations (the service checks the
            # owners against the location chosen).
            allowed: set[int] = set()
            for place in choices:
                allowed.update(owner_choices(event, place).values_list("pk", flat=True))
            owners.queryset = Organisation.objects.filter(pk__in=allowed).order_by("kind", "name_en")
