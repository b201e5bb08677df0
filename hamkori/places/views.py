from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from hamkori.core.text import name_key
from hamkori.core.views_access import public
from hamkori.kit.pages import render_page
from hamkori.places.models import Place


@public
def place_list(request: HttpRequest) -> HttpResponse:
    """Places are public reference data: browse by region, or search any name or former name."""
    query = request.GET.get("q", "").strip()[:100]
    places = Place.objects.select_related("parent")
    if query:
        places = places.filter(
            Q(search_text__contains=name_key(query)) | Q(search_text__contains=query.casefold()) | Q(code__iexact=query)
        )[:100]
    else:
        places = places.filter(depth__lte=2)
    return render_page(request, "places/list.html", {"places": places, "query": query}, partial="results")


@public
def place_detail(request: HttpRequest, code: str) -> HttpResponse:
    place = get_object_or_404(Place.objects.select_related("parent"), code=code)  # public data: no scope
    return render(
        request,
        "places/detail.html",
        {"place": place, "ancestors": place.ancestors(), "children": place.children.order_by("level", "name_en")},
    )
