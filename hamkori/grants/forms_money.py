"""Forms of the grant and money pages. They read and check the shape of the input; the services in
``grants.awards`` decide and write (amounts are checked there, with the currency's decimal places).

Amounts are text fields with a decimal keypad on a phone (``inputmode="decimal"``): a number field would
turn "1500,50" into nothing in some browsers, and the amount must never pass through a float."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.events.models import Event
from hamkori.grants.awards import MAX_TRANCHES
from hamkori.grants.models import Condition, ReportKind, Tranche
from hamkori.kit.forms import ISODateField
from hamkori.programmes.models import Currency

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
#: Empty rows offered under the planned tranches for more.
EMPTY_ROWS = 2
ROW_KEY = re.compile(r"^amount-(\d{1,2})$")


def amount_input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={**AMOUNT_ATTRS, **attrs})


class SignForm(forms.Form):
    signed_on = ISODateField(label=gettext_lazy("Agreement signed on"))


class ReleaseForm(forms.Form):
    """The payment of a tranche: the day it was paid, the currency it was paid in and the bank's reference.
    The first send shows the amount and the rate that will be used; ``confirm`` releases."""

    paid_on = ISODateField(label=gettext_lazy("Paid on"))
    paid_currency = forms.ChoiceField(
        label=gettext_lazy("Paid in"),
        choices=Currency.choices,
        help_text=gettext_lazy("Another currency than the grant's is converted at the rate of the payment's day."),
    )
    reference = forms.CharField(
        label=gettext_lazy("Payment reference"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("The bank's or the cash book's reference, to find the payment again."),
    )


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of report"),
        choices=ReportKind.choices,
        initial=ReportKind.INTERIM,
        widget=forms.RadioSelect,
    )
    narrative = forms.CharField(
        label=gettext_lazy("What was done"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What the campaign did, where, and whom it reached."),
    )
    spent = forms.CharField(
        label=gettext_lazy("Amount spent so far"),
        max_length=40,
        widget=amount_input(),
        help_text=gettext_lazy("In the grant's currency, for example 1500 or 1500.50."),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Return for changes"))],
        widget=forms.RadioSelect,
    )
    review_note = forms.CharField(
        label=gettext_lazy("Note for the grantee"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Required when the report is returned: say what to change."),
    )


class CloseForm(forms.Form):
    closing_note = forms.CharField(
        label=gettext_lazy("Closing note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RateForm(forms.Form):
    on = ISODateField(label=gettext_lazy("Date"))
    base = forms.ChoiceField(label=gettext_lazy("One unit of"), choices=Currency.choices, initial=Currency.USD)
    quote = forms.ChoiceField(label=gettext_lazy("Buys, in"), choices=Currency.choices, initial=Currency.TJS)
    rate = forms.CharField(
        label=gettext_lazy("Rate"),
        max_length=30,
        widget=amount_input(),
        help_text=gettext_lazy("How many units of the second currency one unit of the first bought that day."),
    )


class EventChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.title


class GrantEventsForm(forms.Form):
    events = EventChoice(
        label=gettext_lazy("Events of this grant"),
        queryset=Event.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, events: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].queryset = events  # type: ignore[attr-defined]


def condition_choices() -> list[tuple[str, str]]:
    """The conditions a tranche may wait for: the agreement, or report 1, 2, ... approved."""
    return [(Condition.SIGNED, _("Agreement signed"))] + [
        (f"report:{n}", _("Report %(n)s approved") % {"n": n}) for n in range(1, MAX_TRANCHES + 1)
    ]


def condition_value(tranche: Tranche) -> str:
    return f"report:{tranche.report_number}" if tranche.condition == Condition.REPORT else Condition.SIGNED


class PlanForm(forms.Form):
    """The planned tranches as rows of an amount and a condition (``amount-<i>``, ``condition-<i>``), with empty
    rows for more. A released tranche is not a row: it stays as it was paid."""

    def __init__(self, *args: Any, rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = condition_choices()
        for i in range(rows):
            n = i + 1
            self.fields[f"amount-{i}"] = forms.CharField(
                label=_("Tranche %(n)s: amount") % {"n": n},
                required=False,
                max_length=40,
                widget=amount_input(**{"data-plan-amount": ""}),
            )
            self.fields[f"condition-{i}"] = forms.ChoiceField(
                label=_("Tranche %(n)s: released when") % {"n": n}, choices=choices, required=False
            )

    @staticmethod
    def rows_in(data: Any, released: int) -> int:
        """How many rows the posted form has (never more than a grant's tranches)."""
        found = [int(m.group(1)) + 1 for key in data for m in [ROW_KEY.match(key)] if m]
        return max(1, min(max(found, default=1), MAX_TRANCHES - released))

    def row_pairs(self) -> list[tuple[str, str]]:
        """(amount, condition) of every row, as typed."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        pairs = []
        for name in self.fields:
            if name.startswith("amount-"):
                i = name.removeprefix("amount-")
                pairs.append((str(data.get(name) or ""), str(data.get(f"condition-{i}") or "")))
        return pairs

    def service_rows(self) -> list[tuple[str, str, str | None]]:
        """The rows as ``tranches_plan`` takes them: (amount, condition, report number)."""
        rows: list[tuple[str, str, str | None]] = []
        for amount, condition in self.row_pairs():
            if not amount.strip():
                continue  # an empty row, whatever its condition says
            if condition.startswith("report:"):
                rows.append((amount, Condition.REPORT, condition.removeprefix("report:")))
            else:
                rows.append((amount, condition or Condition.SIGNED, None))
        return rows

    def row_fields(self) -> list[tuple[Any, Any]]:
        """(amount field, condition field) per row, bound, for the template."""
        return [
            (self[name], self[f"condition-{name.removeprefix('amount-')}"])
            for name in self.fields
            if name.startswith("amount-")
        ]
