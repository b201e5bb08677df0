"""Calls for proposals and applications through the API; the money of grants is in ``api_money.py``, campaign
products and their reach in ``api_campaigns.py`` (all three are mounted under ``/api/grants/``).

Scoped exactly like the pages: lists from ``visible_to`` (calls: the programme's lead organisation and
partners; applications: a partner sees her districts), single records through ``get_for_user`` (out of
scope: 404; in scope but not allowed: 403 with the registry's reason). Every write is a service of
``calls`` or ``applications``, and their ``ValidationError``s answer 422 in the one error format
(``hamkori.core.api_errors``).

Amounts are JSON strings with their currency (``{"amount": "1500.50", "currency": "TJS"}``), never
numbers: a float cannot hold a diram exactly. An amount sent as a number, or as text that is not a plain
decimal, answers 422. Who applied is hidden (``applicant`` null) where ``application.view_identity``
refuses: from the reviewers of a blind call. The applicant's contact is written to the vault and never
answered here.

No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from hamkori.access.policy import decide, get_for_user
from hamkori.concerns.api_actions import OrganisationOut
from hamkori.concerns.models import Concern
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.events.services import programme_zone
from hamkori.grants import applications, calls
from hamkori.grants.applications import MAX_LINES, Draft
from hamkori.grants.models import (
    Application,
    CallCriterion,
    CampaignFormat,
    GrantCall,
    Review,
)
from hamkori.grants.money import call_totals, places_of
from hamkori.people.api import MAX_PAGE, Page, PersonalDataSchema, place_by_code, require_decision
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place, under_code_q
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

router = Router(tags=["grants"])

MAX_LINKS = 100
MAX_CRITERIA = 30
#: What an amount in a request looks like: digits, and a point with the decimals (no sign, no exponent,
#: no thousands separator). The service then checks the currency's decimal places, zero and the maximum.
AMOUNT_TEXT = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,10})?$")


# The models' choices as enums named for this API (OpenAPI components are named after the class, and
# ``Status``/``Language`` are other apps'). A test checks that they hold exactly the models' values.
class GrantCurrency(StrEnum):
    USD = "USD"
    TJS = "TJS"
    EUR = "EUR"
    GBP = "GBP"


class CallState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES = "changes"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApplicantKindCode(StrEnum):
    COMMUNITY_GROUP = "community"
    YOUTH_GROUP = "youth"
    WOMEN_GROUP = "women"
    WORKING_GROUP = "cwg"
    NGO = "ngo"
    SCHOOL = "school"
    OTHER = "other"


class GrantLanguageCode(StrEnum):
    TG = "tg"
    RU = "ru"
    EN = "en"
    UZ = "uz"
    KY = "ky"


# --- Money ---------------------------------------------------------------------------------------
class MoneyOut(Schema):
    """An amount with its currency. The amount is a decimal written as a string, never a number."""

    amount: str = Field(..., description='A decimal as a string, for example "1500.50".', examples=["1500.50"])
    currency: str


def money(value: Any, currency: str) -> dict[str, str]:
    """``value`` (a ``Decimal``) as ``MoneyOut``: the currency's decimal places, written out in full."""
    places = places_of(currency)
    return {"amount": f"{value:.{places}f}", "currency": currency}


def amount_text(value: str | None, field: str, *, required: bool = True) -> str:
    """An amount as sent: a plain decimal string, or a translated error keyed by ``field`` (the services then
    check the currency's places, zero and the largest amount)."""
    text = (value or "").strip()
    if not text and not required:
        return ""
    if not AMOUNT_TEXT.match(text):
        raise ValidationError({field: [_('Enter the amount as a decimal in quotes, for example "1500.50".')]})
    return text


