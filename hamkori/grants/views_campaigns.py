"""The campaign pages, mounted under ``/p/<code>/campaigns/`` (``urls_campaigns.py``): the products with their
reach, a product's page, recording and editing a product (with its picture or file) and each distribution or
performance (people reached by sex × age band), the product's file, the roll-ups (exact for the field, under
disclosure control for donors, with their export) and the gallery of products' pictures by district.

Thin views: parse, fetch through the scope (``get_for_user`` / ``reach_summary``), one service, render.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from hamkori.access.policy import decide, get_for_user
from hamkori.core.roles import FIELD_ROLES, Role
from hamkori.events.forms_summary import SummaryForm
from hamkori.events.models import Event
from hamkori.events.selectors import offered_districts
from hamkori.events.summary import Period, is_protected, summary_districts
from hamkori.events.uploads import ALL_EXTENSIONS, CONTENT_TYPES, UploadLimit, too_large_message
from hamkori.grants import campaigns, reach_summary, uploads
from hamkori.grants.forms_campaigns import ProductForm, ReachForm, cell_name, read_filters, reportable_grants
from hamkori.grants.models import CampaignFormat, CampaignProduct, Language, Reach
from hamkori.kit.exports import check_format, send_export, wants_hxl
from hamkori.kit.pages import form_then_service, querystring, render_page
from hamkori.people.models import AgeBand, Sex
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50
GALLERY_SIZE = 48


def _product(request: ProgrammeRequest, product_id: int, action: str = "view") -> CampaignProduct:
    found = get_for_user(request.user, CampaignProduct, action, pk=product_id, programme=request.programme)
    return CampaignProduct.objects.select_related("programme", "format", "district", "grant", "image", "owner").get(
        pk=found.pk
    )


def _detail_url(product: CampaignProduct) -> str:
    return reverse("product_detail", args=[product.programme.code, product.pk])


def _with_upload_limit(view: Any) -> Any:
    """Put the streaming limit of uploads in place before anything reads the request's body: a file too
    large for its type is refused as it arrives (``events.uploads.UploadLimit``). The CSRF check runs in
    ``view`` (``csrf_protect``), once the limit is in place."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            request.upload_handlers = [UploadLimit(request), *request.upload_handlers]
        return cast(HttpResponse, view(request, *args, **kwargs))

    return wrapped


def _stopped(request: HttpRequest) -> UploadLimit | None:
    """The upload limit, when it stopped reading a file that was too large."""
    limit = next((h for h in request.upload_handlers if isinstance(h, UploadLimit)), None)
    if request.method == "POST" and limit is not None and request.FILES is not None and limit.stopped:
        return limit
    return None


# --- The list ---------------------------------------------------------------------------------------------
@programme_view(action="campaignproduct.view")
def campaign_list(request: ProgrammeRequest) -> HttpResponse:
    """The products the user may open, with what each reached, fifty to a page; filters by district, format
    and language. A fixed number of queries whatever the number of products or distributions."""
    programme, user = request.programme, request.user
    districts = offered_districts(programme, user)
    formats = list(CampaignFormat.objects.filter(programme=programme).order_by("order", "code"))
    filters = read_filters(request.GET, districts, formats)
    products = reach_summary.products_of(user, programme)
    if filters.unknown:
        products = products.none()
    if filters.district is not None:
        products = products.filter(district=filters.district)
    if filters.format is not None:
        products = products.filter(format=filters.format)
    if filters.language:
        products = products.filter(language=filters.language)
    products = reach_summary.with_reach_totals(products).select_related("format", "district", "grant", "image")
    page = Paginator(products.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page.object_list),
        "params": filters.params,
        "filters": filters.params,
        "districts": districts,
        "formats": formats,
        "languages": Language.choices,
        "may_create": bool(decide(user, "campaignproduct.change", programme)),
        "may_summary": bool(decide(user, "grants.reach_summary", programme)),
    }
    return render_page(request, "grants/campaign_list.html", context, partial="rows")


