"""The staff page listing likely duplicates (:mod:`hamkori.people.duplicates`), one district at a
time, each pair with a link to the merge page, the duplicate's code filled in."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from hamkori.access.policy import require
from hamkori.people.duplicates import likely_duplicate_pairs
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@programme_view(action="person.merge")
def person_likely_duplicates(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "person.merge", programme)
    districts = [location.place for location in programme.locations.select_related("place").order_by("place__path")]
    wanted = request.GET.get("district", "")[:100]
    district = next((d for d in districts if d.code == wanted), districts[0] if districts else None)
    found = (
        likely_duplicate_pairs(actor=request.user, programme=programme, district=district)
        if district is not None
        else None
    )
    return render(
        request,
        "people/likely_duplicates.html",
        {
            "districts": districts,
            "district": district,
            "pairs": found.pairs if found else [],
            "truncated": bool(found and found.truncated),
        },
    )
