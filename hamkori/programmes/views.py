from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, deny, require
from hamkori.core.views_access import public, signed_in, superuser_only
from hamkori.kit.pages import form_then_service
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.programmes import services
from hamkori.programmes.forms import NewProgrammeForm, OrganisationForm, PartnerForm, ProgrammeForm
from hamkori.programmes.home import home_items, home_panels
from hamkori.programmes.models import Programme
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@public
def home(request: HttpRequest) -> HttpResponse:
    """The front page: what Hamkori is; for a signed-in user, their programmes."""
    programmes = list(Programme.objects.visible_to(request.user)) if request.user.is_authenticated else []
    if len(programmes) == 1 and request.GET.get("stay") is None:
        return redirect("programme_overview", code=programmes[0].code)
    return render(request, "core/home.html", {"programmes": programmes})


@programme_view(action="programme.view")
def overview(request: ProgrammeRequest) -> HttpResponse:
    """The programme's home: what needs doing for this user first (``programmes/home.py``, filled
    by the apps), then the programme's facts."""
    programme = request.programme
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
            "home_items": home_items(request.user, programme),
            "home_panels": [
                render_to_string(panel.template, {**panel.context, "programme": programme}, request=request)
                for panel in home_panels(request.user, programme)
            ],
            "role": request.role,
        },
    )


#: What the settings form edits: every service field but the country (set when the programme starts).
FIELDS = [f for f in services.FIELDS if f != "country"]


@superuser_only
def programme_new(request: HttpRequest) -> HttpResponse:
    """An installation administrator starts a new programme."""
    form = NewProgrammeForm(request.POST or None)
    if request.method == "POST" and (
        done := form_then_service(
            form,
            lambda data: services.programme_create_with_locations(
                actor=request.user,
                code=data["code"],
                donors=list(data["donors"]),
                places=list(data["locations"]),
                **{f: data[f] for f in FIELDS},
            ),
        )
    ):
        messages.success(request, _("The programme was created. Add its partners and invite its users."))
        return redirect("programme_settings", done.value.code)
    return render(request, "programmes/settings.html", {"form": form, "new": True})


@programme_view(action="programme.change")
def programme_settings(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "programme.change", programme)
    initial = {f: getattr(programme, f) for f in FIELDS} | {
        "lead_organisation": programme.lead_organisation_id,
        "donors": list(programme.donors.all()),
        "locations": [loc.place for loc in programme.locations.select_related("place")],
    }
    form = ProgrammeForm(request.POST or None, initial=initial)
    partner_form = PartnerForm(programme=programme)
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.programme_update_with_locations(
            actor=request.user,
            programme=programme,
            donors=list(data["donors"]),
            places=list(data["locations"]),
            **{f: data[f] for f in FIELDS},
        ),
    ):
        messages.success(request, _("The programme was saved."))
        return redirect("programme_settings", programme.code)
    partnerships = programme.partnerships.select_related("organisation").prefetch_related("places")
    return render(
        request, "programmes/settings.html", {"form": form, "partner_form": partner_form, "partnerships": partnerships}
    )


@programme_view(action="programme.change")
def programme_partner(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "programme.change", programme)
    form = PartnerForm(request.POST or None, programme=programme)
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.programme_set_partner(
            actor=request.user,
            programme=programme,
            organisation=data["organisation"],
            places=list(data["places"]),
        ),
    ):
        messages.success(request, _("The partner was saved."))
        return redirect("programme_settings", programme.code)
    return render(request, "programmes/partner.html", {"form": form})


@signed_in
def organisation_list(request: HttpRequest) -> HttpResponse:
    """Organisations are not personal data: every signed-in user may see the list. Programme
    administrators (of any programme) may add one; changing an existing one, which every programme
    shares, is for installation administrators (``organisation.change``)."""
    may_add = decide(request.user, "organisation.create")
    form = OrganisationForm(request.POST or None) if may_add else None

    def save(data: dict[str, Any]) -> Organisation:
        existing = Organisation.objects.filter(kind=data["kind"], name_en=data["name_en"]).first()
        if existing is not None:
            require(request.user, "organisation.change", existing)
        org, _created = organisation_upsert(actor=request.user, **data)
        return org

    if request.method == "POST":
        if form is None:
            deny(request.user, "organisation.create", reason=may_add.reason)
        elif done := form_then_service(form, save):
            messages.success(request, _("%(name)s was saved.") % {"name": done.value.name})
            return redirect("organisation_list")
    return render(
        request,
        "programmes/organisations.html",
        {"organisations": Organisation.objects.order_by("kind", "name_en"), "form": form},
    )