def local(programme: Programme, moment: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time in the programme's time zone."""
    return timezone.localtime(moment, programme_zone(programme)) if moment is not None else None


def aware(programme: Programme, moment: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the programme's time zone."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return moment.replace(tzinfo=programme_zone(programme))


def place_or_none(code: str, field: str) -> Place | None:
    code = (code or "").strip()[:80]
    return place_by_code(code, field) if code else None


def in_your_districts(user: Any, programme: Programme, place: Place | None, field: str) -> None:
    """A partner records only in her own districts (the lead organisation anywhere in the programme)."""
    if place is not None and not place_in_scope(user, programme, place):
        raise ValidationError({field: [_("Choose one of your districts.")]})


# --- Applicant identity --------------------------------------------------------------------------
def identity_hidden(request: HttpRequest, application: Application) -> bool:
    """Whether ``application.view_identity`` refuses the caller who can see ``application``, answered for a
    whole list in one query: the rule refuses only the reviewers of a blind call (whoever sees an application
    has a field role, which the rule's second test allows). ``tests/grants/test_api.py`` checks that this
    agrees with the registry."""
    user = request.user
    reviewed = getattr(request, "_hamkori_blind_reviews", None)
    if reviewed is None:
        reviewed = set(
            Review.objects.filter(reviewer_id=user.pk, application__call__blind_review=True).values_list(
                "application_id", flat=True
            )
        )
        request._hamkori_blind_reviews = reviewed  # type: ignore[attr-defined]
    return application.pk in reviewed


def applicant_of(context: Any, application: Application) -> str | None:
    request = context["request"]
    return None if identity_hidden(request, application) else application.applicant_name


# --- Calls ---------------------------------------------------------------------------------------
class CallCriterionOut(Schema):
    id: int
    name: str
    guidance: str
    weight: int


class CallCriterionIn(Schema):
    name: str = Field(..., description="What reviewers score.")
    weight: int = Field(1, ge=1, le=100, description="Its weight in the total.")
    guidance: str = Field("", description="Guidance for reviewers.")


class CallTotalsOut(Schema):
    """What the call's grants committed and what was released, against its envelope (in its currency)."""

    committed: MoneyOut
    disbursed: MoneyOut
    remaining: MoneyOut


class CallOut(Schema):
    id: int
    programme: str
    title: str
    text: str
    currency: str
    envelope: MoneyOut
    max_grant: MoneyOut | None = Field(..., description="The largest grant (null: up to the envelope).")
    deadline: dt.datetime
    districts: list[str] = Field(..., description="Codes of the eligible districts.")
    applicant_kinds: list[str] = Field(..., description="Who may apply (empty: every kind).")
    languages: list[str]
    score_max: int
    blind_review: bool
    public_applications: bool
    public_key: uuid.UUID | None = Field(
        ..., description="The key of the call's public application form (null when applications go through staff)."
    )
    status: str
    criteria: list[CallCriterionOut]

    @staticmethod
    def resolve_programme(obj: GrantCall) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_envelope(obj: GrantCall) -> dict[str, str]:
        return money(obj.envelope, obj.currency)

    @staticmethod
    def resolve_max_grant(obj: GrantCall) -> dict[str, str] | None:
        return money(obj.max_grant, obj.currency) if obj.max_grant is not None else None

    @staticmethod
    def resolve_deadline(obj: GrantCall) -> dt.datetime | None:
        return local(obj.programme, obj.deadline)

    @staticmethod
    def resolve_districts(obj: GrantCall) -> list[str]:
        return [p.code for p in obj.districts.all()]

    @staticmethod
    def resolve_public_key(obj: GrantCall) -> uuid.UUID | None:
        return obj.public_key if obj.public_applications else None

    @staticmethod
    def resolve_criteria(obj: GrantCall) -> list[CallCriterion]:
        return list(obj.criteria.all())


class CallDetailOut(CallOut):
    totals: CallTotalsOut | None = Field(
        ..., description="For those who may see the programme's money (the lead organisation, donors)."
    )

    @staticmethod
    def resolve_totals(obj: GrantCall, context: Any) -> dict[str, Any] | None:
        if not decide(context["request"].user, "grants.money", obj.programme):
            return None
        t = call_totals([obj])[obj.pk]
        return {
            "committed": money(t.committed, t.currency),
            "disbursed": money(t.disbursed, t.currency),
            "remaining": money(t.remaining, t.currency),
        }


class CallIn(Schema):
    programme: str
    title: str
    text: str = Field("", description="The call's published text.")
    currency: GrantCurrency = GrantCurrency.TJS
    envelope: str = Field(..., description='The whole envelope, a decimal as a string ("250000").')
    max_grant: str = Field("", description='The largest grant, a decimal as a string ("" for none).')
    deadline: dt.datetime = Field(..., description="Without an offset: in the programme's time zone.")
    districts: list[str] = Field(..., max_length=MAX_LINKS, description="Codes of programme locations.")
    applicant_kinds: list[ApplicantKindCode] = Field([], max_length=len(ApplicantKindCode))
    languages: list[GrantLanguageCode] = Field(..., max_length=len(GrantLanguageCode))
    score_max: int = Field(5, ge=1, le=100, description="The highest score per criterion.")
    blind_review: bool = Field(False, description="Hide applicants' names from reviewers.")
    public_applications: bool = Field(True, description="Applicants may apply through a public form.")
    criteria: list[CallCriterionIn] = Field(..., max_length=MAX_CRITERIA)


class CallPatchIn(Schema):
    """Only the fields given change (a list replaces the call's; ``max_grant: ""`` removes the limit)."""

    title: str | None = None
    text: str | None = None
    currency: GrantCurrency | None = None
    envelope: str | None = None
    max_grant: str | None = None
    deadline: dt.datetime | None = None
    districts: list[str] | None = Field(None, max_length=MAX_LINKS)
    applicant_kinds: list[ApplicantKindCode] | None = Field(None, max_length=len(ApplicantKindCode))
    languages: list[GrantLanguageCode] | None = Field(None, max_length=len(GrantLanguageCode))
    score_max: int | None = Field(None, ge=1, le=100)
    blind_review: bool | None = None
    public_applications: bool | None = None
    criteria: list[CallCriterionIn] | None = Field(None, max_length=MAX_CRITERIA)


class CallStatusIn(Schema):
    status: CallState = Field(..., description="open (before the deadline), closed, or draft (nobody applied).")


#: A record's id in a path (a bigint: larger answers 422, never a database error).
CallId = Path(..., ge=1, le=MAX_ID)
ApplicationId = Path(..., ge=1, le=MAX_ID)


def _calls(qs: QuerySet[GrantCall]) -> QuerySet[GrantCall]:
    return qs.select_related("programme").prefetch_related(
        Prefetch("districts", queryset=Place.objects.only("code").order_by("path")), "criteria"
    )


def _call(pk: int) -> GrantCall:
    return _calls(GrantCall.objects.filter(pk=pk)).get()


def _call_values(programme: Programme, payload: Any, call: GrantCall | None = None) -> dict[str, Any]:
    """The keyword arguments of ``calls.call_save``: every field of a new call; for a change, the fields given
    and the call's own for the others."""
    if call is None:
        given = set(type(payload).model_fields)
    else:
        given = {name for name in payload.model_fields_set if getattr(payload, name) is not None}
    values: dict[str, Any] = {}
    if call is not None:
        values = {
            "title": call.title,
            "text": call.text,
            "currency": call.currency,
            "envelope": call.envelope,
            "max_grant": call.max_grant,
            "deadline": call.deadline,
            "districts": list(call.districts.all()),
            "applicant_kinds": list(call.applicant_kinds),
            "languages": list(call.languages),
            "score_max": call.score_max,
            "blind_review": call.blind_review,
            "public_applications": call.public_applications,
            "criteria": [(c.name, c.weight, c.guidance) for c in call.criteria.all()],
        }
    for name in ("title", "text", "score_max", "blind_review", "public_applications"):
        if name in given:
            values[name] = getattr(payload, name)
    if "currency" in given:
        values["currency"] = payload.currency.value
    if "envelope" in given:
        values["envelope"] = amount_text(payload.envelope, "envelope")
    if "max_grant" in given:
        values["max_grant"] = amount_text(payload.max_grant, "max_grant", required=False) or None
    if "deadline" in given:
        values["deadline"] = aware(programme, payload.deadline)
    if "districts" in given:
        values["districts"] = [place_by_code(str(code).strip()[:80], "districts") for code in payload.districts]
    if "applicant_kinds" in given:
        values["applicant_kinds"] = [k.value for k in payload.applicant_kinds]
    if "languages" in given:
        values["languages"] = [code.value for code in payload.languages]
    if "criteria" in given:
        values["criteria"] = [(c.name, c.weight, c.guidance) for c in payload.criteria]
    return values


@router.get("/calls", response=responses({200: list[CallOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_calls(request: HttpRequest, programme: str, status: CallState | None = None) -> QuerySet[GrantCall]:
    """The programme's calls for proposals (the lead organisation and partners), latest deadline first."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme[:40])
    require_decision(user, "grantcall.view", prog)
    found = GrantCall.objects.visible_to(user).filter(programme=prog)
    if status:
        found = found.filter(status=status.value)
    return _calls(found.order_by("-deadline", "-pk"))


@router.get("/calls/{int:call_id}", response=responses({200: CallDetailOut}))
@api_errors
def get_call(request: HttpRequest, call_id: int = CallId) -> GrantCall:
    """One call with its criteria and, for those who may see the programme's money, what its grants committed
    and what was released."""
    return _call(get_for_user(request.user, GrantCall, pk=call_id).pk)


@router.post("/calls", response=responses({201: CallDetailOut}))
@api_errors
def create_call(request: HttpRequest, payload: CallIn) -> Status[GrantCall]:
    """Create a call as a draft (the lead organisation): its envelope and largest grant in its currency, the
    eligible districts and applicants, the criteria reviewers score. Open it with ``/status``."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme[:40])
    require_decision(user, "grantcall.change", prog)
    call = calls.call_save(actor=user, programme=prog, **_call_values(prog, payload))
    return Status(201, _call(call.pk))


@router.patch("/calls/{int:call_id}", response=responses({200: CallDetailOut}))
@api_errors
def update_call(request: HttpRequest, payload: CallPatchIn, call_id: int = CallId) -> GrantCall:
    """Change a call: only the fields given. Once a reviewer has scored, its currency, scale and criteria stay;
    its envelope never drops below what its grants committed."""
    user = request.user
    call = get_for_user(user, GrantCall, "change", pk=call_id)
    call = _call(call.pk)
    calls.call_save(actor=user, programme=call.programme, call=call, **_call_values(call.programme, payload, call))
    return _call(call.pk)


@router.post("/calls/{int:call_id}/status", response=responses({200: CallDetailOut}))
@api_errors
def set_call_status(request: HttpRequest, payload: CallStatusIn, call_id: int = CallId) -> GrantCall:
    """Open the call (its deadline still ahead), close it, or take it back to draft while nobody applied."""
    user = request.user
    call = get_for_user(user, GrantCall, "change", pk=call_id)
    calls.call_set_status(actor=user, call=call, status=payload.status.value)
    return _call(call.pk)


# --- Applications --------------------------------------------------------------------------------
class BudgetLineOut(Schema):
    item: str
    amount: MoneyOut


class BudgetLineIn(Schema):
    item: str = Field(..., description="What the money is for.")
    amount: str = Field(..., description='A decimal as a string, for example "1500.50".')


class ApplicationOut(Schema):
    """An application as lists show it."""

    id: int
    reference: str
    programme: str
    call: int
    applicant: str | None = Field(..., description="Who applies; null when hidden from you (a blind review).")
    identity_hidden: bool
    applicant_kind: str
    district: str
    place: str | None
    title: str
    amount: MoneyOut = Field(..., description="The amount requested: the sum of the budget lines.")
    status: str
    supported_by: OrganisationOut | None = Field(
        ..., description="The organisation that entered it or took it on (null: a public applicant's, not yet)."
    )
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: Application) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_call(obj: Application) -> int:
        return obj.call_id

    @staticmethod
    def resolve_applicant(obj: Application, context: Any) -> str | None:
        return applicant_of(context, obj)

    @staticmethod
    def resolve_identity_hidden(obj: Application, context: Any) -> bool:
        return identity_hidden(context["request"], obj)

    @staticmethod
    def resolve_district(obj: Application) -> str:
        return obj.district.code

    @staticmethod
    def resolve_place(obj: Application) -> str | None:
        return obj.place.code if obj.place_id and obj.place else None

    @staticmethod
    def resolve_amount(obj: Application) -> dict[str, str]:
        return money(obj.amount, obj.call.currency)

    @staticmethod
    def resolve_supported_by(obj: Application) -> dict[str, Any] | None:
        owner = obj.owner
        return {"id": owner.pk, "name": owner.name, "kind": owner.kind} if owner is not None else None

    @staticmethod
    def resolve_submitted_at(obj: Application) -> dt.datetime | None:
        return local(obj.programme, obj.submitted_at)

    @staticmethod
    def resolve_decided_at(obj: Application) -> dt.datetime | None:
        return local(obj.programme, obj.decided_at)


class ApplicationDetailOut(ApplicationOut):
    summary: str
    audience: str
    formats: list[str] = Field(..., description="Codes of the campaign formats.")
    languages: list[str]
    concerns: list[str] = Field(..., description="References of the concerns it addresses.")
    starts_on: dt.date | None
    ends_on: dt.date | None
    budget: list[BudgetLineOut]
    decision_reason: str
    grant: int | None = Field(..., description="The grant awarded on it (its id), when approved.")

    @staticmethod
    def resolve_formats(obj: Application) -> list[str]:
        return [f.code for f in obj.formats.all()]

    @staticmethod
    def resolve_concerns(obj: Application) -> list[str]:
        return [c.reference for c in obj.concerns.all()]

    @staticmethod
    def resolve_budget(obj: Application) -> list[dict[str, Any]]:
        return [{"item": line.item, "amount": money(line.amount, obj.call.currency)} for line in obj.budget_lines.all()]

    @staticmethod
    def resolve_grant(obj: Application) -> int | None:
        grant = getattr(obj, "grant", None)
        return grant.pk if grant is not None else None


class ApplicationIn(Schema):
    """A draft, saved as a whole: sent again with the same ``client_key`` it updates the same application."""

    call: int = Field(..., ge=1, le=MAX_ID, description="The call's id.")
    client_key: uuid.UUID = Field(
        ...,
        description="Drawn by the client when it starts the form: the same key sent twice (a retry, a second "
        "tap) saves one application, and later updates it while it is a draft.",
    )
    applicant_name: str = Field(..., description="The community group or organisation that applies.")
    applicant_kind: ApplicantKindCode
    district: str = Field(..., description="The code of one of the call's districts.")
    place: str = Field("", description="The code of a jamoat or village of the district (optional).")
    title: str
    summary: str = ""
    audience: str = ""
    formats: list[str] = Field([], max_length=MAX_LINKS, description="Codes of the programme's campaign formats.")
    languages: list[GrantLanguageCode] = Field([], max_length=len(GrantLanguageCode))
    concerns: list[str] = Field([], max_length=MAX_LINKS, description="References of concerns of the district.")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    budget: list[BudgetLineIn] = Field([], max_length=MAX_LINES)
    contact: PersonalDataSchema | None = Field(
        None, description="The contact person (kept encrypted; never answered by the API)."
    )


def _applications(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related("programme", "call", "district", "place", "owner")


def _application(pk: int) -> Application:
    return (
        _applications(Application.objects.filter(pk=pk))
        .select_related("grant")
        .prefetch_related(
            Prefetch("formats", queryset=CampaignFormat.objects.only("code", "order")),
            Prefetch("concerns", queryset=Concern.objects.only("reference")),
            "budget_lines",
        )
        .get()
    )


def _formats(programme: Programme, codes: list[str]) -> list[CampaignFormat]:
    wanted = list(dict.fromkeys(str(code).strip()[:40] for code in codes))
    found = {f.code: f for f in CampaignFormat.objects.filter(programme=programme, code__in=wanted)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationError(
            {"formats": [_("Not in the programme's list: %(codes)s.") % {"codes": ", ".join(unknown[:5])}]}
        )
    return [found[code] for code in wanted]


def _concerns(user: Any, programme: Programme, references: list[str]) -> list[Concern]:
    wanted = list(dict.fromkeys(str(ref).strip().upper()[:40] for ref in references))
    visible = Concern.objects.visible_to(user).filter(programme=programme, reference__in=wanted)
    found = {c.reference: c for c in visible}
    unknown = [ref for ref in wanted if ref not in found]
    if unknown:
        raise ValidationError(
            {"concerns": [_("Not in the programme's list: %(codes)s.") % {"codes": ", ".join(unknown[:5])}]}
        )
    return [found[ref] for ref in wanted]


def programme_records(
    request: HttpRequest, model: Any, action: str, programme: str, call: int | None, status: Any, district: str
) -> QuerySet[Any]:
    """A programme's applications or grants the user may see (the registry's ``action`` on the programme, then
    ``visible_to``), filtered by a call's id, a status and a place code, latest first."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme[:40])
    require_decision(user, action, prog)
    found = model.objects.visible_to(user).filter(programme=prog)
    if call is not None:
        found = found.filter(call_id=call)
    if status:
        found = found.filter(status=status.value)
    if district:
        found = found.filter(under_code_q("district", district.strip()[:80]))
    return found.order_by("-created_at", "-pk")


@router.get("/applications", response=responses({200: list[ApplicationOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_applications(
    request: HttpRequest,
    programme: str,
    call: int | None = Query(None, ge=1, le=MAX_ID),
    status: ApplicationState | None = None,
    district: str = "",
) -> QuerySet[Application]:
    """The programme's applications you may see (a partner: those of her districts), latest first. Filter by
    a call's id, ``status`` and a place code (``district``)."""
    found = programme_records(request, Application, "application.view", programme, call, status, district)
    return _applications(found)


@router.get("/applications/{int:application_id}", response=responses({200: ApplicationDetailOut}))
@api_errors
def get_application(request: HttpRequest, application_id: int = ApplicationId) -> Application:
    """One application with its budget, formats and concerns; who applied only where you may see it."""
    return _application(get_for_user(request.user, Application, pk=application_id).pk)


@router.post("/applications", response=responses({200: ApplicationDetailOut, 201: ApplicationDetailOut}))
@api_errors
def save_application(request: HttpRequest, payload: ApplicationIn) -> Status[Application]:
    """Save a draft on an applicant's behalf (the lead organisation, or a partner in her districts) while the
    call is open: 201 when it creates the application, 200 when the same ``client_key`` updates it (a draft,
    or one sent back for changes). Submit it with ``/submit``."""
    user = request.user
    call = get_for_user(user, GrantCall, pk=payload.call)
    prog = call.programme
    require_decision(user, "application.create", prog)
    district = place_or_none(payload.district, "district")
    in_your_districts(user, prog, district, "district")
    lines = [(line.item, amount_text(line.amount, "budget")) for line in payload.budget]
    contact = payload.contact
    draft = Draft(
        applicant_name=payload.applicant_name,
        applicant_kind=payload.applicant_kind.value,
        district=district,
        place=place_or_none(payload.place, "place"),
        title=payload.title,
        summary=payload.summary,
        audience=payload.audience,
        formats=_formats(prog, payload.formats),
        languages=[code.value for code in payload.languages],
        concerns=_concerns(user, prog, payload.concerns),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        budget=lines,
        contact=PersonalData(
            full_name=contact.full_name, phone=contact.phone, email=contact.email, address=contact.address
        )
        if contact is not None
        else None,
    )
    saved = applications.application_save(actor=user, call=call, client_key=payload.client_key, draft=draft)
    return Status(201 if saved.created else 200, _application(saved.application.pk))


@router.post("/applications/{int:application_id}/submit", response=responses({200: ApplicationDetailOut}))
@api_errors
def submit_application(request: HttpRequest, application_id: int = ApplicationId) -> Application:
    """Submit a complete draft (again, after requested changes) before the call's deadline."""
    user = request.user
    application = get_for_user(user, Application, "change", pk=application_id)
    applications.application_submit(actor=user, application=application)
    return _application(application.pk)
