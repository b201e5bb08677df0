"""Grants through the API: the list, one grant with its tranches, their disbursements and its reports, releasing
a tranche (``awards.tranche_release``) and sending a report (``awards.report_submit``).

Scoped like the pages: grants from ``Grant.objects.visible_to`` (a partner sees her districts), one grant
through ``get_for_user``; releasing is for the lead organisation (``grant.manage``), reporting for the lead and
the partner that supports the grant (``grant.report``). A tranche is released only when its condition holds
(the agreement signed, the earlier tranches released, the report it waits for approved): otherwise 422 with
the reason. Amounts are strings with their currency (see ``hamkori/grants/api.py``).

No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from hamkori.access.policy import get_for_user
from hamkori.concerns.api_actions import OrganisationOut
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.grants import awards
from hamkori.grants.api import GrantCurrency, MoneyOut, amount_text, applicant_of, local, money, programme_records
from hamkori.grants.models import (
    ZERO,
    Grant,
    GrantReport,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from hamkori.people.api import MAX_PAGE, Page

router = Router(tags=["grants"])


class GrantState(StrEnum):
    AGREED = "agreed"
    CLOSED = "closed"


class TrancheCondition(StrEnum):
    SIGNED = "signed"
    REPORT = "report"


class TrancheState(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"


class GrantReportKind(StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class GrantReportState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


# --- Schemas -------------------------------------------------------------------------------------
class GrantOut(Schema):
    """A grant as lists show it."""

    id: int
    number: str
    programme: str
    call: int
    application: int
    reference: str = Field(..., description="The application's reference.")
    title: str = Field(..., description="The campaign's title.")
    applicant: str | None = Field(..., description="Who applied; null when hidden from you (a blind review).")
    district: str
    supported_by: OrganisationOut
    amount: MoneyOut
    released: MoneyOut = Field(..., description="What the released tranches add up to.")
    status: GrantState
    agreement_signed_on: dt.date | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: Grant) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_call(obj: Grant) -> int:
        return obj.call_id

    @staticmethod
    def resolve_application(obj: Grant) -> int:
        return obj.application_id

    @staticmethod
    def resolve_reference(obj: Grant) -> str:
        return obj.application.reference

    @staticmethod
    def resolve_title(obj: Grant) -> str:
        return obj.application.title

    @staticmethod
    def resolve_applicant(obj: Grant, context: Any) -> str | None:
        return applicant_of(context, obj.application)

    @staticmethod
    def resolve_district(obj: Grant) -> str:
        return obj.district.code

    @staticmethod
    def resolve_supported_by(obj: Grant) -> dict[str, Any]:
        return {"id": obj.owner.pk, "name": obj.owner.name, "kind": obj.owner.kind}

    @staticmethod
    def resolve_amount(obj: Grant) -> dict[str, str]:
        return money(obj.amount, obj.currency)

    @staticmethod
    def resolve_released(obj: Grant) -> dict[str, str]:
        return money(getattr(obj, "released_sum", None) or ZERO, obj.currency)

    @staticmethod
    def resolve_closed_at(obj: Grant) -> dt.datetime | None:
        return local(obj.programme, obj.closed_at)


class DisbursementOut(Schema):
    """The payment of a released tranche: in the grant's currency, paid in ``paid.currency`` at ``rate``."""

    paid_on: dt.date
    amount: MoneyOut
    paid: MoneyOut
    rate: str = Field(..., description="Units of the paid currency for one unit of the grant's (a decimal string).")
    rate_on: dt.date | None = Field(..., description="The day of the exchange rate used (null: the same currency).")
    reference: str


class TrancheOut(Schema):
    id: int
    number: int
    amount: MoneyOut
    condition: TrancheCondition
    report_number: int | None = Field(..., description="For a tranche on a report: the report to be approved.")
    status: TrancheState
    released_at: dt.datetime | None
    disbursement: DisbursementOut | None
    can_release: bool = Field(..., description="Whether the tranche's condition holds now.")
    waiting_for: str = Field(..., description="Why it cannot be released yet (empty when it can, or was).")


class GrantReportOut(Schema):
    id: int
    number: int
    kind: GrantReportKind
    narrative: str
    spent: MoneyOut
    status: GrantReportState
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_note: str


class GrantDetailOut(GrantOut):
    spent: MoneyOut = Field(..., description="What the approved reports say was spent.")
    tranches: list[TrancheOut]
    reports: list[GrantReportOut]
    events: list[int] = Field(..., description="Ids of the events the grant's campaign held.")
    closing_note: str


class ReleaseIn(Schema):
    paid_on: dt.date = Field(..., description="The day of the payment (not in the future).")
    paid_currency: GrantCurrency | None = Field(
        None, description="The currency paid in (null: the grant's); another needs that day's exchange rate."
    )
    reference: str = Field("", description="The payment's reference (a bank transfer's number).")


class GrantReportIn(Schema):
    kind: GrantReportKind = GrantReportKind.INTERIM
    narrative: str = Field(..., description="What was done.")
    spent: str = Field(..., description='The amount spent so far, a decimal as a string ("4200.00").')
    report: int | None = Field(
        None, ge=1, le=MAX_ID, description="A report returned for changes, to send it again (its id)."
    )


GrantId = Path(..., ge=1, le=MAX_ID)
TrancheId = Path(..., ge=1, le=MAX_ID)


