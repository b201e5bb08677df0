"""Campaign products (a leaflet, a poster, a video, a play) and their reach through the API: the lists, one
product with its distributions and performances, recording a product (``campaigns.product_save``) and one
distribution or performance with the people it reached by sex and age band (``campaigns.reach_save``).

Scoped like the pages: products and reach from ``visible_to`` (a partner sees her districts), one product
through ``get_for_user``; a product is recorded by the lead organisation or a partner in her districts (on a
grant: the partner that supports it), its reach by whoever may change the product. Donors see reach as totals
on the pages, not rows here.

No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from hamkori.access.policy import get_for_user
from hamkori.concerns.api_actions import OrganisationOut
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.events.models import Event
from hamkori.grants import campaigns
from hamkori.grants.api import GrantLanguageCode, in_your_districts, place_or_none
from hamkori.grants.campaigns import MAX_PEOPLE
from hamkori.grants.models import CampaignFormat, CampaignProduct, Grant, Reach, ReachCount
from hamkori.people.api import MAX_PAGE, Page, place_by_code, require_decision
from hamkori.people.models import AgeBand, Sex
from hamkori.places.models import under_code_q
from hamkori.programmes.models import Programme

router = Router(tags=["grants"])


class ReachChannel(StrEnum):
    DISTRIBUTION = "distribution"
    PERFORMANCE = "performance"
    SCREENING = "screening"
    BROADCAST = "broadcast"
    ONLINE = "online"
    EVENT = "event"
    OTHER = "other"


# --- Schemas -------------------------------------------------------------------------------------
class ReachCountOut(Schema):
    sex: Sex
    age_band: AgeBand
    count: int


class ReachOut(Schema):
    """One distribution or performance of a product, and the people it reached."""

    id: int
    product: int
    on: dt.date
    place: str
    district: str
    channel: ReachChannel
    event: int | None = Field(..., description="The event it happened at (its id), if any.")
    copies: int = Field(..., description="Copies handed out.")
    feedback: str
    counts: list[ReachCountOut]
    people: int = Field(..., description="People reached (the sum of the counts).")

    @staticmethod
    def resolve_product(obj: Reach) -> int:
        return obj.product_id

    @staticmethod
    def resolve_place(obj: Reach) -> str:
        return obj.place.code

    @staticmethod
    def resolve_district(obj: Reach) -> str:
        return obj.district.code

    @staticmethod
    def resolve_event(obj: Reach) -> int | None:
        return obj.event_id

    @staticmethod
    def resolve_counts(obj: Reach) -> list[ReachCount]:
        return list(obj.counts.all())

    @staticmethod
    def resolve_people(obj: Reach) -> int:
        return sum(c.count for c in obj.counts.all())


class ProductOut(Schema):
    """A product as lists show it."""

    id: int
    programme: str
    grant: int | None = Field(..., description="The grant that funded it (its id), if any.")
    district: str
    format: str = Field(..., description="The campaign format's code.")
    title: str
    language: GrantLanguageCode
    quantity: int
    link: str
    description: str
    recorded_by: OrganisationOut
    people_reached: int

    @staticmethod
    def resolve_programme(obj: CampaignProduct) -> str:
        return obj.programme.code

    @staticmethod
    def resolve_grant(obj: CampaignProduct) -> int | None:
        return obj.grant_id

    @staticmethod
    def resolve_district(obj: CampaignProduct) -> str:
        return obj.district.code

    @staticmethod
    def resolve_format(obj: CampaignProduct) -> str:
        return obj.format.code

    @staticmethod
    def resolve_recorded_by(obj: CampaignProduct) -> dict[str, Any]:
        return {"id": obj.owner.pk, "name": obj.owner.name, "kind": obj.owner.kind}


class ProductDetailOut(ProductOut):
    reach: list[ReachOut] = Field(..., description="Its distributions and performances, latest first.")

    @staticmethod
    def resolve_reach(obj: CampaignProduct) -> list[Reach]:
        return list(obj.reach.all())


class ProductIn(Schema):
    programme: str
    grant: int | None = Field(None, ge=1, le=MAX_ID, description="The grant that funded it (then its district).")
    district: str = Field("", description="The code of a programme location (ignored with a grant).")
    format: str = Field(..., description="The code of one of the programme's campaign formats.")
    title: str
    language: GrantLanguageCode
    quantity: int = Field(1, ge=1, le=MAX_PEOPLE, description="Copies printed, or performances planned.")
    link: str = Field("", description="A web address (https://…) where it can be seen.")
    description: str = ""


class ReachCountIn(Schema):
    sex: Sex
    age_band: AgeBand
    count: int = Field(..., ge=0, le=MAX_PEOPLE)


class ReachIn(Schema):
    on: dt.date = Field(..., description="The day (not in the future).")
    place: str = Field(..., description="The code of the product's district or of one of its jamoats and villages.")
    channel: ReachChannel
    counts: list[ReachCountIn] = Field([], max_length=len(Sex.values) * len(AgeBand.values))
    copies: int = Field(0, ge=0, le=MAX_PEOPLE, description="Copies handed out.")
    feedback: str = ""
    event: int | None = Field(None, ge=1, le=MAX_ID, description="The event it happened at (its id).")


ProductId = Path(..., ge=1, le=MAX_ID)
DateFrom = Query(None, alias="from")
DateTo = Query(None, alias="to")


# --- Helpers -------------------------------------------------------------------------------------
def _people_reached() -> Any:
    total = (
        ReachCount.objects.filter(reach__product=OuterRef("pk"))
        .values("reach__product")
        .annotate(s=Sum("count"))
        .values("s")
    )
    return Coalesce(Subquery(total), Value(0), output_field=IntegerField())


def _products(qs: QuerySet[CampaignProduct]) -> QuerySet[CampaignProduct]:
    return qs.select_related("programme", "district", "format", "owner").annotate(people_reached=_people_reached())


def _reach(qs: QuerySet[Reach]) -> QuerySet[Reach]:
    return qs.select_related("place", "district").prefetch_related("counts")


def _product(pk: int) -> CampaignProduct:
    return (
        _products(CampaignProduct.objects.filter(pk=pk))
        .prefetch_related(Prefetch("reach", queryset=_reach(Reach.objects.order_by("-on", "-pk"))))
        .get()
    )


def _format(programme: Programme, code: str) -> CampaignFormat:
    found = CampaignFormat.objects.filter(programme=programme, code=code.strip()[:40]).first()
    if found is None:
        raise ValidationError({"format": [_("Choose the format.")]})
    return found


def _counts(cells: list[ReachCountIn]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for cell in cells:
        key = (str(cell.sex.value), str(cell.age_band.value))
        if key in counts:
            raise ValidationError({"counts": [_("The same cell is given twice: %(cell)s.") % {"cell": ", ".join(key)}]})
        counts[key] = cell.count
    return counts


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/products", response=responses({200: list[ProductOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_products(
    request: HttpRequest,
    programme: str,
    grant: int | None = Query(None, ge=1, le=MAX_ID),
    format: str = "",
    district: str = "",
) -> QuerySet[CampaignProduct]:
    """The programme's campaign products you may see (a partner: those of her districts), latest first, with
    the people each reached. Filter by a grant's id, a format's code and a place code (``district``)."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme[:40])
    require_decision(user, "campaignproduct.view", prog)
    found = CampaignProduct.objects.visible_to(user).filter(programme=prog)
    if grant is not None:
        found = found.filter(grant_id=grant)
    if format:
        found = found.filter(format__code=format.strip()[:40])
    if district:
        found = found.filter(under_code_q("district", district.strip()[:80]))
    return _products(found.order_by("-created_at", "-pk"))


