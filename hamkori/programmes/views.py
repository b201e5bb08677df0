from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hamkori.core.views_access import programme_view


@programme_view()
def overview(request: HttpRequest) -> HttpResponse:
    programme = request.programme  # type: ignore[attr-defined]
    today = timezone.localdate()
    locations = list(programme.locations.select_related("place__parent"))
    partnerships = list(programme.partnerships.select_related("organisation").prefetch_related("places"))
    partners_by_place: dict[int, list] = {}
    for partnership in partnerships:
        for place in partnership.places.all():
            partners_by_place.setdefault(place.pk, []).append(partnership.organisation)
    return render(
        request,
        "programmes/overview.html",
        {
            "programme": programme,
            "locations": [(loc.place, partners_by_place.get(loc.place_id, [])) for loc in locations],
            "partnerships": partnerships,
            "donors": list(programme.donors.all()),
            "today": today,
            "phase": programme.phase(today),
            "elapsed_days": programme.elapsed_days(today),
            "elapsed_percent": programme.elapsed_percent(today),
        },
    )
