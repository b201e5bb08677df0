"""Grants after the award: the agreement, the tranche schedule, releasing tranches (only when their condition
holds) with the disbursement at the day's exchange rate, reports with their review, closing; and the
programme's table of dated exchange rates.

Every write that adds to what a call committed or disbursed first locks the call's row
(``lock_call``: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every write transaction is ``IMMEDIATE`` and
so already serialised) and sums again under that lock: two staff releasing or awarding at the same moment
are served one after the other, and the second sees what the first did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce
from hamkori.concerns.services import clean_text
from hamkori.core import audit
from hamkori.events.models import Event
from hamkori.grants.models import (
    MAX_TEXT,
    ZERO,
    Application,
    Condition,
    Disbursement,
    ExchangeRate,
    Grant,
    GrantCall,
    GrantReport,
    GrantStatus,
    ReportKind,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from hamkori.grants.money import amount_of, committed, convert, disbursed, rate_for
from hamkori.programmes.models import Currency, Programme

#: Tranches a grant may have.
MAX_TRANCHES = 12


def lock_call(call_id: int) -> GrantCall:
    """The call's row, locked until the transaction ends (see the module's docstring)."""
    return GrantCall.objects.select_for_update().get(pk=call_id)


def _number(programme: Programme) -> str:
    count = Grant.objects.filter(programme=programme).count()
    while True:
        count += 1
        number = f"G-{programme.pk}-{count:03d}"
        if not Grant.objects.filter(number=number).exists():
            return number


def grant_award(*, actor: Any, application: Application, amount: Any = None) -> Grant:
    """Commit the grant against the call's envelope (called by ``reviews.application_decide``, in its
    transaction). Refused above what is left of the envelope or above the call's largest grant."""
    enforce(actor, "application.decide", application)
    call = lock_call(application.call_id)
    value = application.amount if amount is None else amount_of(amount, currency=call.currency, field="amount")
    if value <= 0:
        raise ValidationError({"amount": [_("The amount must be more than zero.")]})
    if call.max_grant is not None and value > call.max_grant:
        raise ValidationError(
            {
                "amount": [
                    _("This call gives at most %(max)s %(currency)s.")
                    % {"max": call.max_grant, "currency": call.currency}
                ]
            }
        )
    left = call.envelope - committed(call)
    if value > left:
        raise ValidationError(
            {
                "amount": [
                    _("Only %(left)s %(currency)s of the envelope is left; this grant would need %(amount)s.")
                    % {"left": left, "currency": call.currency, "amount": value}
                ]
            }
        )
    grant = Grant.objects.create(
        programme_id=application.programme_id,
        call=call,
        application=application,
        number=_number(call.programme),
        district_id=application.district_id,
        owner_id=application.owner_id or call.programme.lead_organisation_id,
        amount=value,
        currency=call.currency,
    )
    Tranche.objects.create(grant=grant, number=1, amount=value, condition=Condition.SIGNED)
    audit.record(
        actor=actor, action="grant.award", obj=grant, summary={"amount": str(value), "currency": call.currency}
    )
    return grant


def _grant_locked(grant: Grant) -> Grant:
    return Grant.objects.select_for_update().select_related("call").get(pk=grant.pk)


def _open(grant: Grant) -> None:
    if grant.status == GrantStatus.CLOSED:
        raise ValidationError({"__all__": [_("This grant is closed.")]})


@transaction.atomic
def agreement_sign(*, actor: Any, grant: Grant, signed_on: dt.date | None) -> Grant:
    enforce(actor, "grant.manage", grant)
    grant = _grant_locked(grant)
    _open(grant)
    if signed_on is None:
        raise ValidationError({"signed_on": [_("This field is required.")]})
    if signed_on > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationError({"signed_on": [_("The agreement cannot be signed in the future.")]})
    grant.agreement_signed_on = signed_on
    grant.save(update_fields=["agreement_signed_on", "updated_at"])
    audit.record(actor=actor, action="grant.sign", obj=grant, summary={"on": signed_on.isoformat()})
    return grant


