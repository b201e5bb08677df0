"""The participation summary page and its export (``events.summary``: exact for the field's own scope,
under disclosure control for donors)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.events.forms_summary import SummaryForm
from hamkori.events.summary import Period, Summary, build_summary, is_protected, summary_districts, summary_sheet
from hamkori.kit.exports import check_format, send_export, wants_hxl
from hamkori.kit.pages import querystring, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


def _summary(request: ProgrammeRequest) -> tuple[SummaryForm, Summary, Period, str]:
    programme = request.programme
    today = timezone.localdate()
    protected = is_protected(request.user, programme)
    districts = summary_districts(request.user, programme)
    # From the programme's first year to this one (events held after a programme's end still count).
    years = list(range(min(programme.start_date.year, today.year), today.year + 1))
    all_label = _("All your districts") if request.role == "partner" else _("The whole programme")
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(today.year)  # the form shows the period the page counts
    form = SummaryForm(data, districts=districts, years=years, free_dates=not protected, all_label=all_label)
    district = form.chosen_district()
    period = form.period(today)
    summary = build_summary(request.user, programme, district, period)
    return form, summary, period, district.name if district else all_label


@programme_view(action="event.summary")
def event_summary(request: ProgrammeRequest) -> HttpResponse:
    form, summary, period, where = _summary(request)
    params = {k: v for k, v in request.GET.items() if k in form.fields}
    return render_page(
        request,
        "events/summary.html",
        {
            "form": form,
            "summary": summary,
            "period": period,
            "where": where,
            "query": querystring(params),
        },
    )


@programme_view(action="event.summary")
def event_summary_export(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    """The same summary as a file (audited ``event.summary.export``; a donor's carries the protected cells)."""
    check_format(fmt)
    _form, summary, period, where = _summary(request)
    filters: dict[str, Any] = {"where": where, "from": period.start.isoformat(), "to": period.end.isoformat()}
    return send_export(
        actor=request.user,
        programme=request.programme,
        sheet=summary_sheet(summary, where=where, period=period),
        fmt=fmt,
        action="event.summary.export",
        name="participation-summary",
        aggregate=True,
        filters=filters,
        hxl=wants_hxl(request),
    )
