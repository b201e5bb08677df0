from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema

from hamkori.access.policy import get_for_user
from hamkori.core.api_errors import responses
from hamkori.programmes.models import Programme

router = Router(tags=["programmes"])


class ProgrammeOut(Schema):
    code: str
    title: str
    lead_organisation: str
    donors: list[str]
    budget: Decimal
    currency: str
    start_date: dt.date
    end_date: dt.date
    locations: list[str]
    partners: list[str]

    @staticmethod
    def resolve_lead_organisation(obj: Programme) -> str:
        return obj.lead_organisation.name

    @staticmethod
    def resolve_donors(obj: Programme) -> list[str]:
        return [d.name for d in obj.donors.all()]

    @staticmethod
    def resolve_locations(obj: Programme) -> list[str]:
        return [loc.place.code for loc in obj.locations.all()]

    @staticmethod
    def resolve_partners(obj: Programme) -> list[str]:
        return [p.organisation.name for p in obj.partnerships.all()]


def _with_related(qs):
    return qs.select_related("lead_organisation").prefetch_related(
        "donors", "locations__place", "partnerships__organisation"
    )


@router.get("/", response=responses({200: list[ProgrammeOut]}))
def list_programmes(request):
    return list(_with_related(Programme.objects.visible_to(request.user)))


@router.get("/{code}", response=responses({200: ProgrammeOut}))
def get_programme(request, code: str):
    return get_for_user(request.user, Programme, code=code)
