"""The form of the staff's publishing page: a district's introduction and the do-no-harm checklist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.concerns.publication import MAX_INTRODUCTION

#: The do-no-harm checklist: every box must be ticked before a page is published.
CHECKLIST = [
    ("names_no_one", _("It names no one: no person, and no organisation that would point to one.")),
    ("no_village", _("It shows no place finer than the district (no village, mahalla or street).")),
    ("nothing_verbatim", _("Nothing on it is what a reporter said or wrote, word for word.")),
]


class DistrictPageForm(forms.Form):
    district = forms.CharField(widget=forms.HiddenInput, max_length=80)
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=MAX_INTRODUCTION,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few sentences on the working group's work in the district. Name no one."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in CHECKLIST:
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _label in CHECKLIST]

    def confirmed(self) -> bool:
        """Every box of the checklist ticked (the service refuses to publish otherwise)."""
        return all(self.cleaned_data.get(name) for name, _label in CHECKLIST)
