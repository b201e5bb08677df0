"""The sectors page (``/p/<code>/settings/sectors/``): sectors are people's data, the page sits
among the programme's settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hamkori.access.policy import require
from hamkori.kit.pages import form_then_service
from hamkori.people.models import Sector
from hamkori.people.services import sector_create
from hamkori.programmes.forms import SectorForm
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@programme_view(action="sector.manage")
def sector_list(request: ProgrammeRequest) -> HttpResponse:
    """The sectors people can represent. They are shared by every programme of the installation;
    a programme administrator adds new ones (codes never change)."""
    programme = request.programme
    require(request.user, "sector.manage", programme)
    form = SectorForm(request.POST or None)
    if request.method == "POST" and (
        done := form_then_service(form, lambda data: sector_create(actor=request.user, **data))
    ):
        messages.success(request, _("%(name)s was added.") % {"name": done.value.name})
        return redirect("sector_list", programme.code)
    return render(request, "programmes/sectors.html", {"sectors": Sector.objects.all(), "form": form})
