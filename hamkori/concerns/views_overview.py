"""The programme overview across districts (charts with their tables), the staff's page that
publishes a district's public accountability page, and the public pages themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hamkori.concerns import publication
from hamkori.concerns.forms_overview import DistrictPageForm
from hamkori.concerns.models import DistrictPage
from hamkori.concerns.overview import overview_sections
from hamkori.concerns.services import programme_districts
from hamkori.core.views_access import public
from hamkori.kit.pages import form_then_service, render_page
from hamkori.places.models import Place, place_labels
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@programme_view(action="concern.view_overview")
def concern_overview(request: ProgrammeRequest) -> HttpResponse:
    """Concerns by district and stage, by driver, and actions on time, late and done by district:
    exact within the user's scope, under disclosure control beyond it (``concerns.overview``)."""
    sections = overview_sections(request.user, request.programme)
    return render_page(
        request,
        "concerns/overview.html",
        {"sections": sections, "has_charts": any(s.charts for s in sections)},
    )


# --- publishing (staff) --------------------------------------------------------------------------
def _form_for(district: Place, page: DistrictPage | None, data: Any = None) -> DistrictPageForm:
    return DistrictPageForm(
        data,
        auto_id=f"id_{district.code}_%s",
        initial={"district": district.code, "introduction": page.introduction if page else ""},
    )


@programme_view(action="concern.publish")
@require_http_methods(["GET", "POST"])
def concern_publish(request: ProgrammeRequest) -> HttpResponse:
    """Every district: its public page's state and what it would show; one district at a time
    (``?district=<code>``) with the preview, the do-no-harm checklist and publish / withdraw."""
    programme = request.programme
    districts = programme_districts(programme)
    by_code = {d.code: d for d in districts}
    pages = {p.district_id: p for p in DistrictPage.objects.filter(programme=programme).select_related("published_by")}
    code = (request.POST.get("district") or request.GET.get("district") or "").strip()[:80]
    district = by_code.get(code)
    here = reverse("concern_publish", args=[programme.code])
    form = None
    status = 200
    if request.method == "POST":
        if district is None:
            messages.error(request, _("Choose one of the programme's locations."))
            return redirect(here)
        if request.POST.get("do") == "withdraw":
            publication.district_page_withdraw(actor=request.user, programme=programme, district=district)
            messages.success(request, _("The public page of %(district)s was withdrawn.") % {"district": district.name})
            return redirect(f"{here}?district={district.code}")
        form = _form_for(district, pages.get(district.pk), request.POST)
        done = form_then_service(
            form,
            lambda data: publication.district_page_publish(
                actor=request.user,
                programme=programme,
                district=district,
                introduction=data["introduction"],
                do_no_harm_confirmed=form.confirmed(),
            ),
        )
        if done:
            messages.success(request, _("The public page of %(district)s is published.") % {"district": district.name})
            return redirect(f"{here}?district={district.code}")
        status = done.status
    if district is None:
        return render_page(request, "concerns/publish.html", {"rows": _district_rows(programme, districts, pages)})
    page = pages.get(district.pk)
    return render_page(
        request,
        "concerns/publish.html",
        {
            "district": district,
            "page": page,
            "content": publication.public_district(programme, district, page),
            "form": form or _form_for(district, page),
            "public_url": reverse("public_district", args=[programme.code, district.code]),
        },
        status=status,
    )


def _district_rows(programme: Any, districts: list[Place], pages: dict[int, DistrictPage]) -> list[dict[str, Any]]:
    """Per district: its page, and how many published actions and notes it would show (two queries)."""

    def by_district(queryset: Any) -> dict[int, int]:
        return dict(queryset.order_by().values_list("district_id").annotate(n=Count("pk")))

    actions = by_district(publication.published_actions_in(programme))
    notes = by_district(publication.published_notes_in(programme))
    return [
        {"district": d, "page": pages.get(d.pk), "actions": actions.get(d.pk, 0), "notes": notes.get(d.pk, 0)}
        for d in districts
    ]


# --- public pages (no sign-in) ---------------------------------------------------------------------
# These read DistrictPage without ``visible_to`` on purpose: they are public, and show only what staff
# published after the do-no-harm check (an unpublished or withdrawn page answers 404).
def _published_pages(programme_code: str) -> Any:
    return DistrictPage.objects.filter(
        programme__code=programme_code, published_at__isnull=False, do_no_harm_confirmed=True
    ).select_related("programme", "district")


@public
@require_http_methods(["GET", "HEAD"])
def public_index(request: HttpRequest, programme_code: str) -> HttpResponse:
    """The programme's published district pages (404 when there is none)."""
    pages = list(_published_pages(programme_code).order_by("district__path"))
    if not pages:
        raise Http404
    labels = place_labels([page.district for page in pages])
    return render_page(
        request,
        "concerns/public_index.html",
        {"programme": pages[0].programme, "pages": list(zip(pages, labels, strict=True))},
    )


@public
@require_http_methods(["GET", "HEAD"])
def public_district(request: HttpRequest, programme_code: str, district_code: str) -> HttpResponse:
    """What the working group and the authorities agreed and did in one district."""
    page = _published_pages(programme_code).filter(district__code=district_code).first()
    if page is None:
        raise Http404
    return render_page(
        request,
        "concerns/public_district.html",
        {"content": publication.public_district(page.programme, page.district, page)},
    )
