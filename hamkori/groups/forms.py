from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.groups.models import Membership, WorkingGroup
from hamkori.kit.forms import ISODateField
from hamkori.orgs.models import Organisation
from hamkori.people.forms import places_for
from hamkori.people.models import Sector
from hamkori.places.models import Place
from hamkori.programmes.models import Programme


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=WorkingGroup.Kind.choices)
    district = forms.ModelChoiceField(label=_("District"), queryset=Place.objects.none())
    host_organisation = forms.ModelChoiceField(
        label=_("Host organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Usually the district administration (hukumat) or jamoat."),
    )

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = [loc.place_id for loc in programme.locations.all()]
        self.fields["district"].queryset = places_for(programme, user).filter(pk__in=locations)  # type: ignore[attr-defined]
        self.fields["host_organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            Q(
                kind__in=[
                    Organisation.Kind.AUTHORITY,
                    Organisation.Kind.PUBLIC_COUNCIL,
                    Organisation.Kind.COMMUNITY_GROUP,
                ]
            )
            | Q(pk__in=programme.partnerships.values("organisation_id"))
        )


class MembershipForm(forms.Form):
    person = forms.CharField(
        label=_("Person"),
        max_length=20,
        error_messages={"required": _("Search for the person and tap their name.")},
    )
    role = forms.ChoiceField(
        label=_("Role in the group"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )
    sector = forms.ModelChoiceField(
        label=_("Sector represented"), queryset=Sector.objects.filter(active=True), required=False
    )
    joined_on = ISODateField(label=_("Joined"), initial=timezone.localdate)
    left_on = ISODateField(label=_("Left"), required=False)


class EndMembershipForm(forms.Form):
    left_on = ISODateField(label=_("Left on"), initial=timezone.localdate)

    def clean_left_on(self) -> Any:
        left_on = self.cleaned_data["left_on"]
        if left_on is not None and left_on > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a day before: a membership cannot end in the future."))
        return left_on


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=WorkingGroup.Status.choices)
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed (from programme staff) to activate a group below the minimums."),
    )


class BalancePolicyForm(forms.Form):
    women_target_percent = forms.IntegerField(label=_("Target share of women (%)"), min_value=0, max_value=100)
    women_minimum_percent = forms.IntegerField(
        label=_("Minimum share of women to activate (%)"), min_value=0, max_value=100
    )
    youth_max_age = forms.IntegerField(label=_("Young people: up to age"), min_value=14, max_value=40)
    minimum_members = forms.IntegerField(label=_("Minimum members to activate"), min_value=1, max_value=100)
    required_sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors every working group must include"),
        queryset=Sector.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
