"""Spreadsheet import and export of people and working groups: thin views over
:mod:`hamkori.people.io` (which holds the format, the checks and the writers)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from hamkori.access.policy import decide, require
from hamkori.groups.balance import reporting_date
from hamkori.groups.models import WorkingGroup
from hamkori.people import io
from hamkori.people.forms import PlaceChoiceField, only_district, places_for
from hamkori.places.models import Place
from hamkori.programmes.views_access import programme_view

SESSION_RESULT = "hamkori_people_import"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (.csv), at most 5 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    group = forms.ModelChoiceField(
        queryset=WorkingGroup.objects.none(),
        required=False,
        label=gettext_lazy("Add everyone to this working group"),
        empty_label=gettext_lazy("(no group)"),
        help_text=gettext_lazy("Optional. The membership columns (role, sector represented, joined, left) need it."),
    )
    place = PlaceChoiceField(
        queryset=Place.objects.none(),
        required=False,
        label=gettext_lazy("Place of the rows that leave it empty"),
        help_text=gettext_lazy("Optional. A row with its own place keeps it."),
    )

    def __init__(self, *args: Any, groups: Any, programme: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        if programme is not None:
            self.fields["place"].queryset = places_for(programme, user)  # type: ignore[attr-defined]
            district = only_district(programme, user)
            if district is not None and not self.is_bound and "place" not in self.initial:
                self.initial["place"] = district.pk


def _check_format(fmt: str) -> str:
    if fmt not in io.FORMATS:
        raise Http404
    return fmt


def _download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=io.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def _upload_limit(request: HttpRequest) -> io.LimitedUploadHandler | None:
    return next((h for h in request.upload_handlers if isinstance(h, io.LimitedUploadHandler)), None)


@csrf_protect
@programme_view(action="person.import")
def _people_import(request: HttpRequest) -> HttpResponse:
    programme = request.programme  # type: ignore[attr-defined]
    require(request.user, "person.import", programme)
    groups = (
        WorkingGroup.objects.visible_to(request.user)
        .filter(programme=programme)
        .exclude(status=WorkingGroup.Status.CLOSED)
        .select_related("district")
        .order_by("district__path", "name")
    )
    result = None
    limit = _upload_limit(request)
    if request.method == "POST" and limit is not None and request.FILES is not None and limit.stopped:
        # Refused while it streamed in: what arrived is dropped, nothing is read or written.
        form = ImportForm(groups=groups, programme=programme, user=request.user)
        result = io.ImportResult(problem=io.too_large_message())
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES, groups=groups, programme=programme, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            group = form.cleaned_data["group"]
            try:
                io.check_upload(upload.name, upload.size, upload.content_type)
            except io.FileRejected as exc:
                result = io.ImportResult(group=group, problem=exc.message)
            else:
                result = io.import_people(
                    actor=request.user,
                    programme=programme,
                    filename=upload.name,
                    data=upload.read(),
                    content_type=upload.content_type,
                    group=group,
                    default_place=form.cleaned_data["place"],
                )
            if result.ok:
                # Post/redirect/get: reloading the page must not import the file twice.
                request.session[SESSION_RESULT] = result.summary()
                return redirect("people_import", programme.code)
    else:
        initial = {}
        group_id = request.GET.get("group", "")
        if group_id.isdigit():
            initial["group"] = groups.filter(pk=int(group_id)).first()
        form = ImportForm(groups=groups, initial=initial, programme=programme, user=request.user)
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "result": result,
            "done": request.session.pop(SESSION_RESULT, None) if request.method == "GET" else None,
            "formats": io.FORMATS,
            "max_rows": io.MAX_ROWS,
        },
    )


@csrf_exempt  # only to put the upload limit in place first: the CSRF check runs in _people_import
@wraps(_people_import)
def people_import(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The import page. An upload is refused as soon as it is known to be too large, before it
    has been read in full (:class:`hamkori.people.io.LimitedUploadHandler`)."""
    if request.method == "POST":
        request.upload_handlers = [io.LimitedUploadHandler(request), *request.upload_handlers]
    return _people_import(request, *args, **kwargs)


@programme_view(action="person.import")
def people_import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    programme = request.programme  # type: ignore[attr-defined]
    _check_format(fmt)
    require(request.user, "person.import", programme)
    content = io.render(io.template_sheets(programme), fmt)
    return _download(content, fmt, f"{programme.code}-people-template")


def _export(
    request: HttpRequest,
    sheet: io.Sheet,
    fmt: str,
    *,
    action: str,
    name: str,
    aggregate: bool,
    filters: dict | None = None,
) -> HttpResponse:
    """Audit the export (who, format, rows, aggregate or not), then send the file."""
    programme = request.programme  # type: ignore[attr-defined]
    io.record_export(
        actor=request.user,
        programme=programme,
        action=action,
        fmt=fmt,
        rows=len(sheet.rows),
        aggregate=aggregate,
        **({"filters": filters} if filters is not None else {}),
    )
    return _download(io.render([sheet], fmt), fmt, f"{programme.code}-{name}-{timezone.localdate().isoformat()}")


@programme_view(action="programme.export")
def people_export(request: HttpRequest, fmt: str) -> HttpResponse:
    programme = request.programme  # type: ignore[attr-defined]
    _check_format(fmt)
    if not decide(request.user, "person.export", programme):
        sheet = io.people_aggregate_sheet(programme=programme)
        return _export(request, sheet, fmt, action="person.export", name="people-by-district", aggregate=True)
    require(request.user, "person.export", programme)
    filters = {k: request.GET.get(k, "").strip()[:100] for k in io.EXPORT_FILTERS}
    sheet = io.people_sheet(actor=request.user, programme=programme, filters=filters, today=timezone.localdate())
    return _export(
        request,
        sheet,
        fmt,
        action="person.export",
        name="people",
        aggregate=False,
        filters={k: v for k, v in filters.items() if v},
    )


def reporting_day(programme: Any, today: Any) -> Any:
    """The reporting date (a quarter end) whose counts an aggregate export of ``today`` shows."""
    return reporting_date(programme, today, today)


@programme_view(action="programme.export")
def groups_export(request: HttpRequest, fmt: str) -> HttpResponse:
    programme = request.programme  # type: ignore[attr-defined]
    _check_format(fmt)
    today = timezone.localdate()
    if not decide(request.user, "workinggroup.export", programme):
        # As of the last reporting date, not today: exports on two days must not be subtracted.
        sheet = io.members_aggregate_sheet(programme=programme, today=reporting_day(programme, today))
        return _export(
            request, sheet, fmt, action="workinggroup.export", name="group-members-by-district", aggregate=True
        )
    sheet = io.groups_sheet(actor=request.user, programme=programme, today=today)
    return _export(request, sheet, fmt, action="workinggroup.export", name="working-groups", aggregate=False)
