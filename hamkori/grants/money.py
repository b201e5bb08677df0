"""Amounts, currencies, dated exchange rates and what a call has committed and disbursed.

Every amount is a ``Decimal`` with the currency's decimal places (two: dirams, cents). An amount typed with
more decimals than its currency has is refused, never rounded silently. Conversions round half up to the
diram/cent once, when a disbursement is paid; totals add stored amounts only, so the money page and the
ledger add up to the last diram.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

from hamkori.grants.models import (
    CURRENCY_PLACES,
    ZERO,
    Disbursement,
    ExchangeRate,
    Grant,
    GrantCall,
    GrantStatus,
    Tranche,
    TrancheStatus,
)
from hamkori.programmes.models import Currency, Programme

#: The largest amount a field takes (14 digits, two after the point).
MAX_AMOUNT = Decimal("999999999999.99")


def places_of(currency: str) -> int:
    return CURRENCY_PLACES.get(currency, 2)


def amount_of(value: Any, *, currency: str, field: str, allow_zero: bool = False) -> Decimal:
    """``value`` (text or number) as an amount of ``currency``, or a translated error keyed by ``field``:
    not a number, zero or negative, too large, or with more decimals than the currency has."""
    if currency not in Currency.values:
        raise ValidationError({field: [_("Choose a currency.")]})
    if isinstance(value, float):
        value = repr(value)
    text = str(value if value is not None else "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount, for example 1500 or 1500.50.")]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [_("Enter an amount, for example 1500 or 1500.50.")]})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: [_("The amount must be more than zero.")]})
    places = places_of(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValidationError(
            {
                field: [
                    _("%(currency)s has %(places)s decimal places: %(amount)s has more.")
                    % {"currency": currency, "places": places, "amount": text}
                ]
            }
        )
    if amount > MAX_AMOUNT:
        raise ValidationError({field: [_("This amount is too large.")]})
    return amount.quantize(Decimal(1).scaleb(-places))


def convert(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """``amount`` times ``rate``, rounded half up to ``currency``'s smallest unit."""
    return (amount * rate).quantize(Decimal(1).scaleb(-places_of(currency)), rounding=ROUND_HALF_UP)


def rate_for(programme: Programme, *, base: str, quote: str, on: dt.date) -> ExchangeRate | None:
    """The rate of ``on`` or, when none was entered that day, the latest before it."""
    return ExchangeRate.objects.filter(programme=programme, base=base, quote=quote, on__lte=on).order_by("-on").first()


@dataclass(frozen=True)
class Totals:
    """A call's (or several calls') envelope, what grants committed, what was released and what was paid."""

    currency: str
    envelope: Decimal
    committed: Decimal
    disbursed: Decimal
    #: What reached grantees, by the currency it was paid in.
    paid: dict[str, Decimal]

    @property
    def remaining(self) -> Decimal:
        return self.envelope - self.committed

    @property
    def undisbursed(self) -> Decimal:
        return self.committed - self.disbursed


def cents(value: Decimal | None) -> Decimal:
    """A sum as the database gives it (SQLite's can carry a long tail of zeros) with two decimal places."""
    return (value or ZERO).quantize(ZERO)


def committed(call: GrantCall) -> Decimal:
    return cents(Grant.objects.filter(call=call).aggregate(s=Sum("amount"))["s"])


def disbursed(call: GrantCall) -> Decimal:
    released = Tranche.objects.filter(grant__call=call, status=TrancheStatus.RELEASED)
    return cents(released.aggregate(s=Sum("amount"))["s"])


def call_totals(calls: list[GrantCall]) -> dict[int, Totals]:
    """Totals per call, in a constant number of queries."""
    ids = [c.pk for c in calls]
    grants = dict(
        Grant.objects.filter(call_id__in=ids).values("call_id").annotate(s=Sum("amount")).values_list("call_id", "s")
    )
    released = dict(
        Tranche.objects.filter(grant__call_id__in=ids, status=TrancheStatus.RELEASED)
        .values("grant__call_id")
        .annotate(s=Sum("amount"))
        .values_list("grant__call_id", "s")
    )
    paid: dict[int, dict[str, Decimal]] = {}
    for call_id, cur, total in (
        Disbursement.objects.filter(tranche__grant__call_id__in=ids)
        .values("tranche__grant__call_id", "paid_currency")
        .annotate(s=Sum("paid_amount"))
        .values_list("tranche__grant__call_id", "paid_currency", "s")
    ):
        paid.setdefault(call_id, {})[cur] = cents(total)
    return {
        c.pk: Totals(
            currency=c.currency,
            envelope=c.envelope,
            committed=cents(grants.get(c.pk)),
            disbursed=cents(released.get(c.pk)),
            paid=paid.get(c.pk, {}),
        )
        for c in calls
    }


def programme_totals(programme: Programme) -> dict[str, Totals]:
    """The programme's totals per currency of its calls (amounts of different currencies are never added)."""
    calls = list(GrantCall.objects.filter(programme=programme))
    per_call = call_totals(calls)
    out: dict[str, Totals] = {}
    for call in calls:
        t = per_call[call.pk]
        before = out.get(call.currency)
        if before is None:
            out[call.currency] = t
            continue
        paid = dict(before.paid)
        for cur, value in t.paid.items():
            paid[cur] = paid.get(cur, ZERO) + value
        out[call.currency] = Totals(
            currency=call.currency,
            envelope=before.envelope + t.envelope,
            committed=before.committed + t.committed,
            disbursed=before.disbursed + t.disbursed,
            paid=paid,
        )
    return out


def grant_totals(grant: Grant) -> tuple[Decimal, Decimal]:
    """(released, spent so far) of one grant. A report gives what was spent *so far* (checked against what was
    released), so the spent amount is the latest approved report's, never a sum of reports."""
    released = cents(grant.tranches.filter(status=TrancheStatus.RELEASED).aggregate(s=Sum("amount"))["s"])
    latest = grant.reports.filter(status="approved").order_by("-number").values_list("spent", flat=True).first()
    return released, cents(latest)


def open_grants(call: GrantCall) -> int:
    return Grant.objects.filter(call=call, status=GrantStatus.AGREED).count()