# --- A product ------------------------------------------------------------------------------------------
def _grid(values: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The people reached as the tally's grid: a row per age band, a column per sex, totals, bad cells."""

    def count(raw: str) -> int:
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0

    sexes = [(Sex.FEMALE, _("Women")), (Sex.MALE, _("Men"))]
    rows: list[dict[str, Any]] = []
    sex_totals = [0 for _s in sexes]
    for band, band_label in AgeBand.choices:
        cells = []
        row_total = 0
        for i, (sex, sex_label) in enumerate(sexes):
            raw = values.get((str(sex), str(band)), "")
            n = count(raw)
            sex_totals[i] += n
            row_total += n
            cells.append(
                {
                    "name": cell_name(str(sex), str(band)),
                    "value": raw,
                    "bad": bool(raw) and not (raw.isascii() and raw.isdigit()),
                    "label": _("%(sex)s, %(band)s") % {"sex": sex_label, "band": band_label},
                }
            )
        rows.append({"band": band_label, "cells": cells, "total": row_total})
    return {"rows": rows, "sexes": [label for _s, label in sexes], "sex_totals": sex_totals, "total": sum(sex_totals)}


def _reach_rows(user: Any, product: CampaignProduct) -> list[dict[str, Any]]:
    """The product's distributions and performances, newest first, each with its people by sex; an event is
    named only when the user can see it."""
    reach = list(product.reach.select_related("place", "event").prefetch_related("counts").order_by("-on", "-id"))
    linked = {r.event_id for r in reach if r.event_id}
    seen = set(Event.objects.visible_to(user).filter(pk__in=linked).values_list("pk", flat=True)) if linked else set()
    rows = []
    for r in reach:
        counts = list(r.counts.all())
        women = sum(c.count for c in counts if c.sex == Sex.FEMALE)
        men = sum(c.count for c in counts if c.sex == Sex.MALE)
        rows.append(
            {
                "reach": r,
                "women": women,
                "men": men,
                "total": women + men,
                "event": r.event if r.event_id in seen else None,
            }
        )
    return rows


@programme_view(action="campaignproduct.view")
def product_detail(request: ProgrammeRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id)
    change = decide(request.user, "campaignproduct.change", product)
    rows = _reach_rows(request.user, product)
    context = {
        "product": product,
        "reach_rows": rows,
        "totals": {
            "people": sum(r["total"] for r in rows),
            "women": sum(r["women"] for r in rows),
            "men": sum(r["men"] for r in rows),
            "copies": sum(r["reach"].copies for r in rows),
        },
        "is_image": uploads.is_image(product.image),
        "may_change": bool(change),
        "change_refusal": "" if change or request.role not in FIELD_ROLES else str(change.reason),
    }
    return render_page(request, "grants/product_detail.html", context)


def _product_form_page(
    request: ProgrammeRequest, product: CampaignProduct | None, initial: dict[str, Any]
) -> HttpResponse:
    programme = request.programme
    options: dict[str, Any] = {"programme": programme, "user": request.user, "product": product}
    context: dict[str, Any] = {"product": product}
    if request.method != "POST":
        form = ProductForm(initial=initial, **options)
        return render_page(request, "grants/product_form.html", {**context, "form": form})
    limit = _stopped(request)
    if limit is not None:
        # Refused while it streamed in: nothing is read, saved or stored.
        form = ProductForm(request.POST, **options)
        form.is_valid()
        ext = limit.extension if limit.extension in ALL_EXTENSIONS else ""
        form.add_error("file", too_large_message(ext))
        return render_page(request, "grants/product_form.html", {**context, "form": form}, status=413)
    form = ProductForm(request.POST, request.FILES, **options)

    def save(data: dict[str, Any]) -> CampaignProduct:
        file = data.get("file")
        upload = uploads.Upload(name=file.name, chunks=file.chunks()) if file else None
        return uploads.product_record(
            actor=request.user, programme=programme, product=product, upload=upload, **form.service_values()
        )

    done = form_then_service(form, save)
    if done:
        messages.success(request, _("The product was recorded.") if product is None else _("The changes were saved."))
        return redirect(_detail_url(done.value))
    if product is not None:
        product.refresh_from_db()  # the page shows the product as saved, not as the refused change left it
    return render_page(request, "grants/product_form.html", {**context, "form": form}, status=done.status)


@csrf_protect
@programme_view(action="campaignproduct.change")
def _product_create(request: ProgrammeRequest) -> HttpResponse:
    """Record a product; ``?grant=<id>`` chooses the grant (one the user may report on)."""
    initial: dict[str, Any] = {}
    wanted = request.GET.get("grant", "")[:12]
    if wanted.isdigit() and int(wanted) in {g.pk for g in reportable_grants(request.user, request.programme)}:
        initial["grant"] = int(wanted)
    return _product_form_page(request, None, initial)


product_create = _with_upload_limit(_product_create)


@csrf_protect
@programme_view(action="campaignproduct.change")
def _product_edit(request: ProgrammeRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id, "change")
    initial = {
        "grant": product.grant_id,
        "district": product.district_id,
        "format": product.format_id,
        "title": product.title,
        "language": product.language,
        "quantity": product.quantity,
        "link": product.link,
        "description": product.description,
    }
    return _product_form_page(request, product, initial)


product_edit = _with_upload_limit(_product_edit)


@programme_view(action="grants.reach_summary")
def product_file(request: ProgrammeRequest, product_id: int) -> HttpResponse:
    """A product's picture or file (``?size=small``: the picture's small copy), as an attachment with
    ``nosniff``, audited. Those who may open the product get any of its files; those who may only read the
    roll-ups (a donor) get a product's picture as the gallery shows it, never a document."""
    user, programme = request.user, request.programme
    if decide(user, "campaignproduct.view", programme):
        product = _product(request, product_id)
    else:
        found = reach_summary.gallery_products(user, programme).filter(pk=product_id).first()
        if found is None:
            raise Http404
        product = found
    file = product.image
    if file is None:
        raise Http404
    path = uploads.product_file_opened(actor=user, product=product, thumbnail=request.GET.get("size") == "small")
    if not path.is_file():
        raise Http404
    small = path.name.endswith(".thumb")
    extension = "jpg" if small else file.extension
    name = file.name if not small else f"{file.name.rsplit('.', 1)[0]}-small.jpg"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Type"] = CONTENT_TYPES[extension]
    response["Content-Disposition"] = f'attachment; filename="{file.key.hex}.{extension}"; ' + (
        "filename*=UTF-8''" + quote(name, safe="")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


# --- Reach ----------------------------------------------------------------------------------------------
def _reach_page(request: ProgrammeRequest, product: CampaignProduct, reach: Reach | None) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        initial: dict[str, Any] = {"on": timezone.localdate()}
        values: dict[tuple[str, str], str] = {}
        if reach is not None:
            initial = {
                "on": reach.on,
                "place": reach.place_id,
                "channel": reach.channel,
                "event": reach.event_id,
                "copies": reach.copies or None,
                "feedback": reach.feedback,
            }
            values = {(c.sex, c.age_band): str(c.count) for c in reach.counts.all()}
        form = ReachForm(product=product, user=user, reach=reach, initial=initial)
        context = {"product": product, "reach": reach, "form": form, "grid": _grid(values)}
        return render_page(request, "grants/reach_form.html", context)
    form = ReachForm(request.POST, product=product, user=user, reach=reach)
    done = form_then_service(
        form, lambda data: campaigns.reach_save(actor=user, product=product, reach=reach, **form.service_values())
    )
    if done:
        people = sum(c.count for c in done.value.counts.all())
        messages.success(
            request,
            ngettext("Reach saved: %(n)s person reached.", "Reach saved: %(n)s people reached.", people)
            % {"n": people},
        )
        return redirect(_detail_url(product) + "#reach")
    context = {"product": product, "reach": reach, "form": form, "grid": _grid(form.posted_cells())}
    return render_page(request, "grants/reach_form.html", context, status=done.status)


@programme_view(action="campaignproduct.change")
def reach_create(request: ProgrammeRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id, "change")
    return _reach_page(request, product, None)


@programme_view(action="campaignproduct.change")
def reach_edit(request: ProgrammeRequest, product_id: int, reach_id: int) -> HttpResponse:
    product = _product(request, product_id, "change")
    reach = product.reach.filter(pk=reach_id).prefetch_related("counts").first()
    if reach is None:
        raise Http404
    return _reach_page(request, product, reach)


# --- The roll-ups and the gallery ---------------------------------------------------------------------
def _summary(request: ProgrammeRequest) -> tuple[SummaryForm, reach_summary.ReachSummary, Period, str]:
    programme = request.programme
    today = timezone.localdate()
    protected = is_protected(request.user, programme)
    districts = summary_districts(request.user, programme)
    years = list(range(min(programme.start_date.year, today.year), today.year + 1))
    all_label = _("All your districts") if request.role == Role.PARTNER else _("The whole programme")
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(today.year)
    form = SummaryForm(data, districts=districts, years=years, free_dates=not protected, all_label=all_label)
    district = form.chosen_district()
    period = form.period(today)
    chosen = [district] if district is not None else districts
    summary = reach_summary.build_summary(request.user, programme, chosen, period)
    return form, summary, period, district.name if district else all_label


@programme_view(action="grants.reach_summary")
def campaign_summary(request: ProgrammeRequest) -> HttpResponse:
    form, summary, period, where = _summary(request)
    params = {k: v for k, v in request.GET.items() if k in form.fields}
    context = {
        "form": form,
        "summary": summary,
        "period": period,
        "where": where,
        "query": querystring(params),
        "may_list": bool(decide(request.user, "campaignproduct.view", request.programme)),
        "breakdowns": [
            (_("People reached by format"), summary.by_format, "summary-by-format"),
            (_("People reached by language"), summary.by_language, "summary-by-language"),
        ],
    }
    return render_page(request, "grants/campaign_summary.html", context)


@programme_view(action="grants.reach_summary")
def campaign_summary_export(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    """The same roll-ups as a file (audited ``campaign.summary.export``; a donor's carries the protected cells)."""
    check_format(fmt)
    _form, summary, period, where = _summary(request)
    filters: dict[str, Any] = {"where": where, "from": period.start.isoformat(), "to": period.end.isoformat()}
    return send_export(
        actor=request.user,
        programme=request.programme,
        sheet=reach_summary.summary_sheet(summary, where=where, period=period),
        fmt=fmt,
        action="campaign.summary.export",
        name="campaign-reach",
        aggregate=True,
        filters=filters,
        hxl=wants_hxl(request),
    )


@programme_view(action="grants.reach_summary")
def campaign_gallery(request: ProgrammeRequest) -> HttpResponse:
    """Products' pictures by district, as thumbnails with the title, format and language."""
    programme, user = request.programme, request.user
    districts = summary_districts(user, programme)
    code = request.GET.get("district", "")[:80]
    district = next((d for d in districts if d.code == code), None)
    products = reach_summary.gallery_products(user, programme).filter(district_id__in=[d.pk for d in districts])
    if code and district is None:
        products = products.none()
    elif district is not None:
        products = products.filter(district=district)
    products = products.select_related("format", "district", "image").order_by("district__path", "-created_at", "-id")
    page = Paginator(products, GALLERY_SIZE).get_page(request.GET.get("page"))
    groups: dict[int, dict[str, Any]] = {}
    for product in page.object_list:
        groups.setdefault(product.district_id, {"district": product.district, "products": []})["products"].append(
            product
        )
    context = {
        "page": page,
        "groups": list(groups.values()),
        "districts": districts,
        "params": {"district": district.code if district else code},
        "may_open": bool(decide(user, "campaignproduct.view", programme)),
    }
    return render_page(request, "grants/gallery.html", context)
