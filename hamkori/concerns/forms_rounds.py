"""Forms of the prioritisation-round pages (the scores themselves are read in the view: a grid of
radio buttons, one row per concern and criterion, checked again by :func:`rounds.round_score`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.models import Concern, Criterion
from hamkori.groups.models import WorkingGroup
from hamkori.kit.forms import ISODateField
from hamkori.programmes.models import Programme


class CriterionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if obj.weight > 1:
            return str(_("%(name)s (counts ×%(weight)s)") % {"name": obj.name, "weight": obj.weight})
        return str(obj.name)


class RoundForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Working group"), queryset=WorkingGroup.objects.none(), empty_label=_("— choose the group —")
    )
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("For example: “Spring priorities 2026”."))
    held_on = ISODateField(label=_("Meeting day"), initial=timezone.localdate)
    criteria = CriterionChoice(
        label=_("Criteria"),
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    concerns = forms.ModelMultipleChoiceField(label=_("Shortlist"), queryset=Concern.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        programme: Programme,
        groups: Sequence[WorkingGroup],
        candidates: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = WorkingGroup.objects.filter(  # type: ignore[attr-defined]
            pk__in=[g.pk for g in groups]
        ).select_related("district")
        self.fields["group"].label_from_instance = lambda g: f"{g.name} · {g.district.name}"  # type: ignore[attr-defined]
        active = Criterion.objects.filter(programme=programme, active=True)
        self.fields["criteria"].queryset = active  # type: ignore[attr-defined]
        if not self.is_bound and "criteria" not in self.initial:
            self.initial["criteria"] = [c.pk for c in active]
        self.fields["concerns"].queryset = candidates  # type: ignore[attr-defined]


class ShortlistForm(forms.Form):
    concerns = forms.ModelMultipleChoiceField(label=_("Shortlist"), queryset=Concern.objects.none(), required=False)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["concerns"].queryset = candidates  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    chosen = forms.TypedMultipleChoiceField(
        label=_("The concerns the group takes up"), coerce=int, choices=(), required=False
    )
    confirm = forms.BooleanField(
        label=_("The group agreed this. Deciding closes the round: the scores can no longer change."),
        error_messages={"required": _("Confirm that the group agreed this decision.")},
    )

    def __init__(self, *args: Any, concerns: Sequence[Concern], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chosen"].choices = [(c.pk, c.reference) for c in concerns]  # type: ignore[attr-defined]