# --- Helpers -------------------------------------------------------------------------------------
def _released_sum() -> Any:
    released = (
        Tranche.objects.filter(grant=OuterRef("pk"), status=TrancheStatus.RELEASED)
        .values("grant")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(Subquery(released), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def _grants(qs: QuerySet[Grant]) -> QuerySet[Grant]:
    return qs.select_related("programme", "application__call", "district", "owner").annotate(
        released_sum=_released_sum()
    )


def _tranche(tranche: Tranche, grant: Grant) -> dict[str, Any]:
    payment = getattr(tranche, "disbursement", None)
    holds, why = (False, "") if tranche.status == TrancheStatus.RELEASED else awards.condition_holds(tranche)
    return {
        "id": tranche.pk,
        "number": tranche.number,
        "amount": money(tranche.amount, grant.currency),
        "condition": tranche.condition,
        "report_number": tranche.report_number,
        "status": tranche.status,
        "released_at": local(grant.programme, tranche.released_at),
        "disbursement": {
            "paid_on": payment.paid_on,
            "amount": money(payment.amount, payment.currency),
            "paid": money(payment.paid_amount, payment.paid_currency),
            "rate": str(payment.rate),
            "rate_on": payment.rate_on,
            "reference": payment.reference,
        }
        if payment is not None
        else None,
        "can_release": holds,
        "waiting_for": why,
    }


def _report(report: GrantReport, grant: Grant) -> dict[str, Any]:
    return {
        "id": report.pk,
        "number": report.number,
        "kind": report.kind,
        "narrative": report.narrative,
        "spent": money(report.spent, grant.currency),
        "status": report.status,
        "submitted_at": local(grant.programme, report.created_at),
        "reviewed_at": local(grant.programme, report.reviewed_at),
        "review_note": report.review_note,
    }


class _Detail:
    """A grant with what ``GrantDetailOut`` adds (the schema's resolvers read it like the model)."""

    def __init__(self, grant: Grant, **extra: Any) -> None:
        self._grant = grant
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._grant, name)


def _detail(pk: int) -> _Detail:
    grant = (
        _grants(Grant.objects.filter(pk=pk))
        .prefetch_related(
            Prefetch("tranches", queryset=Tranche.objects.select_related("disbursement").order_by("number")),
            Prefetch("reports", queryset=GrantReport.objects.order_by("number")),
            "events",
        )
        .get()
    )
    tranches = list(grant.tranches.all())
    for tranche in tranches:
        tranche.grant = grant  # condition_holds reads the grant's agreement
    reports = list(grant.reports.all())
    spent = sum((r.spent for r in reports if r.status == ReportStatus.APPROVED), ZERO)
    return _Detail(
        grant,
        spent=money(spent, grant.currency),
        tranches=[_tranche(t, grant) for t in tranches],
        reports=[_report(r, grant) for r in reports],
        events=[e.pk for e in grant.events.all()],
    )


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/", response=responses({200: list[GrantOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_grants(
    request: HttpRequest,
    programme: str,
    call: int | None = Query(None, ge=1, le=MAX_ID),
    status: GrantState | None = None,
    district: str = "",
) -> QuerySet[Grant]:
    """The programme's grants you may see (a partner: those of her districts), latest first, with what was
    released. Filter by a call's id, ``status`` and a place code (``district``)."""
    return _grants(programme_records(request, Grant, "grant.view", programme, call, status, district))


@router.get("/{int:grant_id}", response=responses({200: GrantDetailOut}))
@api_errors
def get_grant(request: HttpRequest, grant_id: int = GrantId) -> _Detail:
    """One grant with its tranches (each with its payment, or why it cannot be released yet) and reports."""
    return _detail(get_for_user(request.user, Grant, pk=grant_id).pk)


@router.post("/{int:grant_id}/tranches/{int:tranche_id}/release", response=responses({200: GrantDetailOut}))
@api_errors
def release_tranche(
    request: HttpRequest, payload: ReleaseIn, grant_id: int = GrantId, tranche_id: int = TrancheId
) -> _Detail:
    """Release a tranche whose condition holds and record its payment (the lead organisation); paid in another
    currency, at the exchange rate of the day (or the latest before it). Never beyond the call's envelope."""
    user = request.user
    grant = get_for_user(user, Grant, "manage", pk=grant_id)
    tranche = Tranche.objects.filter(grant=grant, pk=tranche_id).first()
    if tranche is None:
        raise Http404
    awards.tranche_release(
        actor=user,
        tranche=tranche,
        paid_on=payload.paid_on,
        paid_currency=payload.paid_currency.value if payload.paid_currency else None,
        reference=payload.reference,
    )
    return _detail(grant.pk)


@router.post("/{int:grant_id}/reports", response=responses({200: GrantReportOut, 201: GrantReportOut}))
@api_errors
def send_report(request: HttpRequest, payload: GrantReportIn, grant_id: int = GrantId) -> Status[dict[str, Any]]:
    """Send a narrative and financial report (the lead organisation and the partner that supports the grant):
    201 for a new report, 200 for a returned one sent again (``report``). Spent is at most what was released."""
    user = request.user
    grant = get_for_user(user, Grant, "report", pk=grant_id)
    returned = None
    if payload.report is not None:
        returned = GrantReport.objects.filter(grant=grant, pk=payload.report).first()
        if returned is None:
            raise Http404
    report = awards.report_submit(
        actor=user,
        grant=grant,
        kind=payload.kind.value,
        narrative=payload.narrative,
        spent=amount_text(payload.spent, "spent"),
        report=returned,
    )
    grant = Grant.objects.select_related("programme").get(pk=grant.pk)
    return Status(201 if returned is None else 200, _report(report, grant))
