from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from hamkori.core.api_errors import PUBLIC, responses
from hamkori.core.text import name_key
from hamkori.places.models import Place

router = Router(tags=["places"])


class PlaceOut(Schema):
    code: str
    level: str
    parent_code: str | None
    name_tg: str
    name_ru: str
    name_en: str
    aliases: list[str]
    valid_from: str | None
    valid_to: str | None

    @staticmethod
    def resolve_parent_code(obj: Place) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_valid_from(obj: Place) -> str | None:
        return obj.valid_from_display or None

    @staticmethod
    def resolve_valid_to(obj: Place) -> str | None:
        return obj.valid_to.isoformat() if obj.valid_to else None


@router.get("/", response=responses({200: list[PlaceOut]}, PUBLIC), auth=None)
def list_places(request, q: str = "", within: str = "", level: Place.Level | None = None) -> list[Place]:
    """Places are public reference data. Filter by a name (any script), a containing place, a level."""
    places = Place.objects.select_related("parent")
    if q:
        places = places.filter(Q(search_text__contains=name_key(q[:100])) | Q(search_text__contains=q[:100].casefold()))
    if within:
        places = places.filter(path__startswith=get_object_or_404(Place, code=within).path)
    if level:
        places = places.filter(level=level)
    return list(places[:500])


@router.get("/{code}", response=responses({200: PlaceOut}, PUBLIC), auth=None)
def get_place(request, code: str) -> Place:
    return get_object_or_404(Place.objects.select_related("parent"), code=code)
