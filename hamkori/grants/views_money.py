"""The grant pages and the programme's money pages, mounted under ``/p/<code>/grants/`` (``urls_money.py``):
the list of awarded grants, a grant's page with its money timeline (award, agreement, tranches with their
conditions, payments, reports, closing) and the panels other modules register, the agreement, the tranche
schedule, releasing a tranche (with a confirmation showing the amount and the rate), reports and their review,
closing, the grant's events; the programme's money page, the grants ledger (XLSX) and the exchange rates.

Thin views: parse, fetch through the scope (``get_for_user``), one service of ``grants.awards``, render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, get_for_user
from hamkori.concerns.selectors import scope_districts
from hamkori.events.models import Event
from hamkori.events.services import local_date
from hamkori.grants import awards
from hamkori.grants.forms_money import (
    EMPTY_ROWS,
    CloseForm,
    GrantEventsForm,
    PlanForm,
    RateForm,
    ReleaseForm,
    ReportForm,
    ReviewForm,
    SignForm,
    condition_value,
)
from hamkori.grants.ledger import ledger_rows, ledger_totals, overview, workbook
from hamkori.grants.models import (
    ZERO,
    CallStatus,
    Condition,
    Disbursement,
    ExchangeRate,
    Grant,
    GrantCall,
    GrantReport,
    GrantStatus,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from hamkori.grants.money import amount_of, convert, grant_totals, rate_for
from hamkori.grants.money_home import releasable
from hamkori.grants.panels import grant_panels
from hamkori.kit.exports import download, record_export
from hamkori.kit.pages import errors_to_form, form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50
#: The list's filters (``?call=&district=&status=&todo=``).
FILTERS = ("call", "district", "status", "todo")
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


def shown(amount: Decimal) -> str:
    """An amount as the reader's language writes it (``12 000,50`` in Russian), never through a float."""
    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def _grant(request: ProgrammeRequest, grant_id: int, action: str = "view") -> Grant:
    found = get_for_user(request.user, Grant, action, pk=grant_id, programme=request.programme)
    return Grant.objects.select_related("programme", "call", "application", "district", "owner").get(pk=found.pk)


def _detail_url(grant: Grant) -> str:
    return reverse("grant_detail", args=[grant.programme.code, grant.pk])


# --- The list ---------------------------------------------------------------------------------------------
def _todo_choices() -> list[tuple[str, str]]:
    return [("review", _("A report waits for review")), ("release", _("A tranche can be released"))]