@router.get("/products/{int:product_id}", response=responses({200: ProductDetailOut}))
@api_errors
def get_product(request: HttpRequest, product_id: int = ProductId) -> CampaignProduct:
    """One product with its distributions and performances."""
    return _product(get_for_user(request.user, CampaignProduct, pk=product_id).pk)


@router.post("/products", response=responses({201: ProductDetailOut}))
@api_errors
def create_product(request: HttpRequest, payload: ProductIn) -> Status[CampaignProduct]:
    """Record a product: on a grant (the lead organisation or the partner that supports it; the grant's
    district), or of the programme's own campaign (the lead organisation, or a partner in her districts)."""
    user = request.user
    prog = get_for_user(user, Programme, code=payload.programme[:40])
    require_decision(user, "campaignproduct.view", prog)
    grant = None
    district = None
    if payload.grant is not None:
        grant = get_for_user(user, Grant, "report", pk=payload.grant, programme=prog)
    else:
        require_decision(user, "campaignproduct.change", prog)
        district = place_or_none(payload.district, "district")
        in_your_districts(user, prog, district, "district")
    product = campaigns.product_save(
        actor=user,
        programme=prog,
        grant=grant,
        district=district,
        format=_format(prog, payload.format),
        title=payload.title,
        language=payload.language.value,
        quantity=payload.quantity,
        link=payload.link,
        description=payload.description,
    )
    return Status(201, _product(product.pk))


@router.get("/reach", response=responses({200: list[ReachOut]}))
@paginate(Page, max_limit=MAX_PAGE)
@api_errors
def list_reach(
    request: HttpRequest,
    programme: str,
    product: int | None = Query(None, ge=1, le=MAX_ID),
    district: str = "",
    channel: ReachChannel | None = None,
    date_from: dt.date | None = DateFrom,
    date_to: dt.date | None = DateTo,
) -> QuerySet[Reach]:
    """Distributions and performances you may see (a partner: those of her districts), latest first. Filter by
    a product's id, a place code (``district``), ``channel`` and the days ``from`` and ``to`` (inclusive)."""
    user = request.user
    prog = get_for_user(user, Programme, code=programme[:40])
    require_decision(user, "reach.view", prog)
    found = Reach.objects.visible_to(user).filter(programme=prog)
    if product is not None:
        found = found.filter(product_id=product)
    if district:
        found = found.filter(under_code_q("district", district.strip()[:80]))
    if channel:
        found = found.filter(channel=channel.value)
    if date_from:
        found = found.filter(on__gte=date_from)
    if date_to:
        found = found.filter(on__lte=date_to)
    return _reach(found.order_by("-on", "-pk"))


@router.post("/products/{int:product_id}/reach", response=responses({201: ReachOut}))
@api_errors
def record_reach(request: HttpRequest, payload: ReachIn, product_id: int = ProductId) -> Status[Reach]:
    """Record one distribution or performance of a product (whoever may change the product): when, where,
    through which channel, the people reached by sex and age band, and the copies handed out."""
    user = request.user
    product = get_for_user(user, CampaignProduct, "change", pk=product_id)
    event = None
    if payload.event is not None:
        event = Event.objects.visible_to(user).filter(pk=payload.event, programme_id=product.programme_id).first()
        if event is None:
            raise ValidationError(
                {"event": [_("Select a valid choice. That choice is not one of the available choices.")]}
            )
    reach = campaigns.reach_save(
        actor=user,
        product=product,
        on=payload.on,
        place=place_by_code(payload.place.strip()[:80], "place"),
        channel=payload.channel.value,
        counts=_counts(payload.counts),
        copies=payload.copies,
        feedback=payload.feedback,
        event=event,
    )
    return Status(201, _reach(Reach.objects.filter(pk=reach.pk)).get())