@transaction.atomic
def tranches_plan(*, actor: Any, grant: Grant, rows: Sequence[tuple[Any, str, Any]]) -> list[Tranche]:
    """Set the schedule: rows of (amount, condition, report number). Released tranches are kept as they are;
    the planned ones are replaced; together they must add up to the grant exactly."""
    enforce(actor, "grant.manage", grant)
    grant = _grant_locked(grant)
    _open(grant)
    released = list(grant.tranches.filter(status=TrancheStatus.RELEASED))
    errors: list[str] = []
    plan: list[tuple[Decimal, str, int | None]] = []
    for n, (amount, condition, report) in enumerate(rows, start=1):
        if str(amount or "").strip() == "" and not report:
            continue
        try:
            value = amount_of(amount, currency=grant.currency, field="tranches")
        except ValidationError as exc:
            errors.extend(f"{_('Line %(n)s:') % {'n': n}} {m}" for m in exc.message_dict["tranches"])
            continue
        if condition not in Condition.values:
            errors.append(_("Line %(n)s: choose the condition.") % {"n": n})
            continue
        number: int | None = None
        if condition == Condition.REPORT:
            try:
                number = int(str(report).strip())
            except ValueError:
                number = 0
            if not 1 <= number <= 20:
                errors.append(_("Line %(n)s: say which report (1, 2, ...) must be approved first.") % {"n": n})
                continue
        plan.append((value, condition, number))
    if len(released) + len(plan) > MAX_TRANCHES:
        errors.append(_("A grant has at most %(n)s tranches.") % {"n": MAX_TRANCHES})
    total = sum((t.amount for t in released), ZERO) + sum((v for v, _c, _r in plan), ZERO)
    if not errors and total != grant.amount:
        errors.append(
            _("The tranches add up to %(total)s %(currency)s; the grant is %(amount)s %(currency)s.")
            % {"total": total, "amount": grant.amount, "currency": grant.currency}
        )
    if errors:
        raise ValidationError({"tranches": errors})
    grant.tranches.filter(status=TrancheStatus.PLANNED).delete()
    start = max((t.number for t in released), default=0)
    made = Tranche.objects.bulk_create(
        [
            Tranche(grant=grant, number=start + i, amount=value, condition=condition, report_number=report)
            for i, (value, condition, report) in enumerate(plan, start=1)
        ]
    )
    audit.record(
        actor=actor,
        action="grant.plan",
        obj=grant,
        summary={"tranches": [f"{v}:{c}:{r or ''}" for v, c, r in plan]},
    )
    return [*released, *made]


def condition_holds(tranche: Tranche) -> tuple[bool, str]:
    """Whether the tranche's condition holds, and if not, why (for the page and the refusal)."""
    grant = tranche.grant
    if grant.agreement_signed_on is None:
        return False, _("The agreement is not signed yet.")
    earlier = grant.tranches.filter(number__lt=tranche.number, status=TrancheStatus.PLANNED).exists()
    if earlier:
        return False, _("Release the earlier tranches first.")
    if tranche.condition == Condition.REPORT:
        approved = grant.reports.filter(number=tranche.report_number or 0, status=ReportStatus.APPROVED).exists()
        if not approved:
            return False, _("Report %(n)s is not approved yet.") % {"n": tranche.report_number}
    return True, ""