@programme_view(action="grant.view")
def grant_list(request: ProgrammeRequest) -> HttpResponse:
    """The grants in the user's scope, newest first, with what was released of each; fifty to a page."""
    programme, user = request.programme, request.user
    districts = scope_districts(programme, user)
    calls = list(GrantCall.objects.visible_to(user).filter(programme=programme).only("pk", "title"))
    params = {key: str(request.GET.get(key, "")).strip()[:40] for key in FILTERS}
    grants = Grant.objects.visible_to(user).filter(programme=programme)
    if params["call"]:
        call = next((c for c in calls if str(c.pk) == params["call"]), None)
        grants = grants.filter(call=call) if call else grants.none()
    if params["district"]:
        district = next((d for d in districts if d.code == params["district"]), None)
        grants = grants.filter(district=district) if district else grants.none()
    if params["status"] in GrantStatus.values:
        grants = grants.filter(status=params["status"])
    if params["todo"] == "review":
        grants = grants.filter(Exists(GrantReport.objects.filter(grant=OuterRef("pk"), status=ReportStatus.SUBMITTED)))
    elif params["todo"] == "release":
        grants = grants.filter(Exists(releasable(Tranche.objects.filter(grant=OuterRef("pk")))))
    released = (
        Tranche.objects.filter(grant=OuterRef("pk"), status=TrancheStatus.RELEASED)
        .order_by()
        .values("grant")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    listed = (
        grants.select_related("application", "district", "call")
        .annotate(released=Coalesce(Subquery(released, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT))
        .order_by("-created_at", "-id")
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page.object_list),
        "params": params,
        "filters": params,
        "calls": calls,
        "districts": districts,
        "statuses": GrantStatus.choices,
        "todos": _todo_choices(),
        "may_money": bool(decide(user, "grants.money", programme)),
        "may_ledger": bool(decide(user, "grants.ledger", programme)),
        "may_rates": bool(decide(user, "grants.rates", programme)),
    }
    return render_page(request, "grants/grant_list.html", context, partial="rows")


# --- A grant's page ---------------------------------------------------------------------------------------
def _timeline(grant: Grant, tranches: list[Tranche], reports: list[GrantReport]) -> list[dict[str, Any]]:
    """The grant's money in the order it moves: the award, the agreement, each tranche after the report it
    waits for, the reports, the closing."""
    entries: list[dict[str, Any]] = [
        {"kind": "award", "on": local_date(grant.programme, grant.created_at)},
        {"kind": "agreement", "on": grant.agreement_signed_on},
    ]
    placed: set[int] = set()

    def add_reports(up_to: int | None) -> None:
        for report in reports:
            if report.pk not in placed and (up_to is None or report.number <= up_to):
                placed.add(report.pk)
                entries.append(
                    {"kind": "report", "report": report, "on": local_date(grant.programme, report.created_at)}
                )

    for tranche in tranches:
        if tranche.condition == Condition.REPORT:
            add_reports(tranche.report_number)
        payment = getattr(tranche, "disbursement", None) if tranche.status == TrancheStatus.RELEASED else None
        holds, why = (False, "")
        if tranche.status == TrancheStatus.PLANNED and grant.status == GrantStatus.AGREED:
            holds, why = awards.condition_holds(tranche)
        entries.append(
            {
                "kind": "tranche",
                "tranche": tranche,
                "payment": payment,
                "holds": holds,
                "why": why,
                "on": payment.paid_on if payment else None,
            }
        )
    add_reports(None)
    entries.append({"kind": "closing", "on": local_date(grant.programme, grant.closed_at) if grant.closed_at else None})
    return entries


def _detail_context(request: ProgrammeRequest, grant: Grant) -> dict[str, Any]:
    user = request.user
    is_open = grant.status == GrantStatus.AGREED
    may_manage = bool(decide(user, "grant.manage", grant)) and is_open
    may_report = bool(decide(user, "grant.report", grant)) and is_open
    tranches = list(grant.tranches.select_related("disbursement").order_by("number"))
    reports = list(grant.reports.order_by("number"))
    released, spent = grant_totals(grant)
    waiting = any(r.status == ReportStatus.SUBMITTED for r in reports)
    return {
        "grant": grant,
        "application": grant.application,
        "timeline": _timeline(grant, tranches, reports),
        "released": released,
        "spent": spent,
        "to_release": grant.amount - released,
        "may_manage": may_manage,
        "may_report": may_report,
        "may_submit_report": may_report and not waiting,
        "may_link_events": bool(decide(user, "grant.report", grant)),
        "blockers": awards.close_blockers(grant) if is_open else [],
        "events": list(
            Event.objects.visible_to(user).filter(grants=grant).select_related("place").order_by("starts_at")
        ),
        "panels": [
            render_to_string(panel.template, {**panel.context, "grant": grant}, request=request)
            for panel in grant_panels(user, grant)
        ],
    }


@programme_view(action="grant.view")
def grant_detail(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    grant = _grant(request, grant_id)
    return render(request, "grants/grant_detail.html", _detail_context(request, grant))


# --- The agreement ----------------------------------------------------------------------------------------
@programme_view(action="grant.manage")
def grant_sign(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    grant = _grant(request, grant_id, "manage")
    initial = {"signed_on": grant.agreement_signed_on or timezone.localdate()}
    form = SignForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form, lambda data: awards.agreement_sign(actor=request.user, grant=grant, signed_on=data["signed_on"])
        )
        if done:
            messages.success(request, _("The signed agreement is recorded."))
            return redirect(_detail_url(grant))
        status = done.status
    return render(request, "grants/grant_sign.html", {"grant": grant, "form": form}, status=status)


# --- The tranche schedule ---------------------------------------------------------------------------------
def _typed_pairs(form: PlanForm) -> list[tuple[str, str]]:
    """(amount, condition) of every row as typed (posted) or as planned (initial)."""
    pairs = []
    for name in form.fields:
        if name.startswith("amount-"):
            condition = f"condition-{name.removeprefix('amount-')}"
            source = form.data if form.is_bound else form.initial
            pairs.append((str(source.get(name) or ""), str(source.get(condition) or "")))
    return pairs


def _plan_sum(grant: Grant, released: list[Tranche], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """What the rows add up to, next to the grant (shown as the amounts are typed)."""
    total = sum((t.amount for t in released), ZERO)
    unreadable = []
    for n, (amount, _condition) in enumerate(pairs, start=1):
        if not amount.strip():
            continue
        try:
            total += amount_of(amount, currency=grant.currency, field="amount")
        except ValidationError:
            unreadable.append(n)
    difference = grant.amount - total
    return {
        "total": total,
        "left": difference if difference > 0 else ZERO,
        "over": -difference if difference < 0 else ZERO,
        "exact": difference == 0 and not unreadable,
        "unreadable": unreadable,
    }


@programme_view(action="grant.manage")
def grant_plan(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    """The planned tranches as rows (amount, released when), empty rows for more; released ones stay."""
    grant = _grant(request, grant_id, "manage")
    tranches = list(grant.tranches.select_related("disbursement").order_by("number"))
    released = [t for t in tranches if t.status == TrancheStatus.RELEASED]
    planned = [t for t in tranches if t.status == TrancheStatus.PLANNED]
    room = max(1, awards.MAX_TRANCHES - len(released))
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" or any(key.startswith("amount-") for key in data):
        form = PlanForm(data, rows=PlanForm.rows_in(data, len(released)))
    else:
        initial: dict[str, Any] = {}
        for i, tranche in enumerate(planned):
            initial[f"amount-{i}"] = tranche.amount
            initial[f"condition-{i}"] = condition_value(tranche)
        form = PlanForm(initial=initial, rows=min(len(planned) + EMPTY_ROWS, room))
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form, lambda _data: awards.tranches_plan(actor=request.user, grant=grant, rows=form.service_rows())
        )
        if done:
            messages.success(request, _("The tranches are planned."))
            return redirect(_detail_url(grant))
        status = done.status
    context = {
        "grant": grant,
        "form": form,
        "released": released,
        "sum": _plan_sum(grant, released, _typed_pairs(form)),
        "plan_url": reverse("grant_plan", args=[grant.programme.code, grant.pk]),
    }
    return render_page(request, "grants/grant_plan.html", context, partial="sum", status=status)


# --- Releasing a tranche ----------------------------------------------------------------------------------
def _preview(grant: Grant, tranche: Tranche, data: dict[str, Any]) -> dict[str, Any]:
    """The amount and the rate a release with ``data`` will use (the service uses the same rate)."""
    currency = data["paid_currency"]
    if currency == grant.currency:
        return {"rate": Decimal("1"), "rate_on": None, "paid": tranche.amount, "currency": currency}
    found = rate_for(grant.programme, base=grant.currency, quote=currency, on=data["paid_on"])
    if found is None:
        raise ValidationError(
            {
                "paid_currency": [
                    _("Enter the exchange rate of %(base)s to %(quote)s for %(day)s first.")
                    % {"base": grant.currency, "quote": currency, "day": data["paid_on"].isoformat()}
                ]
            }
        )
    return {
        "rate": found.rate,
        "rate_on": found.on,
        "paid": convert(tranche.amount, found.rate, currency),
        "currency": currency,
    }


@programme_view(action="grant.manage")
def tranche_release(request: ProgrammeRequest, grant_id: int, tranche_id: int) -> HttpResponse:
    """The payment's day, currency and reference; then a confirmation with the amount and the rate; then the
    release (``awards.tranche_release``, which checks everything again under the call's lock)."""
    grant = _grant(request, grant_id, "manage")
    tranche = grant.tranches.filter(pk=tranche_id).first()
    if tranche is None:
        raise Http404
    if tranche.status == TrancheStatus.RELEASED:
        holds, why = False, _("This tranche was already released.")
    elif grant.status == GrantStatus.CLOSED:
        holds, why = False, _("This grant is closed.")
    else:
        holds, why = awards.condition_holds(tranche)
    initial = {"paid_on": timezone.localdate(), "paid_currency": grant.currency}
    form = ReleaseForm(request.POST if request.method == "POST" else None, initial=initial)
    context: dict[str, Any] = {"grant": grant, "tranche": tranche, "form": form, "holds": holds, "why": why}
    if request.method != "POST":
        return render(request, "grants/grant_release.html", context)
    if "confirm" in request.POST:
        done = form_then_service(
            form,
            lambda data: awards.tranche_release(
                actor=request.user,
                tranche=tranche,
                paid_on=data["paid_on"],
                paid_currency=data["paid_currency"],
                reference=data["reference"],
            ),
        )
        if done:
            payment = done.value
            messages.success(
                request,
                _("Tranche %(n)s is released: %(amount)s %(currency)s paid.")
                % {"n": tranche.number, "amount": shown(payment.paid_amount), "currency": payment.paid_currency},
            )
            return redirect(_detail_url(grant))
        return render(request, "grants/grant_release.html", context, status=422)
    if not form.is_valid():
        return render(request, "grants/grant_release.html", context, status=422)
    if "edit" in request.POST:
        return render(request, "grants/grant_release.html", context)
    if not holds:
        form.add_error(None, why)
        return render(request, "grants/grant_release.html", context, status=422)
    try:
        context["preview"] = _preview(grant, tranche, form.cleaned_data)
    except ValidationError as exc:
        errors_to_form(form, exc)
        return render(request, "grants/grant_release.html", context, status=422)
    return render(request, "grants/grant_release.html", context)


# --- Reports ----------------------------------------------------------------------------------------------
@programme_view(action="grant.report")
def report_create(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    """A narrative and financial report, or a returned report corrected and sent again."""
    grant = _grant(request, grant_id, "report")
    returned = grant.reports.filter(status=ReportStatus.RETURNED).order_by("-number").first()
    initial = {"kind": returned.kind, "narrative": returned.narrative, "spent": returned.spent} if returned else {}
    form = ReportForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda data: awards.report_submit(
                actor=request.user,
                grant=grant,
                kind=data["kind"],
                narrative=data["narrative"],
                spent=data["spent"],
                report=returned,
            ),
        )
        if done:
            messages.success(request, _("Report %(n)s is sent for review.") % {"n": done.value.number})
            return redirect(_detail_url(grant))
        status = done.status
    released, _spent = grant_totals(grant)
    context = {"grant": grant, "form": form, "returned": returned, "released": released}
    return render(request, "grants/grant_report.html", context, status=status)


@programme_view(action="grant.manage")
def report_review(request: ProgrammeRequest, grant_id: int, report_id: int) -> HttpResponse:
    grant = _grant(request, grant_id, "manage")
    report = grant.reports.filter(pk=report_id).first()
    if report is None:
        raise Http404
    form = ReviewForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda data: awards.report_review(
                actor=request.user, report=report, approve=data["decision"] == "approve", note=data["review_note"]
            ),
        )
        if done:
            if done.value.status == ReportStatus.APPROVED:
                messages.success(request, _("Report %(n)s is approved.") % {"n": report.number})
            else:
                messages.success(request, _("Report %(n)s is returned for changes.") % {"n": report.number})
            return redirect(_detail_url(grant))
        status = done.status
    return render(request, "grants/grant_review.html", {"grant": grant, "report": report, "form": form}, status=status)


# --- Closing ----------------------------------------------------------------------------------------------
@programme_view(action="grant.manage")
def grant_close(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    grant = _grant(request, grant_id, "manage")
    form = CloseForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form, lambda data: awards.grant_close(actor=request.user, grant=grant, note=data["closing_note"])
        )
        if done:
            messages.success(request, _("The grant is closed."))
            return redirect(_detail_url(grant))
        status = done.status
    blockers = awards.close_blockers(grant) if grant.status == GrantStatus.AGREED else []
    context = {"grant": grant, "form": form, "blockers": blockers}
    return render(request, "grants/grant_close.html", context, status=status)


# --- The grant's events -----------------------------------------------------------------------------------
@programme_view(action="grant.report")
def grant_events(request: ProgrammeRequest, grant_id: int) -> HttpResponse:
    """Link the events of the grant's district that belong to its campaign (events never import grants)."""
    grant = _grant(request, grant_id, "report")
    offered = (
        Event.objects.visible_to(request.user)
        .filter(programme=request.programme)
        .filter(Q(district=grant.district) | Q(grants=grant))
        .distinct()
        .order_by("-starts_at", "-id")
    )
    linked = list(Event.objects.visible_to(request.user).filter(grants=grant).values_list("pk", flat=True))
    form = GrantEventsForm(
        request.POST if request.method == "POST" else None, events=offered, initial={"events": linked}
    )
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form, lambda data: awards.grant_events_set(actor=request.user, grant=grant, events=list(data["events"]))
        )
        if done:
            messages.success(request, _("The grant's events are saved."))
            return redirect(_detail_url(grant))
        status = done.status
    return render(request, "grants/grant_events.html", {"grant": grant, "form": form}, status=status)


# --- The programme's money --------------------------------------------------------------------------------
@programme_view(action="grants.money")
def grants_money(request: ProgrammeRequest) -> HttpResponse:
    """Per call: the envelope, what grants committed, what was released, what is left, what was paid in each
    currency; the totals per currency. Totals only: no grantee is named (donors read it too)."""
    programme, user = request.programme, request.user
    calls = GrantCall.objects.filter(programme=programme)
    if not decide(user, "grantcall.change", programme):
        calls = calls.exclude(status=CallStatus.DRAFT)  # a draft call is the lead organisation's plan
    data = overview(list(calls.order_by("-deadline", "-id")))
    context = {
        "overview": data,
        "may_ledger": bool(decide(user, "grants.ledger", programme)),
        "may_rates": bool(decide(user, "grants.rates", programme)),
        "may_grants": bool(decide(user, "grant.view", programme)),
    }
    return render(request, "grants/money.html", context)


@programme_view(action="grants.ledger")
def grants_ledger(request: ProgrammeRequest) -> HttpResponse:
    """Every award and disbursement with its grantee, as XLSX with real numbers and dates; audited."""
    programme = request.programme
    rows = ledger_rows(programme)
    content = workbook(rows, ledger_totals(rows), title=_("Grants ledger"))
    record_export(
        actor=request.user,
        programme=programme,
        action="grants.ledger.export",
        fmt="xlsx",
        rows=len(rows),
        aggregate=False,
    )
    return download(content, "xlsx", f"{programme.code}-grants-ledger-{timezone.localdate().isoformat()}")


@programme_view(action="grants.rates")
def grants_rates(request: ProgrammeRequest) -> HttpResponse:
    """The programme's dated exchange rates: add a day's rate or correct one no payment used."""
    programme = request.programme
    rates = ExchangeRate.objects.filter(programme=programme).order_by("-on", "base", "quote")
    page = Paginator(rates, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    used = set(
        Disbursement.objects.filter(tranche__grant__programme=programme, rate_on__in={r.on for r in rows})
        .values_list("rate_on", "currency", "paid_currency")
        .distinct()
    )
    initial: dict[str, Any] = {"on": timezone.localdate()}
    existing = _rate_to_correct(rates, request.GET)
    if existing is not None:
        initial = {"on": existing.on, "base": existing.base, "quote": existing.quote, "rate": existing.rate}
    form = RateForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda data: awards.rate_save(
                actor=request.user,
                programme=programme,
                on=data["on"],
                base=data["base"],
                quote=data["quote"],
                rate=data["rate"],
            ),
        )
        if done:
            messages.success(request, _("The exchange rate is saved."))
            return redirect(reverse("grants_rates", args=[programme.code]))
        status = done.status
    context = {
        "page": page,
        "rows": [(r, (r.on, r.base, r.quote) in used) for r in rows],
        "form": form,
        "params": {},
    }
    return render(request, "grants/rates.html", context, status=status)


def _rate_to_correct(rates: Any, query: Any) -> ExchangeRate | None:
    """The rate ``?on=2026-11-20&base=USD&quote=TJS`` names (its "Correct" link), if there is one."""
    try:
        on = dt.date.fromisoformat(str(query.get("on", ""))[:10])
    except ValueError:
        return None
    base, quote = str(query.get("base", ""))[:3], str(query.get("quote", ""))[:3]
    return rates.filter(on=on, base=base, quote=quote).first() if base and quote else None
