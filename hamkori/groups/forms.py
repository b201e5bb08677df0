from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.selectors import host_organisations
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
        help_text=_(
            "Usually the district administration (hukumat) or jamoat. Offered: organisations of the group's "
            "district, its partners and the lead organisation."
        ),
    )

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        locations = [loc.place_id for loc in programme.locations.all()]
        districts = places_for(programme, user).filter(pk__in=locations)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        offered = list(districts)
        if len(offered) == 1 and not self.is_bound and not self.initial.get("district"):
            self.initial["district"] = offered[0].pk  # the user's only district
        # Host organisations of the chosen district (before one is chosen: of the districts offered).
        chosen = str(self.data.get("district") or self.initial.get("district") or "")
        shown = [d for d in offered if str(d.pk) == chosen] or offered
        self.fields["host_organisation"].queryset = host_organisations(programme, shown)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        host, district = data.get("host_organisation"), data.get("district")
        if (
            host is not None
            and district is not None
            and not host_organisations(self.programme, [district]).filter(pk=host.pk).exists()
        ):
            self.add_error("host_organisation", _("Choose an organisation of the group's district."))
        return data


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
    """The representation rules of one kind of group, or the programme-wide ones (``kind`` empty)."""

    follow_default = forms.BooleanField(
        label=_("Follow the programme-wide rules"),
        required=False,
        help_text=_("Tick to drop this kind's own rules: its groups are then held to the programme-wide ones."),
    )
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

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not kind:
            del self.fields["follow_default"]  # the programme-wide rules are the default: nothing to follow
        else:
            self.fields["required_sectors"].label = _("Sectors every group of this kind must include")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("follow_default"):  # nothing else matters: the kind's own rules go
            for name in list(self.errors):
                del self.errors[name]
        return data
