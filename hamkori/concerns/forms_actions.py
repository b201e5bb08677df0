"""Forms of the action plan, referrals, sign-offs and reviews (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.actions import owner_choices, referral_organisations
from hamkori.concerns.models import MAX_TEXT, Action, Concern
from hamkori.kit.forms import ISODateField
from hamkori.orgs.models import Organisation

RATINGS = [
    (1, _("1 — very unsafe")),
    (2, _("2 — unsafe")),
    (3, _("3 — neither")),
    (4, _("4 — fairly safe")),
    (5, _("5 — safe")),
]

#: Shown above the message of a referral: it goes to people outside the programme.
REFERRAL_WARNING = _(
    "The liaison of this organisation will read this message, the concern's reference, district, drivers "
    "and description. Write it yourself and name no one: no names, phone numbers, addresses or details "
    "that could identify the person who raised the concern or anyone else."
)


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class OrganisationsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class ActionForm(forms.Form):
    title = forms.CharField(label=_("What will be done"), max_length=300)
    due_on = ISODateField(label=_("Due"))
    owners = OrganisationsField(
        label=_("Who owns it"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose several for a joint action."),
    )
    group_owns = forms.BooleanField(label=_("The working group owns it too"), required=False)

    def __init__(self, *args: Any, concern: Concern, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        owners: Any = self.fields["owners"]
        owners.queryset = owner_choices(concern.programme, concern.district)
        if concern.group is None:
            del self.fields["group_owns"]
        else:
            self.fields["group_owns"].label = _("%(group)s, the working group, owns it too") % {"group": concern.group}


class ActionUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("Status"), choices=Action.State.choices)
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"step": 5, "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Progress note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What happened, what is next. Needed to drop an action."),
    )

    def __init__(self, *args: Any, action: Action, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"a{action.pk}")
        kwargs.setdefault("initial", {"state": action.state, "progress": action.progress})
        super().__init__(*args, **kwargs)


class PublishForm(forms.Form):
    public_text = forms.CharField(
        label=_("Public wording"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the district's public page. Leave empty to withdraw it."),
    )
    do_no_harm_checked = forms.BooleanField(
        label=_("I have checked: this wording names no one and cannot identify anyone."), required=False
    )


class ReferralForm(forms.Form):
    organisation = OrganisationChoiceField(label=_("Refer to"), queryset=Organisation.objects.none())
    message = forms.CharField(
        label=_("What is asked"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "aria-describedby": "referral-warning"}),
    )
    respond_by = ISODateField(label=_("Answer by"))
    action = forms.ModelChoiceField(
        label=_("For the action"), queryset=Action.objects.none(), required=False, empty_label=_("None")
    )

    def __init__(self, *args: Any, concern: Concern, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "referral")
        super().__init__(*args, **kwargs)
        organisation: Any = self.fields["organisation"]
        organisation.queryset = referral_organisations(concern.district)
        action: Any = self.fields["action"]
        action.queryset = concern.actions.exclude(state=Action.State.DROPPED)


class RespondForm(forms.Form):
    response = forms.CharField(
        label=_("What your organisation did or will do"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The lead organisation and the working group's facilitators read it."),
    )


class SignOffForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("resolved", _("Resolved")), ("partly_resolved", _("Partly resolved"))],
        initial="resolved",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    reviewed_on = ISODateField(label=_("Reviewed on"))
    rating_before = forms.TypedChoiceField(
        label=_("How safe people felt before (1–5)"), choices=RATINGS, coerce=int, widget=forms.RadioSelect
    )
    rating_after = forms.TypedChoiceField(
        label=_("How safe people feel now (1–5)"), choices=RATINGS, coerce=int, widget=forms.RadioSelect
    )
    what_changed = forms.CharField(
        label=_("What changed"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "review")
        kwargs.setdefault("initial", {"reviewed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
