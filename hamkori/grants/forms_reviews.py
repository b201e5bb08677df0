"""Forms of the review pages: the conflict-of-interest declaration, the scores, assigning a reviewer, the
do-no-harm screening and the decision. They read input; the services in ``grants.reviews`` check it again
and decide (a score outside the scale, a criterion of another call, a risk without a note are refused there,
with translated errors keyed by these forms' field names)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hamkori.grants.models import Application, CallCriterion, Conflict, Review, Screening, ScreeningQuestion
from hamkori.grants.reviews import Decision

#: A posted score's name: ``score_<criterion id>`` (ids the call does not have are handed to the service,
#: which refuses them).
SCORE_NAME = re.compile(r"^score_(\d{1,9})$")
#: The largest scale drawn as buttons; a longer one is a number field.
BUTTONS_UP_TO = 10


class DeclareForm(forms.Form):
    conflict = forms.ChoiceField(
        label=_("Conflict of interest"),
        choices=[
            (Conflict.NONE, _("I have no conflict of interest")),
            (Conflict.DECLARED, _("I have a conflict of interest")),
        ],
        widget=forms.RadioSelect,
    )
    conflict_note = forms.CharField(
        label=_("What is the conflict?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when you have a conflict: for example, you are related to the applicants or work with them."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("conflict") == Conflict.DECLARED and not (data.get("conflict_note") or "").strip():
            self.add_error("conflict_note", _("Say what the conflict is."))
        return data


class ReviewForm(forms.Form):
    """One score and one comment per criterion of the call, and an overall comment."""

    comment = forms.CharField(
        label=_("Overall comment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, review: Review, criteria: Sequence[CallCriterion], **kwargs: Any) -> None:
        saved = {s.criterion_id: s for s in review.scores.all()}
        initial = {"comment": review.comment}
        for c in criteria:
            if c.pk in saved:
                initial[f"score_{c.pk}"] = str(saved[c.pk].score)
                initial[f"comment_{c.pk}"] = saved[c.pk].comment
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.score_max = review.application.call.score_max
        for c in self.criteria:
            self.fields[f"score_{c.pk}"] = forms.CharField(label=c.name, required=False, max_length=6)
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=_("Comment on: %(criterion)s") % {"criterion": c.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @property
    def buttons(self) -> bool:
        return self.score_max <= BUTTONS_UP_TO

    @property
    def scale(self) -> list[int]:
        return list(range(self.score_max + 1))

    def cards(self) -> list[dict[str, Any]]:
        return [
            {
                "criterion": c,
                "score": self[f"score_{c.pk}"],
                "comment": self[f"comment_{c.pk}"],
                "value": str(self[f"score_{c.pk}"].value() or ""),
            }
            for c in self.criteria
        ]

    def scores(self) -> dict[int, tuple[Any, str]]:
        """What the service scores: every criterion of the call, and any other ``score_<id>`` that was posted
        (a forged or stale criterion, which the service refuses)."""
        data = self.cleaned_data
        out: dict[int, tuple[Any, str]] = {
            c.pk: (data.get(f"score_{c.pk}", ""), data.get(f"comment_{c.pk}", "")) for c in self.criteria
        }
        for key in self.data:
            match = SCORE_NAME.match(key)
            if match and int(match.group(1)) not in out:
                out[int(match.group(1))] = (self.data.get(key), "")
        return out


class AssignForm(forms.Form):
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int, choices=())

    def __init__(self, *args: Any, candidates: Sequence[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {user.pk: user for user, _label in candidates}
        field: Any = self.fields["reviewer"]
        field.choices = [("", _("Choose a reviewer")), *[(user.pk, label) for user, label in candidates]]

    def clean_reviewer(self) -> Any:
        return self.people[self.cleaned_data["reviewer"]]


RISK_CHOICES = [("ok", _("No risk")), ("risk", _("Risk"))]


class ScreeningForm(forms.Form):
    """For each active do-no-harm question: no risk / a risk, and a note (required for a risk)."""

    note = forms.CharField(
        label=_("Overall note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, questions: Sequence[ScreeningQuestion], screening: Screening | None, **kwargs: Any
    ) -> None:
        initial: dict[str, Any] = {}
        if screening is not None:
            initial["note"] = screening.note
            for answer in screening.answers.all():
                initial[f"question_{answer.question_id}"] = "ok" if answer.ok else "risk"
                initial[f"note_{answer.question_id}"] = answer.note
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[f"question_{q.pk}"] = forms.ChoiceField(
                label=q.name or q.code, choices=RISK_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[f"note_{q.pk}"] = forms.CharField(
                label=_("The risk and how it will be handled"),
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"question": q, "answer": self[f"question_{q.pk}"], "note": self[f"note_{q.pk}"]} for q in self.questions
        ]

    def answers(self) -> dict[int, tuple[bool | None, str]]:
        data = self.cleaned_data
        values = {"ok": True, "risk": False}
        return {
            q.pk: (values.get(data.get(f"question_{q.pk}") or ""), data.get(f"note_{q.pk}", "")) for q in self.questions
        }


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Decision.APPROVE, _("Approve and award the grant")),
            (Decision.CHANGES, _("Ask the applicant for changes")),
            (Decision.REJECT, _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(
        label=_("Amount awarded"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Reasons for the applicant"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The applicant reads this. Required when you reject or ask for changes."),
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"amount": application.amount})
        super().__init__(*args, **kwargs)
        field: Any = self.fields["amount"]
        field.help_text = _("In %(currency)s; the amount requested unless you change it.") % {
            "currency": application.call.currency
        }