@transaction.atomic
def tranche_release(
    *,
    actor: Any,
    tranche: Tranche,
    paid_on: dt.date | None,
    paid_currency: str | None = None,
    reference: str = "",
) -> Disbursement:
    """Release a tranche whose condition holds and record its payment at the day's exchange rate."""
    enforce(actor, "grant.manage", tranche.grant)
    call = lock_call(tranche.grant.call_id)  # first: every release and award of the call queues here
    tranche = Tranche.objects.select_for_update().select_related("grant").get(pk=tranche.pk)
    grant = tranche.grant
    _open(grant)
    if tranche.status == TrancheStatus.RELEASED:
        raise ValidationError({"__all__": [_("This tranche was already released.")]})
    holds, why = condition_holds(tranche)
    if not holds:
        raise ValidationError({"__all__": [why]})
    if paid_on is None:
        raise ValidationError({"paid_on": [_("This field is required.")]})
    if paid_on > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationError({"paid_on": [_("A payment cannot be recorded before it is made.")]})
    currency = paid_currency or grant.currency
    if currency not in Currency.values:
        raise ValidationError({"paid_currency": [_("Choose a currency.")]})
    already = disbursed(call)
    if already + tranche.amount > call.envelope:
        raise ValidationError(
            {
                "__all__": [
                    _("Releasing %(amount)s %(currency)s would take the call beyond its envelope.")
                    % {"amount": tranche.amount, "currency": call.currency}
                ]
            }
        )
    rate, rate_on = Decimal("1"), None
    if currency != grant.currency:
        found = rate_for(grant.programme, base=grant.currency, quote=currency, on=paid_on)
        if found is None:
            raise ValidationError(
                {
                    "paid_currency": [
                        _("Enter the exchange rate of %(base)s to %(quote)s for %(day)s first.")
                        % {"base": grant.currency, "quote": currency, "day": paid_on.isoformat()}
                    ]
                }
            )
        rate, rate_on = found.rate, found.on
    payment = Disbursement.objects.create(
        tranche=tranche,
        paid_on=paid_on,
        amount=tranche.amount,
        currency=grant.currency,
        paid_currency=currency,
        rate=rate,
        rate_on=rate_on,
        paid_amount=convert(tranche.amount, rate, currency),
        reference=clean_text(reference, field="reference", required=False, limit=100),
    )
    tranche.status = TrancheStatus.RELEASED
    tranche.released_at = timezone.now()
    tranche.released_by = actor if actor is not None else None
    tranche.save(update_fields=["status", "released_at", "released_by"])
    audit.record(
        actor=actor,
        action="grant.release",
        obj=grant,
        summary={
            "tranche": tranche.number,
            "amount": str(tranche.amount),
            "paid": f"{payment.paid_amount} {currency}",
            "rate": str(rate),
        },
    )
    return payment


