"""Reads about working groups that span models."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: Bodies that exist in a place and may host a group there.
LOCAL_KINDS = [
    Organisation.Kind.AUTHORITY,
    Organisation.Kind.POLICE,
    Organisation.Kind.PUBLIC_COUNCIL,
    Organisation.Kind.COMMUNITY_GROUP,
]


def host_organisations(programme: Programme, districts: Iterable[Place]) -> QuerySet[Organisation]:
    """The organisations that may host a group in one of ``districts``, as a facilitator expects them:

    - the programme's lead organisation;
    - the programme's partners that cover the district;
    - authorities, police, public councils and community groups based in the district (or a place in it),
      in a region or country above it (a ministry, the regional police), or whose place is not recorded.

    Partners of other districts and the local bodies of other districts are left out."""
    partners = Q(pk__in=[])
    local = Q(place__isnull=True)
    for district in districts:
        above = district.path.strip("/").split("/")  # the district's own code and those of the places above
        partners |= Q(pk__in=programme.partnerships.filter(places__code__in=above).values("organisation_id"))
        local |= Q(place__path__startswith=district.path) | Q(place__code__in=above)
    return Organisation.objects.filter(
        Q(pk=programme.lead_organisation_id) | partners | (Q(kind__in=LOCAL_KINDS) & local)
    ).distinct()