@transaction.atomic
def report_submit(
    *,
    actor: Any,
    grant: Grant,
    kind: str,
    narrative: str,
    spent: Any,
    report: GrantReport | None = None,
) -> GrantReport:
    """A narrative and financial report (or a returned report sent again)."""
    enforce(actor, "grant.report", grant)
    grant = _grant_locked(grant)
    _open(grant)
    errors: dict[str, list[str]] = {}
    if kind not in ReportKind.values:
        errors["kind"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    try:
        text = clean_text(narrative, field="narrative", limit=MAX_TEXT)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        text = ""
    try:
        amount = amount_of(spent, currency=grant.currency, field="spent", allow_zero=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount = ZERO
    released = grant.tranches.filter(status=TrancheStatus.RELEASED).aggregate(s=Sum("amount"))["s"] or ZERO
    if "spent" not in errors and amount > released:
        errors["spent"] = [
            _("%(spent)s %(currency)s is more than the %(released)s %(currency)s released so far.")
            % {"spent": amount, "released": released, "currency": grant.currency}
        ]
    if report is not None:
        report = GrantReport.objects.select_for_update().get(pk=report.pk, grant=grant)
        if report.status != ReportStatus.RETURNED:
            errors["__all__"] = [_("Only a report returned for changes can be sent again.")]
    elif grant.reports.filter(status=ReportStatus.SUBMITTED).exists():
        errors["__all__"] = [_("The last report is still being reviewed.")]
    if errors:
        raise ValidationError(errors)
    if report is None:
        number = (grant.reports.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        report = GrantReport(grant=grant, number=number)
    report.kind, report.narrative, report.spent = kind, text, amount
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = actor if actor is not None else None
    report.save()
    audit.record(actor=actor, action="grant.report", obj=grant, summary={"report": report.number, "spent": str(amount)})
    return report


@transaction.atomic
def report_review(*, actor: Any, report: GrantReport, approve: bool, note: str = "") -> GrantReport:
    enforce(actor, "grant.manage", report.grant)
    report = GrantReport.objects.select_for_update().select_related("grant").get(pk=report.pk)
    _open(report.grant)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError({"__all__": [_("This report was already reviewed.")]})
    text = clean_text(note, field="review_note", required=not approve, limit=5000)
    report.status = ReportStatus.APPROVED if approve else ReportStatus.RETURNED
    report.review_note = text
    report.reviewed_by = actor if actor is not None else None
    report.reviewed_at = timezone.now()
    report.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="grant.report_approve" if approve else "grant.report_return",
        obj=report.grant,
        summary={"report": report.number},
    )
    return report


def close_blockers(grant: Grant) -> list[str]:
    """Why the grant cannot be closed yet (empty: it can)."""
    reasons: list[str] = []
    if grant.tranches.filter(status=TrancheStatus.PLANNED).exists():
        reasons.append(_("Some tranches are not released."))
    if not grant.reports.filter(kind=ReportKind.FINAL, status=ReportStatus.APPROVED).exists():
        reasons.append(_("The final report is not approved."))
    if grant.reports.filter(status=ReportStatus.SUBMITTED).exists():
        reasons.append(_("A report is waiting for review."))
    return reasons


@transaction.atomic
def grant_close(*, actor: Any, grant: Grant, note: str = "") -> Grant:
    enforce(actor, "grant.manage", grant)
    grant = _grant_locked(grant)
    _open(grant)
    reasons = close_blockers(grant)
    if reasons:
        raise ValidationError({"__all__": reasons})
    grant.status = GrantStatus.CLOSED
    grant.closed_at = timezone.now()
    grant.closing_note = clean_text(note, field="closing_note", required=False, limit=5000)
    grant.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
    audit.record(actor=actor, action="grant.close", obj=grant)
    return grant


@transaction.atomic
def rate_save(
    *, actor: Any, programme: Programme, on: dt.date | None, base: str, quote: str, rate: Any
) -> ExchangeRate:
    """Enter (or correct) the rate of a day: how many ``quote`` one ``base`` buys. A rate a payment used is kept."""
    enforce(actor, "grants.rates", programme)
    errors: dict[str, list[str]] = {}
    if on is None:
        errors["on"] = [_("This field is required.")]
    if base not in Currency.values or quote not in Currency.values or base == quote:
        errors["quote"] = [_("Choose two different currencies.")]
    value = Decimal("0")
    try:
        value = Decimal(str(rate).strip().replace(",", "."))
        if not value.is_finite() or value <= 0 or value > Decimal("99999999"):
            raise ArithmeticError
        if -int(value.as_tuple().exponent) > 6:
            errors["rate"] = [_("A rate has at most six decimal places.")]
    except (ArithmeticError, ValueError):
        errors["rate"] = [_("Enter a rate above zero, for example 10.9215.")]
    if errors:
        raise ValidationError(errors)
    if on is None:  # pragma: no cover - refused above
        raise ValidationError({"on": [_("This field is required.")]})
    if Disbursement.objects.filter(
        tranche__grant__programme=programme, rate_on=on, currency=base, paid_currency=quote
    ).exists():
        raise ValidationError({"rate": [_("A payment was made at this day's rate: it can no longer change.")]})
    row, _created = ExchangeRate.objects.update_or_create(
        programme=programme, on=on, base=base, quote=quote, defaults={"rate": value}
    )
    audit.record(
        actor=actor,
        action="grants.rate",
        obj=programme,
        summary={"on": on.isoformat(), "rate": f"{base}/{quote} {value}"},
    )
    return row


@transaction.atomic
def grant_events_set(*, actor: Any, grant: Grant, events: Sequence[Any]) -> list[Any]:
    """Link the grant's events (the campaign's performances, trainings, meetings): from the grant's side, since
    events never import grants. ``events`` replaces the linked events the actor can see; events linked by others
    that the actor cannot see stay linked. Every event must belong to the grant's programme."""
    enforce(actor, "grant.report", grant)
    grant = _grant_locked(grant)
    scoped = Event.objects.all() if actor is None else Event.objects.visible_to(actor)
    visible = scoped.filter(programme_id=grant.programme_id)
    chosen_ids = {getattr(e, "pk", e) for e in events}
    allowed = set(visible.filter(pk__in=chosen_ids).values_list("pk", flat=True))
    if chosen_ids - allowed:
        raise ValidationError({"events": [_("Choose events of this programme that you can see.")]})
    current = set(grant.events.values_list("pk", flat=True))
    seen_current = set(visible.filter(pk__in=current).values_list("pk", flat=True))
    keep_hidden = current - seen_current
    final = keep_hidden | allowed
    added, removed = sorted(final - current), sorted(current - final)
    if added or removed:
        grant.events.set(sorted(final))
        audit.record(actor=actor, action="grant.events", obj=grant, summary={"added": added, "removed": removed})
    return list(Event.objects.filter(pk__in=final).order_by("starts_at"))
